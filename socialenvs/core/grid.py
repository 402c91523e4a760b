"""The shared grid core: batched 2-D gridworld mechanics as pure functions.

Every grid env (Harvest, Cleanup, the coin game, allelopathic harvest, the sequential
stag hunt/snowdrift, goal sequences, the ToM gridworld) keeps its state in a few numpy
arrays with a leading batch dimension ``B`` and calls the functions below. Nothing here
loops over env copies or cells; the only Python loops are over the handful of agents
where the rules are sequential (moves in a random order).

State conventions (all batched):

* ``cells``: ``uint8[B, H, W]`` cell codes. Codes are env-defined small integers
  (``0 .. num_codes - 1``); :func:`parse_map` turns an ASCII map into the static layout.
  Agents are **not** stored in ``cells``.
* ``pos``: ``int64[B, N, 2]`` agent positions as ``(row, col)``; row 0 is the top.
* ``ori``: ``int64[B, N]`` orientations ``NORTH=0, EAST=1, SOUTH=2, WEST=3`` (clockwise).
* ``occ``: ``int8[B, H, W]`` occupancy, the index of the agent in a cell or ``-1``;
  rebuild with :func:`occupancy` (cheap) or keep it updated through :func:`move_agents`.
* ``active``: optional ``bool[B, N]``; inactive agents (tagged out, dead) occupy no
  cell, do not move, fire or block.

Typical step of an env (``socialenvs/dilemmas/ssd_grid.py`` is a complete one)::

    # setup, once
    m = parse_map(ASCII_MAP, {"@": WALL, " ": EMPTY, "P": EMPTY, "A": APPLE})
    view = EgocentricView(ViewSpec.centred(7), m.height, m.width, outside_code=OUTSIDE)
    rgb = CodeLookup(palette)                        # uint8[num_codes, 3]
    beam = beam_shape(length=5, width=3, layout="ssd")
    # step
    move_dir, turn = RELATIVE_ACTIONS.decode(actions, ori)    # SSD action set
    ori = turn_agents(ori, turn)
    occ = occupancy(pos, (H, W), active)
    order = sim.rng.permutation(N)                            # random move order
    moved = move_agents(pos, move_dir, order, passable, occ, active)
    hits = cast_beams(pos, ori, firing, beam, opaque=walls, occ=occ)  # BeamResult
    # observe: one gather, one lookup
    obs = rgb(view.gather(cells, pos, ori, agent_codes, active))  # uint8[B, N, h, w, 3]

Observation types. ``rgb`` is a palette lookup of the gathered cell codes and
``symbolic`` a one-hot lookup (:func:`one_hot_table`); :class:`CodeLookup` does either
as one ``np.take`` over pairs of codes (the fastest numpy path measured: see its doc).
:func:`render_rgb` and :func:`render_ansi` draw a whole map for ``render()``.

Actions. :data:`RELATIVE_ACTIONS` is the SSD action set (Leibo et al. 2017; Hughes et
al. 2018; SSD ``agent.py``): move left, right, up (forward), down (back) relative to the
agent's orientation, stay, turn clockwise, turn counter-clockwise; env-specific actions
(fire, clean) follow. :data:`ABSOLUTE_ACTIONS` moves north/east/south/west on the map
(coin game, LASE small SSDs). Both are :class:`ActionTable` s that envs may extend with
:meth:`ActionTable.with_extra`.

Moves. Agents are processed one at a time in an order given by the env (normally a
fresh ``sim.rng.permutation`` per step, SSD's "random order" conflict resolution): an
agent moves if its target cell is passable and free *at its turn*, so an agent cannot
follow into a cell that is vacated later in the same order. On a torus (``wrap=True``)
positions wrap around the map edges; otherwise moves off the map are blocked.

Beams. A :class:`BeamShape` is a set of rays, each ``length`` cells long, in the
firer's frame. SSD layout (SSD ``map_env.py``, spec dilemmas §8.1): the centre ray covers
the cells 1..L in front of the firer; the side rays start at the firer's lateral
neighbours (forward 0) and cover forward 0..L-1. Melting Pot layout (our reading of its
``Zapper`` beam: length L, radius r): every ray covers forward 1..L. Each ray stops
*before* an opaque cell (walls) and stops *at* the first cell holding an agent or an
absorbing cell (e.g. waste for the cleaning beam), which it reaches. Beams of all
firers are cast against the same pre-beam state (simultaneously).

Views. :class:`EgocentricView` precomputes, for each orientation, the flat offsets of
the view window in a padded copy of the map, so an observation of every agent of every
copy is ONE integer gather followed by one table lookup (``palette`` for ``rgb``,
one-hot table for ``symbolic``). Centred SSD windows (radius r: ``(2r+1)^2``) and Melting
Pot's forward/back/sides window are both a :class:`ViewSpec`. With ``rotate=True`` (the
default) the view turns with the agent: row 0 is farthest ahead and column 0 is on the
agent's left; with ``rotate=False`` north is always up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

NORTH, EAST, SOUTH, WEST = 0, 1, 2, 3
ORIENTATION_NAMES = ("N", "E", "S", "W")
#: ``(drow, dcol)`` of one step in each orientation (clockwise from north).
DIRECTIONS = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], dtype=np.int64)
#: Relative move directions, added to the orientation modulo 4.
FORWARD, RIGHT, BACK, LEFT = 0, 1, 2, 3
NO_MOVE = -1


# --------------------------------------------------------------------------- maps
@dataclass(frozen=True)
class GridMap:
    """A parsed ASCII map.

    Attributes:
        cells: ``uint8[H, W]`` cell codes from the legend.
        chars: ``<U1[H, W]`` the raw characters.
        spawn_points: ``int64[K, 2]`` cells whose character is one of the spawn chars,
            in row-major order.
    """

    cells: np.ndarray
    chars: np.ndarray
    spawn_points: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.cells.shape  # type: ignore[return-value]

    @property
    def height(self) -> int:
        return int(self.cells.shape[0])

    @property
    def width(self) -> int:
        return int(self.cells.shape[1])

    def where(self, chars: str) -> np.ndarray:
        """``int64[K, 2]`` positions of every cell whose character is in ``chars``."""
        mask = np.isin(self.chars, list(chars))
        return np.argwhere(mask).astype(np.int64)

    def count(self, chars: str) -> int:
        return int(np.isin(self.chars, list(chars)).sum())


def parse_map(
    ascii_map: str | list[str], legend: dict[str, int], spawn_chars: str = "P"
) -> GridMap:
    """Parse an ASCII map into cell codes and spawn points.

    Args:
        ascii_map: rows as a list of strings, or one string with one row per line
            (leading/trailing blank lines are ignored). All rows must have equal length.
        legend: character -> cell code (0..255). Every character of the map must be
            in it, spawn characters included (they usually map to the empty code).
        spawn_chars: characters that mark agent spawn points.

    Raises:
        ValueError: ragged rows, or a character missing from the legend.
    """
    rows = ascii_map.strip("\n").split("\n") if isinstance(ascii_map, str) else list(ascii_map)
    if not rows or any(len(r) != len(rows[0]) for r in rows) or not rows[0]:
        raise ValueError(
            f"map rows must be non-empty and of equal length, got {[len(r) for r in rows]}"
        )
    chars = np.array([list(r) for r in rows], dtype="<U1")
    unknown = sorted({str(ch) for ch in chars.ravel()} - set(legend))
    if unknown:
        raise ValueError(f"map characters {unknown} are not in the legend {sorted(legend)}")
    lut = {c: int(v) for c, v in legend.items()}
    cells = np.vectorize(lut.__getitem__, otypes=[np.uint8])(chars)
    spawn = np.argwhere(np.isin(chars, list(spawn_chars))).astype(np.int64)
    return GridMap(cells=cells, chars=chars, spawn_points=spawn)


# --------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class ActionTable:
    """How discrete actions move and turn agents.

    Attributes:
        names: action names, index = action id.
        move: ``int64[A]`` per action: a direction (relative ``FORWARD/RIGHT/BACK/LEFT``
            when ``relative``, else absolute ``NORTH..WEST``) or ``NO_MOVE``.
        turn: ``int64[A]`` per action: +1 clockwise, -1 counter-clockwise, 0.
        relative: whether ``move`` is relative to the agent's orientation.
    """

    names: tuple[str, ...]
    move: np.ndarray
    turn: np.ndarray
    relative: bool

    @property
    def n(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        if name not in self.names:
            raise ValueError(f"unknown action {name!r}; actions are {list(self.names)}")
        return self.names.index(name)

    def with_extra(self, *names: str) -> ActionTable:
        """This table plus env-specific actions (no move, no turn) appended at the end."""
        k = len(names)
        return ActionTable(
            names=self.names + tuple(names),
            move=np.concatenate([self.move, np.full(k, NO_MOVE, np.int64)]),
            turn=np.concatenate([self.turn, np.zeros(k, np.int64)]),
            relative=self.relative,
        )

    def decode(self, actions: np.ndarray, ori: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Absolute move direction (or ``NO_MOVE``) and turn of each agent.

        The move is relative to the orientation *before* this step's turn (turn and
        move are different actions, so at most one of them applies).
        """
        move = self.move[actions]
        if self.relative:
            move = np.where(move >= 0, (move + ori) & 3, NO_MOVE)
        return move, self.turn[actions]


#: SSD's action set (SSD ``agent.py``/``map_env.py``): 0 move left, 1 move right,
#: 2 move up (forward), 3 move down (back) -- relative to the orientation --, 4 stay,
#: 5 turn clockwise, 6 turn counter-clockwise. Envs append fire/clean.
RELATIVE_ACTIONS = ActionTable(
    names=("move_left", "move_right", "move_forward", "move_back", "stay", "turn_cw", "turn_ccw"),
    move=np.array([LEFT, RIGHT, FORWARD, BACK, NO_MOVE, NO_MOVE, NO_MOVE], dtype=np.int64),
    turn=np.array([0, 0, 0, 0, 0, 1, -1], dtype=np.int64),
    relative=True,
)

#: Absolute moves: 0 north (up), 1 east (right), 2 south (down), 3 west (left), 4 stay.
ABSOLUTE_ACTIONS = ActionTable(
    names=("move_north", "move_east", "move_south", "move_west", "stay"),
    move=np.array([NORTH, EAST, SOUTH, WEST, NO_MOVE], dtype=np.int64),
    turn=np.zeros(5, dtype=np.int64),
    relative=False,
)


def turn_agents(ori: np.ndarray, turn: np.ndarray) -> np.ndarray:
    """New orientations ``(ori + turn) mod 4``."""
    return (ori + turn) & 3


# --------------------------------------------------------------------------- agents
def occupancy(
    pos: np.ndarray, shape: tuple[int, int], active: np.ndarray | None = None
) -> np.ndarray:
    """``int8[B, H, W]``: index of the (active) agent in each cell, ``-1`` when free."""
    B, N = pos.shape[:2]
    occ = np.full((B, *shape), -1, dtype=np.int8)
    if B == 1 and active is None:
        occ[0, pos[0, :, 0], pos[0, :, 1]] = np.arange(N, dtype=np.int8)
        return occ
    b = np.repeat(np.arange(B), N)
    agent = np.tile(np.arange(N, dtype=np.int8), B)
    r, c = pos[..., 0].ravel(), pos[..., 1].ravel()
    if active is not None:
        keep = active.ravel()
        b, agent, r, c = b[keep], agent[keep], r[keep], c[keep]
    occ[b, r, c] = agent
    return occ


def move_agents(
    pos: np.ndarray,
    move_dir: np.ndarray,
    order: np.ndarray,
    passable: np.ndarray,
    occ: np.ndarray,
    active: np.ndarray | None = None,
    wrap: bool = False,
) -> np.ndarray:
    """Move agents one step, one at a time in ``order``; update ``pos`` and ``occ`` in place.

    Args:
        pos: ``int64[B, N, 2]`` positions (modified).
        move_dir: ``int64[B, N]`` absolute direction ``0..3`` or ``NO_MOVE``.
        order: ``int64[B, N]``: ``order[b, k]`` is the k-th agent to move in copy b.
        passable: ``bool[B, H, W]`` (or ``[H, W]``) cells an agent may enter, agents aside.
        occ: ``int8[B, H, W]`` occupancy (modified).
        active: ``bool[B, N]``; inactive agents do not move.
        wrap: torus topology instead of blocking at the map edge.

    Returns:
        ``bool[B, N]``: which agents moved.
    """
    B, N = move_dir.shape
    H, W = occ.shape[1:]
    if B == 1:
        return _move_agents_single(pos, move_dir, order, passable, occ, active, wrap)
    rows = np.arange(B)
    moved = np.zeros((B, N), dtype=bool)
    wants = move_dir >= 0
    if active is not None:
        wants &= active
    if not wants.any():
        return moved
    delta = DIRECTIONS[np.maximum(move_dir, 0)]  # [B, N, 2]
    target = pos + delta
    if wrap:
        target[..., 0] %= H
        target[..., 1] %= W
    else:
        inside = (
            (target[..., 0] >= 0)
            & (target[..., 0] < H)
            & (target[..., 1] >= 0)
            & (target[..., 1] < W)
        )
        wants &= inside
        target = np.where(inside[..., None], target, pos)
    tr, tc = target[..., 0], target[..., 1]
    if passable.ndim == 2:
        wants &= passable[tr, tc]
    else:
        wants &= passable[rows[:, None], tr, tc]
    # Work on flat indices: agent (b, a) is entry b * N + a, a cell is b * H * W + r * W
    # + c; every update below is then a 1-D take or put.
    grid_flat = np.ascontiguousarray(occ).reshape(-1)
    copy_cell = (rows * (H * W))[:, None]
    cur = (copy_cell + pos[..., 0] * W + pos[..., 1]).ravel()
    tgt = (copy_cell + tr * W + tc).ravel()
    wants = wants.ravel()
    moved = moved.ravel()
    first = rows * N
    for k in range(N):
        s = first + order[:, k]
        s = s[wants[s]]
        if not len(s):
            continue
        t = tgt[s]
        free = grid_flat[t] < 0
        s, t = s[free], t[free]
        grid_flat[cur[s]] = -1
        grid_flat[t] = s % N
        cur[s] = t
        moved[s] = True
    moved = moved.reshape(B, N)
    if moved.any():
        cell = cur.reshape(B, N) - copy_cell
        pos[..., 0] = cell // W
        pos[..., 1] = cell % W
    if not np.shares_memory(grid_flat, occ):
        occ[...] = grid_flat.reshape(occ.shape)
    return moved


_DIRECTION_TUPLES = tuple(tuple(int(x) for x in d) for d in DIRECTIONS)


def _move_agents_single(pos, move_dir, order, passable, occ, active, wrap) -> np.ndarray:
    """:func:`move_agents` for one copy with Python scalars: the same rule, without the
    per-call overhead of a dozen numpy operations per agent (the ParallelEnv hot path)."""
    N = move_dir.shape[1]
    H, W = occ.shape[1:]
    moved = np.zeros((1, N), dtype=bool)
    directions = move_dir[0].tolist()
    act = None if active is None else active[0].tolist()
    where = pos[0].tolist()
    free_cells = occ[0]
    enterable = passable if passable.ndim == 2 else passable[0]
    changed = False
    for a in order[0].tolist():
        d = directions[a]
        if d < 0 or (act is not None and not act[a]):
            continue
        r, c = where[a]
        dr, dc = _DIRECTION_TUPLES[d]
        nr, nc = r + dr, c + dc
        if wrap:
            nr, nc = nr % H, nc % W
        elif not (0 <= nr < H and 0 <= nc < W):
            continue
        if not enterable[nr, nc] or free_cells[nr, nc] >= 0:
            continue
        free_cells[r, c] = -1
        free_cells[nr, nc] = a
        where[a] = [nr, nc]
        moved[0, a] = True
        changed = True
    if changed:
        pos[0] = where
    return moved


def spawn_agents(
    rng, idx: np.ndarray, spawn_points: np.ndarray, num_agents: int, free: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct random spawn points and uniform orientations for copies ``idx``.

    Args:
        rng: the Sim's :class:`~socialenvs.core.rng.BatchedRNG` (two draws).
        idx: copies to spawn in.
        spawn_points: ``int64[K, 2]``.
        num_agents: N.
        free: optional ``bool[len(idx), K]`` spawn points available (e.g. unoccupied).

    Returns:
        positions ``int64[len(idx), N, 2]`` and orientations ``int64[len(idx), N]``.
    """
    K = len(spawn_points)
    available = np.ones((len(idx), K), dtype=bool) if free is None else free
    pick = rng.choose(available, num_agents, idx)
    ori = rng.integers(4, (num_agents,), idx)
    return spawn_points[pick], ori


# --------------------------------------------------------------------------- beams
@dataclass(frozen=True)
class BeamShape:
    """Cells a beam can reach, per firer orientation.

    Attributes:
        length, width: as configured (width odd).
        offsets: ``int64[4, R, L, 2]`` ``(drow, dcol)`` of step ``j`` of ray ``r`` for a
            firer facing each orientation.
    """

    length: int
    width: int
    layout: str
    offsets: np.ndarray = field(repr=False)

    @property
    def num_rays(self) -> int:
        return int(self.offsets.shape[1])

    @functools.cached_property
    def row_offsets(self) -> np.ndarray:
        """``int64[4, R, L]`` row part of ``offsets`` (contiguous)."""
        return np.ascontiguousarray(self.offsets[..., 0])

    @functools.cached_property
    def col_offsets(self) -> np.ndarray:
        """``int64[4, R, L]`` column part of ``offsets`` (contiguous)."""
        return np.ascontiguousarray(self.offsets[..., 1])

    @functools.cached_property
    def offset_lists(self) -> tuple:
        """``offsets`` as nested tuples of Python ints (the one-copy beam path)."""
        return tuple(
            tuple(tuple((int(dr), int(dc)) for dr, dc in ray) for ray in o) for o in self.offsets
        )


def beam_shape(length: int, width: int, layout: str = "ssd") -> BeamShape:
    """Build a :class:`BeamShape` (layouts ``"ssd"`` and ``"meltingpot"``, see module doc).

    Rays are ordered centre first, then lateral offsets -1, +1, -2, +2, ...
    """
    if layout not in ("ssd", "meltingpot"):
        raise ValueError(f"layout={layout!r} is not allowed; choose one of ['ssd', 'meltingpot']")
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"beam length={length!r} must be an integer >= 1")
    if not isinstance(width, (int, np.integer)) or width < 1 or width % 2 == 0:
        raise ValueError(f"beam width={width!r} must be a positive odd integer")
    lateral = [0]
    for k in range(1, width // 2 + 1):
        lateral += [-k, k]
    steps = np.arange(length)
    rays = []
    for lat in lateral:
        start = 1 if (lat == 0 or layout == "meltingpot") else 0
        fwd = start + steps
        rays.append(np.stack([fwd, np.full(length, lat)], axis=-1))  # (forward, right)
    local = np.stack(rays)  # [R, L, 2]
    offsets = np.empty((4, *local.shape), dtype=np.int64)
    for o in range(4):
        f, r = DIRECTIONS[o], DIRECTIONS[(o + 1) & 3]
        offsets[o] = local[..., :1] * f + local[..., 1:] * r
    return BeamShape(length=int(length), width=int(width), layout=layout, offsets=offsets)


@dataclass
class BeamResult:
    """Outcome of :func:`cast_beams`, one row per firing agent (``F`` firers in all).

    Attributes:
        env, firer: ``int64[F]`` copy and agent index of each firer.
        rows, cols: ``int64[F, R, L]`` cell coordinates of every ray step (clipped into
            the map; wrapped on a torus).
        reached: ``bool[F, R, L]`` cells the beam reached.
        absorbed: ``bool[F, R, L]`` reached cells that were absorbing (e.g. waste).
        hit_env, hit_firer, hit_target: ``int64[M]``: one entry per (firer, agent hit)
            pair; an agent hit by two firers appears twice.
    """

    env: np.ndarray
    firer: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    reached: np.ndarray
    absorbed: np.ndarray
    hit_env: np.ndarray
    hit_firer: np.ndarray
    hit_target: np.ndarray

    def hit_matrix(self, num_envs: int, num_agents: int) -> np.ndarray:
        """``bool[B, N, N]``: ``[b, i, j]`` firer i's beam hit agent j in copy b."""
        out = np.zeros((num_envs, num_agents, num_agents), dtype=bool)
        out[self.hit_env, self.hit_firer, self.hit_target] = True
        return out

    def reached_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(env, firer, row, col)`` of every reached cell (flat arrays)."""
        f, ray, step = np.nonzero(self.reached)
        return self.env[f], self.firer[f], self.rows[f, ray, step], self.cols[f, ray, step]

    def absorbed_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(env, firer, row, col)`` of every reached absorbing cell (flat arrays)."""
        f, ray, step = np.nonzero(self.absorbed)
        return self.env[f], self.firer[f], self.rows[f, ray, step], self.cols[f, ray, step]


def cast_beams(
    pos: np.ndarray,
    ori: np.ndarray,
    firing: np.ndarray,
    shape: BeamShape,
    opaque: np.ndarray,
    occ: np.ndarray,
    absorb: np.ndarray | None = None,
    wrap: bool = False,
) -> BeamResult:
    """Cast the beams of every firing agent against the current state (simultaneously).

    Work is proportional to the number of firers, not to ``B * N``.

    Args:
        pos, ori: positions ``[B, N, 2]``, orientations ``[B, N]``.
        firing: ``bool[B, N]``.
        shape: the beam geometry.
        opaque: ``bool[B, H, W]`` or ``[H, W]``: the beam stops before these (walls).
            Cells off the map are opaque unless ``wrap``.
        occ: ``int8[B, H, W]`` occupancy; a ray stops at (and hits) the first agent.
        absorb: optional ``bool[B, H, W]`` (or ``[H, W]``): the ray stops at (and
            reaches) these cells.
    """
    H, W = occ.shape[1:]
    if firing.shape[0] == 1:
        return _cast_beams_single(pos, ori, firing, shape, opaque, occ, absorb, wrap)
    env, firer = np.nonzero(firing)
    o = ori[env, firer]
    p = pos[env, firer]
    r = shape.row_offsets[o]  # [F, R, L]
    r += p[:, 0, None, None]
    c = shape.col_offsets[o]
    c += p[:, 1, None, None]
    if wrap:
        r %= H
        c %= W
        blocked = np.zeros(r.shape, dtype=bool)
    else:
        # Off the map: a negative coordinate is a huge unsigned one (one test per axis).
        blocked = r.view(np.uint64) >= H
        blocked |= c.view(np.uint64) >= W
        if blocked.any():
            r = np.clip(r, 0, H - 1)
            c = np.clip(c, 0, W - 1)
    # Flat cell indices: one 1-D take per lookup instead of 2-D/3-D fancy indexing.
    cell = r * W
    cell += c
    batch_cell = cell + (env * (H * W))[:, None, None]
    blocked |= opaque.reshape(-1).take(cell if opaque.ndim == 2 else batch_cell)
    agent = occ.reshape(-1).take(batch_cell)
    hit = agent >= 0
    if absorb is None:
        absorbed = np.zeros(r.shape, dtype=bool)
        stopper = blocked | hit
    else:
        absorbed = absorb.reshape(-1).take(cell if absorb.ndim == 2 else batch_cell)
        stopper = blocked | hit
        stopper |= absorbed
    # A cell is reached when nothing before it on its ray stopped the beam and it is not
    # opaque itself: count the stoppers strictly before each cell along the ray.
    before = np.cumsum(stopper, axis=-1)
    before -= stopper
    reached = before == 0
    reached &= ~blocked
    f, ray, step = np.nonzero(reached & hit)
    return BeamResult(
        env=env,
        firer=firer,
        rows=r,
        cols=c,
        reached=reached,
        absorbed=reached & absorbed,
        hit_env=env[f],
        hit_firer=firer[f],
        hit_target=agent[f, ray, step].astype(np.int64),
    )


def _cast_beams_single(pos, ori, firing, shape, opaque, occ, absorb, wrap) -> BeamResult:
    """:func:`cast_beams` for one copy, walking each ray with Python scalars: the same
    result (same arrays, same order), without ~35 numpy calls on tiny arrays."""
    H, W = occ.shape[1:]
    firers = firing[0].nonzero()[0]
    F, R, L = len(firers), shape.num_rays, shape.length
    opaque = opaque if opaque.ndim == 2 else opaque[0]
    occ = occ[0]
    if absorb is not None and absorb.ndim == 3:
        absorb = absorb[0]
    where, facing = pos[0].tolist(), ori[0].tolist()
    rows, cols, reached, absorbed = [], [], [], []
    hit_firer, hit_target = [], []
    for i in firers.tolist():
        r0, c0 = where[i]
        for ray in shape.offset_lists[facing[i]]:
            going = True  # no stopper met yet on this ray
            for dr, dc in ray:
                r, c = r0 + dr, c0 + dc
                if wrap:
                    r, c = r % H, c % W
                    blocked = False
                else:
                    blocked = not (0 <= r < H and 0 <= c < W)
                    r = 0 if r < 0 else (H - 1 if r >= H else r)
                    c = 0 if c < 0 else (W - 1 if c >= W else c)
                rows.append(r)
                cols.append(c)
                if not going:
                    reached.append(False)
                    absorbed.append(False)
                    continue
                if blocked or opaque[r, c]:
                    going = False
                    reached.append(False)
                    absorbed.append(False)
                    continue
                reached.append(True)
                agent = int(occ[r, c])
                soak = absorb is not None and bool(absorb[r, c])
                absorbed.append(soak)
                if agent >= 0:
                    hit_firer.append(i)
                    hit_target.append(agent)
                if agent >= 0 or soak:
                    going = False
    shape3 = (F, R, L)
    hit_firer_arr = np.array(hit_firer, dtype=np.int64)
    return BeamResult(
        env=np.zeros(F, dtype=np.int64),
        firer=firers,
        rows=np.array(rows, dtype=np.int64).reshape(shape3),
        cols=np.array(cols, dtype=np.int64).reshape(shape3),
        reached=np.array(reached, dtype=bool).reshape(shape3),
        absorbed=np.array(absorbed, dtype=bool).reshape(shape3),
        hit_env=np.zeros(len(hit_firer), dtype=np.int64),
        hit_firer=hit_firer_arr,
        hit_target=np.array(hit_target, dtype=np.int64),
    )


# --------------------------------------------------------------------------- views
@dataclass(frozen=True)
class ViewSpec:
    """Shape of an egocentric window in the agent's frame.

    Attributes:
        forward, back, left, right: cells visible in each direction from the agent.
        rotate: turn the window with the agent (row 0 = farthest ahead); if False,
            north is always up and forward/back/left/right mean up/down/left/right.
    """

    forward: int
    back: int
    left: int
    right: int
    rotate: bool = True

    @classmethod
    def centred(cls, radius: int, rotate: bool = True) -> ViewSpec:
        """SSD's square window of side ``2 * radius + 1`` centred on the agent."""
        return cls(radius, radius, radius, radius, rotate)

    @classmethod
    def meltingpot(
        cls, forward: int = 9, back: int = 1, sides: int = 5, rotate: bool = True
    ) -> ViewSpec:
        """Melting Pot's window (default 11 x 11: 9 ahead, 1 behind, 5 to each side)."""
        return cls(forward, back, sides, sides, rotate)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.forward + self.back + 1, self.left + self.right + 1)

    @property
    def reach(self) -> int:
        return max(self.forward, self.back, self.left, self.right)


class EgocentricView:
    """Precomputed gather indices for egocentric views of an ``H x W`` map.

    The map is copied once per observation into a padded canvas (``pad = spec.reach``
    cells of ``outside_code`` around it); agents are drawn into the canvas as
    ``agent_codes[i]``; each agent's window is then ``canvas[base + offsets[ori]]`` --
    one gather for all copies and agents.

    Args:
        spec: window shape.
        height, width: map size.
        outside_code: cell code shown beyond the map edge.
        wrap: torus map: the window wraps around instead of showing ``outside_code``.
    """

    def __init__(
        self, spec: ViewSpec, height: int, width: int, outside_code: int, wrap: bool = False
    ):
        self.spec = spec
        self.height, self.width = int(height), int(width)
        self.outside_code = int(outside_code)
        self.wrap = bool(wrap)
        pad = spec.reach
        self.pad = pad
        self.padded_shape = (self.height + 2 * pad, self.width + 2 * pad)
        Wp = self.padded_shape[1]
        vh, vw = spec.shape
        i, j = np.meshgrid(np.arange(vh), np.arange(vw), indexing="ij")
        fwd = spec.forward - i  # distance ahead
        lat = j - spec.left  # distance to the right
        # offsets[o] = flat offset of view cell (i, j) for orientation o; plus the
        # (drow, dcol) table used for torus maps.
        self.delta = np.empty((4, vh, vw, 2), dtype=np.int64)
        for o in range(4):
            oo = o if spec.rotate else NORTH
            f, rt = DIRECTIONS[oo], DIRECTIONS[(oo + 1) & 3]
            self.delta[o] = fwd[..., None] * f + lat[..., None] * rt
        self.offsets = (self.delta[..., 0] * Wp + self.delta[..., 1]).reshape(4, vh * vw)
        self._offsets32 = self.offsets.astype(np.int32)
        self._canvas: np.ndarray | None = None
        self._index_buffer = np.zeros(0, dtype=np.int32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.spec.shape

    def canvas(self, cells: np.ndarray) -> np.ndarray:
        """``uint8[b, Hp, Wp]`` padded copy of ``cells`` (a reused buffer)."""
        b = cells.shape[0]
        if self._canvas is None or self._canvas.shape[0] != b:
            self._canvas = np.full((b, *self.padded_shape), self.outside_code, dtype=np.uint8)
        p = self.pad
        self._canvas[:, p : p + self.height, p : p + self.width] = cells
        return self._canvas

    def gather(
        self,
        cells: np.ndarray,
        pos: np.ndarray,
        ori: np.ndarray,
        agent_codes: np.ndarray | None = None,
        active: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Cell codes in every agent's window: ``uint8[b, N, vh, vw]``.

        Args:
            cells: ``uint8[b, H, W]`` codes of the copies to observe.
            pos, ori: ``[b, N, 2]`` and ``[b, N]`` of those copies.
            agent_codes: ``uint8[N]`` code drawn at each agent's cell (None: agents are
                not drawn).
            active: ``bool[b, N]``: only active agents are drawn.
            out: optional C-contiguous ``uint8[b, N, vh, vw]`` to write the codes into
                (and return), e.g. a buffer the caller reuses across steps.
        """
        b, N = ori.shape
        vh, vw = self.spec.shape
        if out is not None and (not out.flags.c_contiguous or out.shape != (b, N, vh, vw)):
            raise ValueError(f"out must be a C-contiguous array of shape {(b, N, vh, vw)}")
        if self.wrap:
            grid = cells
            if agent_codes is not None:
                grid = cells.copy()
                self._draw(grid, pos, agent_codes, active, 0)
            d = self.delta[ori]  # [b, N, vh, vw, 2]
            r = (pos[:, :, None, None, 0] + d[..., 0]) % self.height
            c = (pos[:, :, None, None, 1] + d[..., 1]) % self.width
            codes = grid[np.arange(b)[:, None, None, None], r, c]
            if out is not None:
                out[...] = codes
                return out
            return codes
        canvas = self.canvas(cells).reshape(-1)
        Hp, Wp = self.padded_shape
        # Flat canvas index of every agent's cell; it places the agents' codes and is
        # the base of their windows.
        base = pos[..., 0] * Wp
        base += pos[..., 1] + (self.pad * Wp + self.pad)
        if b > 1:
            base += (np.arange(b) * (Hp * Wp))[:, None]
        if agent_codes is not None:
            codes = np.asarray(agent_codes, dtype=np.uint8)
            if active is None:
                canvas[base] = codes
            else:
                canvas[base[active]] = np.broadcast_to(codes, base.shape)[active]
        # int32 indices, an in-place add and np.take: ~10x faster than int64 fancy
        # indexing at B=256 (less memory traffic, contiguous fast path).
        wide = b * Hp * Wp >= 2**31
        offsets = self.offsets if wide else self._offsets32
        # The index array lives in a buffer kept across calls: a fresh one of several
        # MB per step (B=1024) costs page faults that can double the time of a step.
        size = b * N * vh * vw
        buffer = getattr(self, "_index_buffer", None)
        if buffer is None or buffer.dtype != offsets.dtype or len(buffer) < size:
            buffer = self._index_buffer = np.empty(size, dtype=offsets.dtype)
        # mode="clip": every index is in range by construction (the padding holds every
        # window), and numpy buffers ``out=`` in the default mode (measured 3x slower).
        idx = offsets.take(ori, axis=0, out=buffer[:size].reshape(b, N, -1), mode="clip")
        idx += base.astype(offsets.dtype)[:, :, None]
        if out is not None:
            flat_out = out.reshape(b, N, vh * vw)
            return canvas.take(idx, out=flat_out, mode="clip").reshape(b, N, vh, vw)
        return canvas.take(idx, mode="clip").reshape(b, N, vh, vw)

    @staticmethod
    def _draw(grid, pos, agent_codes, active, pad) -> None:
        b, N = pos.shape[:2]
        bi = np.repeat(np.arange(b), N)
        codes = np.tile(np.asarray(agent_codes, dtype=np.uint8), b)
        r, c = pos[..., 0].ravel() + pad, pos[..., 1].ravel() + pad
        if active is not None:
            keep = active.ravel()
            bi, codes, r, c = bi[keep], codes[keep], r[keep], c[keep]
        grid[bi, r, c] = codes


# --------------------------------------------------------------------------- obs types
def rgb_lookup(codes: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """``uint8[..., 3]`` colours of cell codes (``palette``: ``uint8[num_codes, 3]``).

    Looks each code up as one 3-byte record (a single ``np.take``), about 3x faster than
    ``palette[codes]``; pass a :func:`packed_table` to skip re-packing on every call.
    """
    table = palette if palette.ndim == 1 else packed_table(palette)
    return _take_records(table, codes).view(np.uint8).reshape(*codes.shape, -1)


def one_hot_table(layer_of_code: np.ndarray, num_layers: int) -> np.ndarray:
    """``uint8[num_codes, num_layers]`` one-hot rows; a code mapped to -1 lights no layer."""
    layer_of_code = np.asarray(layer_of_code)
    table = np.zeros((len(layer_of_code), num_layers), dtype=np.uint8)
    ok = layer_of_code >= 0
    table[np.flatnonzero(ok), layer_of_code[ok]] = 1
    return table


def symbolic_lookup(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``uint8[..., C]`` one-hot layers of cell codes (``table`` from :func:`one_hot_table`,
    or its :func:`packed_table`)."""
    packed = table if table.ndim == 1 else packed_table(table)
    return _take_records(packed, codes).view(np.uint8).reshape(*codes.shape, -1)


def _take_records(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    # Measured (numpy 2.4, 288k uint8 codes): np.take is fastest for 1-4 byte and void
    # records (0.2 ms for uint32, 1.1 ms for V3) but pathologically slow for 8-byte
    # integers (5 ms), where plain fancy indexing takes 0.9 ms.
    if table.dtype.itemsize == 8 and table.dtype.kind == "u":
        return table[codes]
    return table.take(codes)


def packed_table(table: np.ndarray) -> np.ndarray:
    """A ``uint8[num_codes, C]`` lookup table as ``num_codes`` records of ``C`` bytes
    (a native integer for C = 1, 2, 4, 8; a void record otherwise), so that a lookup
    is one ``np.take`` instead of a 2-D fancy index."""
    table = np.ascontiguousarray(table, dtype=np.uint8)
    c = table.shape[1]
    dtype = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(c, f"V{c}")
    return table.view(dtype).ravel()


class CodeLookup:
    """Fast ``code -> bytes`` table lookup for observations (``rgb`` palettes, one-hot
    ``symbolic`` tables).

    ``CodeLookup(table)(codes)`` equals ``table[codes]`` (``uint8[..., K]``) but reads
    the codes two at a time: each pair of adjacent ``uint8`` codes is viewed as one
    ``uint16`` index into a 65536-entry table of ``2 K``-byte records, so the work is
    one ``np.take`` over half as many elements with no index arithmetic. Measured on
    288k codes (B=256, 5 agents, 15 x 15): rgb 0.36 ms vs 0.75 ms for a 3-byte record
    take (and 3 ms for ``palette[codes]``); 8-layer symbolic 0.15 ms vs 0.44 ms. The
    pair table (``2 K * 64`` KiB) is built once per distinct table and shared; it is
    used when ``2 K <= 16`` and ``codes`` has an even number of elements, else the
    single-record path.

    Args:
        table: ``uint8[num_codes, K]`` (``num_codes <= 256``).
    """

    def __init__(self, table: np.ndarray):
        self.table = np.ascontiguousarray(table, dtype=np.uint8)
        if self.table.ndim != 2 or len(self.table) > 256:
            raise ValueError(f"table must be uint8[num_codes <= 256, K], got {self.table.shape}")
        self.channels = int(self.table.shape[1])
        self._single = packed_table(self.table)
        self._pair: np.ndarray | None = None

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        K = self.channels
        if codes.size % 2 == 0 and 2 * K <= 16 and codes.size:
            if self._pair is None:
                self._pair = _pair_table(self.table.tobytes(), self.table.shape)
            out = self._pair.take(codes.reshape(-1, 2).view(np.uint16).ravel())
        else:
            out = _take_records(self._single, codes)
        return out.view(np.uint8).reshape(*codes.shape, K)

    def __getstate__(self):
        return {"table": self.table}  # the pair table is rebuilt (and shared) on demand

    def __setstate__(self, state):
        self.__init__(state["table"])


@functools.lru_cache(maxsize=64)
def _pair_table(table_bytes: bytes, shape: tuple[int, int]) -> np.ndarray:
    table = np.frombuffer(table_bytes, dtype=np.uint8).reshape(shape)
    C, K = shape
    # The two bytes of every uint16 value, in memory order (endianness-proof).
    first_second = np.arange(1 << 16, dtype=np.uint16).view(np.uint8).reshape(-1, 2)
    first, second = first_second[:, 0], first_second[:, 1]
    ok = (first < C) & (second < C)
    pairs = np.zeros((1 << 16, 2 * K), dtype=np.uint8)
    pairs[ok, :K] = table[first[ok]]
    pairs[ok, K:] = table[second[ok]]
    rec = {2: np.uint16, 4: np.uint32, 8: np.uint64}.get(2 * K, f"V{2 * K}")
    return pairs.view(rec).ravel()


def agent_palette(num_agents: int) -> np.ndarray:
    """Distinct, saturated colours for up to ~20 agents (``uint8[N, 3]``), then repeating."""
    base = np.array(
        [
            [230, 25, 75],
            [60, 120, 230],
            [255, 225, 25],
            [245, 130, 48],
            [145, 30, 180],
            [70, 240, 240],
            [240, 50, 230],
            [210, 245, 60],
            [250, 190, 212],
            [0, 128, 128],
            [220, 190, 255],
            [170, 110, 40],
            [255, 250, 200],
            [128, 0, 0],
            [170, 255, 195],
            [128, 128, 0],
            [255, 215, 180],
            [0, 0, 128],
            [128, 128, 128],
            [255, 255, 255],
        ],
        dtype=np.uint8,
    )
    return base[np.arange(num_agents) % len(base)]


# --------------------------------------------------------------------------- rendering
def render_rgb(codes: np.ndarray, palette: np.ndarray, scale: int = 8) -> np.ndarray:
    """Full-map frame ``uint8[H * scale, W * scale, 3]`` from a ``[H, W]`` code grid."""
    img = palette[codes]
    if scale > 1:
        img = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
    return np.ascontiguousarray(img)


def render_ansi(
    codes: np.ndarray,
    chars: str | list[str],
    pos: np.ndarray | None = None,
    ori: np.ndarray | None = None,
    active: np.ndarray | None = None,
) -> str:
    """Text picture of one copy: ``chars[code]`` per cell; agents as their index digit
    (or letter beyond 9), inactive agents not drawn."""
    lut = np.array(list(chars), dtype="<U1")
    text = lut[codes]
    if pos is not None:
        for i, (r, c) in enumerate(np.asarray(pos)):
            if active is not None and not active[i]:
                continue
            text[r, c] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 36]
    return "\n".join("".join(row) for row in text)
