"""Shared mechanics of the sequential social dilemma gridworlds Harvest and Cleanup.

Both games (Leibo et al. 2017; Hughes et al. 2018; the SSD codebase; Melting Pot's
``commons_harvest`` and ``clean_up``) put avatars with an orientation on a map, let them
move, turn and fire a penalty ("tagging") beam, give +1 for each apple eaten, and show
each player an egocentric window. This module holds that common part once: the config
fields both share, rule-set defaults (``rules="ssd"`` / ``"meltingpot"``), avatars,
moves, eating, the penalty beam with its costs, the Melting Pot tag-out (removal),
observations and rendering. :mod:`~socialenvs.dilemmas.harvest` and
:mod:`~socialenvs.dilemmas.cleanup` add their resource dynamics.

Cell codes (shared so both games read the same in ``symbolic`` observations):
``EMPTY, WALL, APPLE, BEAM, OUTSIDE, WASTE, RIVER, STREAM, CLEAN_BEAM``; agent ``i`` is
drawn as ``AGENT0 + i``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium
import numpy as np

from socialenvs.core import grid
from socialenvs.core.config import check_choice, check_int
from socialenvs.core.events import EventKind
from socialenvs.core.sim import Sim

EMPTY, WALL, APPLE, BEAM, OUTSIDE, WASTE, RIVER, STREAM, CLEAN_BEAM = range(9)
AGENT0 = 9
CELL_CHARS = " @AFxHRSC"  # ansi rendering of the codes above

#: RGB of the cell codes (SSD's colours where SSD has the cell: empty black, walls grey,
#: apples green, penalty beam yellow); agents follow from :func:`grid.agent_palette`.
CELL_COLOURS = np.array(
    [
        [0, 0, 0],  # EMPTY
        [180, 180, 180],  # WALL
        [0, 255, 0],  # APPLE
        [252, 252, 106],  # BEAM
        [60, 60, 60],  # OUTSIDE (beyond the map edge)
        [135, 110, 60],  # WASTE
        [40, 90, 220],  # RIVER
        [100, 160, 255],  # STREAM
        [110, 230, 230],  # CLEAN_BEAM
    ],
    dtype=np.uint8,
)

#: Symbolic layers: ``wall`` (walls and off-map), ``apple``, ``beam`` (penalty beam this
#: step), ``waste``, ``river`` (river and stream), ``clean_beam``, ``self``, ``others``.
SYMBOLIC_LAYERS = ("wall", "apple", "beam", "waste", "river", "clean_beam", "self", "others")
_LAYER_OF_CELL = np.array([-1, 0, 1, 2, 0, 3, 4, 4, 5])
SELF_LAYER, OTHERS_LAYER = 6, 7

OBS_TYPES = ("rgb", "symbolic")
RULES = ("ssd", "meltingpot")
VIEWS = ("centred", "meltingpot")


@dataclass
class GridDilemmaConfig:
    """Fields shared by Harvest and Cleanup. ``None`` means "the default of ``rules``"."""

    rules: str = "ssd"
    """Rule set: ``"ssd"`` (SSD codebase, default) or ``"meltingpot"`` (Melting Pot 2.4)."""
    num_agents: int | None = None
    """Players; default 5 (SSD) or 7 (Melting Pot)."""
    max_cycles: int = 1000
    """Steps per episode (episodes are truncated, never terminated)."""
    obs_type: str = "rgb"
    """``"rgb"`` (``uint8[h, w, 3]``) or ``"symbolic"`` (``uint8[h, w, 8]`` one-hot layers)."""
    view: str = "centred"
    """``"centred"``: square window of radius ``view_radius`` (SSD); ``"meltingpot"``:
    9 cells ahead, 1 behind, 5 to each side (11 x 11)."""
    view_radius: int = 7
    """Radius of the centred window (7 -> 15 x 15)."""
    rotate_view: bool = True
    """Turn the window with the avatar (forward is up)."""
    ascii_map: Any = None
    """Custom map (list of rows or a multi-line string); None: the env's default map."""
    beam_length: int | None = None
    """Penalty-beam length; default 5 (SSD) / 3 (Melting Pot)."""
    beam_width: int | None = None
    """Penalty-beam width (odd); default 3."""
    fire_cost: float | None = None
    """Reward added to the firer for each shot; default -1 (SSD) / 0 (Melting Pot)."""
    hit_penalty: float | None = None
    """Reward added to an agent for each beam that hits it; default -50 (SSD) / 0."""
    zap_cooldown: int | None = None
    """Steps after a shot before the next one is possible; default 0 (SSD) / env-specific."""
    removal_duration: int | None = None
    """Steps a hit agent is removed from the map; default 0 (SSD) / env-specific."""
    apple_reward: float = 1.0
    """Reward for eating an apple."""
    action_set: str = "ssd"
    """``"ssd"``: moves relative to the orientation plus turns (SSD);
    ``"absolute"``: north/east/south/west moves that also set the orientation, no turns
    (LIO/LASE variants); ``"fixed"``: absolute moves, orientation always north."""
    fire_enabled: bool = True
    """Whether the penalty-beam action exists."""

    # Rule-set defaults for the None fields; subclasses extend them.
    RULE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {
        "ssd": dict(
            num_agents=5,
            beam_length=5,
            beam_width=3,
            fire_cost=-1.0,
            hit_penalty=-50.0,
            zap_cooldown=0,
            removal_duration=0,
        ),
        "meltingpot": dict(
            num_agents=7,
            beam_length=3,
            beam_width=3,
            fire_cost=0.0,
            hit_penalty=0.0,
            zap_cooldown=2,
            removal_duration=4,
        ),
    }

    def __post_init__(self) -> None:
        check_choice("rules", self.rules, RULES)
        for name, value in self.RULE_DEFAULTS[self.rules].items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        check_choice("obs_type", self.obs_type, OBS_TYPES)
        check_choice("view", self.view, VIEWS)
        check_choice("action_set", self.action_set, ("ssd", "absolute", "fixed"))
        check_int("num_agents", self.num_agents, 1)
        check_int("max_cycles", self.max_cycles, 1)
        check_int("view_radius", self.view_radius, 0)
        check_int("beam_length", self.beam_length, 1)
        check_int("zap_cooldown", self.zap_cooldown, 0)
        check_int("removal_duration", self.removal_duration, 0)
        if self.beam_width < 1 or self.beam_width % 2 == 0:
            raise ValueError(f"beam_width={self.beam_width!r} must be a positive odd integer")


def check_probabilities(name: str, values: Any, length: int | None = None) -> tuple[float, ...]:
    """Validate a probability or table of probabilities; return it as a tuple."""
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1 or (length is not None and len(arr) != length):
        raise ValueError(f"{name}={values!r} must be {length or 'a list of'} probabilities")
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{name}={values!r} must lie in [0, 1]")
    return tuple(float(x) for x in arr)


class GridDilemma(Sim):
    """Batched avatars on a map: the part Harvest and Cleanup share (see module doc).

    Subclasses define ``DEFAULT_MAP``, ``LEGEND``, ``extra_actions`` (after fire) and the
    hooks ``_reset_resources(idx)``, ``_extra_actions(actions, occ, rewards)`` and
    ``_grow_resources(occ)``.

    State (``B`` copies, ``N`` agents): ``cells uint8[B, H, W]``, ``pos int64[B, N, 2]``,
    ``ori int64[B, N]``, ``removed_for int64[B, N]`` (steps left out of the game; 0 =
    active), ``cooldown int64[B, N]`` (steps until the agent may fire again).
    """

    render_fps = 8
    DEFAULT_MAP: ClassVar[list[str]] = []
    LEGEND: ClassVar[dict[str, int]] = {}
    extra_action_names: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        cfg = self.config
        self.map = grid.parse_map(cfg.ascii_map or self.DEFAULT_MAP, self.LEGEND)
        H, W = self.map.shape
        N = self.num_agents = int(cfg.num_agents)
        if len(self.map.spawn_points) < N:
            raise ValueError(
                f"num_agents={N} needs at least {N} spawn points ('P'); the map has "
                f"{len(self.map.spawn_points)}"
            )
        base = {
            "ssd": grid.RELATIVE_ACTIONS,
            "absolute": grid.ABSOLUTE_ACTIONS,
            "fixed": grid.ABSOLUTE_ACTIONS,
        }[cfg.action_set]
        extra = (("fire",) if cfg.fire_enabled else ()) + self.extra_action_names
        self.actions = base.with_extra(*extra)
        self.FIRE = self.actions.names.index("fire") if cfg.fire_enabled else -1
        # Move direction and turned orientation by (orientation, action): decoding the
        # joint action is then two lookups (same values as ``ActionTable.decode`` and
        # ``grid.turn_agents``).
        o = np.arange(4)[:, None]
        move = np.broadcast_to(self.actions.move, (4, self.actions.n))
        if self.actions.relative:
            move = np.where(move >= 0, (move + o) & 3, grid.NO_MOVE)
        self._move_table = np.ascontiguousarray(move, dtype=np.int64)
        self._turn_table = grid.turn_agents(o, self.actions.turn[None, :]).astype(np.int64)
        self.action_space = gymnasium.spaces.Discrete(self.actions.n)
        self.beam = grid.beam_shape(
            cfg.beam_length, cfg.beam_width, "ssd" if cfg.rules == "ssd" else "meltingpot"
        )
        spec = (
            grid.ViewSpec.centred(cfg.view_radius, cfg.rotate_view)
            if cfg.view == "centred"
            else grid.ViewSpec.meltingpot(rotate=cfg.rotate_view)
        )
        self.view = grid.EgocentricView(spec, H, W, outside_code=OUTSIDE)
        vh, vw = spec.shape
        if cfg.obs_type == "rgb":
            self.observation_space = gymnasium.spaces.Box(0, 255, (vh, vw, 3), np.uint8)
        else:
            self.observation_space = gymnasium.spaces.Box(
                0, 1, (vh, vw, len(SYMBOLIC_LAYERS)), np.uint8
            )
        self.agent_codes = (AGENT0 + np.arange(N)).astype(np.uint8)
        self.palette = np.concatenate([CELL_COLOURS, grid.agent_palette(N)])
        self._rgb_lookup = grid.CodeLookup(self.palette)
        # Symbolic lookups see the observer's own avatar as one extra code, ``self_code``.
        self.self_code = AGENT0 + N
        self.symbolic_table = grid.one_hot_table(
            np.concatenate([_LAYER_OF_CELL, np.full(N, OTHERS_LAYER), [SELF_LAYER]]),
            len(SYMBOLIC_LAYERS),
        )
        self._symbolic_lookup = grid.CodeLookup(self.symbolic_table)
        self.walls = self.map.cells == WALL  # [H, W]: static in both games
        self.passable = ~self.walls
        B = self.num_envs
        self.cells = np.broadcast_to(self.map.cells, (B, H, W)).copy()
        self.pos = np.zeros((B, N, 2), dtype=np.int64)
        self.ori = np.zeros((B, N), dtype=np.int64)
        self.removed_for = np.zeros((B, N), dtype=np.int64)
        self.cooldown = np.zeros((B, N), dtype=np.int64)
        # Beam cells drawn in this step's observations: (copy, row, col, code).
        self._overlay = _EMPTY_OVERLAY
        self._setup_resources()

    def _setup_resources(self) -> None:
        """Static tables of the resource dynamics (subclass hook)."""

    # ------------------------------------------------------------------ reset
    def _reset(self, idx: np.ndarray) -> None:
        self.cells[idx] = self.map.cells
        pos, ori = grid.spawn_agents(self.rng, idx, self.map.spawn_points, self.num_agents)
        self.pos[idx] = pos
        self.ori[idx] = _FIXED_ORIENTATION if self.config.action_set == "fixed" else ori
        self.removed_for[idx] = 0
        self.cooldown[idx] = 0
        if len(self._overlay[0]):
            keep = ~np.isin(self._overlay[0], idx)
            self._overlay = tuple(a[keep] for a in self._overlay)
        self._reset_resources(idx)

    def _reset_resources(self, idx: np.ndarray) -> None:
        """Initial resources of copies ``idx`` (subclass hook; cells are the map's)."""

    # ------------------------------------------------------------------ step
    def active(self) -> np.ndarray:
        return self.removed_for == 0

    def inactive(self) -> np.ndarray:
        return self.removed_for > 0

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        B, N = actions.shape
        H, W = self.map.shape
        rewards = np.zeros((B, N), dtype=np.float32)
        active = self.removed_for == 0
        all_active = bool(active.all())
        act_mask = None if all_active else active

        # 1. Turns and moves (SSD map_env: moves resolved in a random order).
        move_dir = self._move_table[self.ori, actions]
        if cfg.action_set == "ssd":
            turned = self._turn_table[self.ori, actions]
            self.ori = turned if all_active else np.where(active, turned, self.ori)
        order = self.rng.permutation(N)
        occ = grid.occupancy(self.pos, (H, W), act_mask)
        moved = grid.move_agents(self.pos, move_dir, order, self.passable, occ, act_mask)
        if cfg.action_set == "absolute":
            # A move action faces the avatar in its direction, even when blocked (LASE).
            self.ori = np.where((move_dir >= 0) & active, move_dir, self.ori)

        # 2. Eating: an agent that entered an apple cell eats it (+apple_reward).
        self._eat(moved, rewards)

        # 3. Beams from the new positions, cast simultaneously.
        overlay = []
        self._just_removed = _NO_AGENTS
        if self.FIRE >= 0:
            overlay.append(self._fire(actions, active, occ, rewards))
        overlay.append(self._extra_actions(actions, active, occ, rewards))
        overlay = [o for o in overlay if o is not None]
        if len(overlay) > 1:
            self._overlay = tuple(np.concatenate(parts) for parts in zip(*overlay))
        else:
            self._overlay = overlay[0] if overlay else _EMPTY_OVERLAY

        # 4. Tag-out clock: removed agents come back after their time, at a free spawn point.
        self._tick_removal()

        # 5. Resources regrow / spawn (agents on a cell keep it from growing). ``occ``
        # was kept current by the moves; removals and respawns need a fresh one.
        if cfg.removal_duration:
            occ = grid.occupancy(self.pos, (H, W), self.removed_for == 0)
        self._grow_resources(occ)
        return rewards, np.zeros((B, N), dtype=bool)

    def _eat(self, moved: np.ndarray, rewards: np.ndarray) -> None:
        if moved.shape[0] == 1:
            self._eat_one(moved, rewards)
            return
        b, a = np.nonzero(moved)
        if not len(b):
            return
        r, c = self.pos[b, a, 0], self.pos[b, a, 1]
        ate = self.cells[b, r, c] == APPLE
        if not ate.any():
            return
        b, a, r, c = b[ate], a[ate], r[ate], c[ate]
        self.cells[b, r, c] = EMPTY
        rewards[b, a] += self.config.apple_reward
        self.events.add(EventKind.EAT, b, actor=a, row=r, col=c, value=self.config.apple_reward)

    def _eat_one(self, moved: np.ndarray, rewards: np.ndarray) -> None:
        """:meth:`_eat` for one copy with Python scalars (same effects, same event order)."""
        cells, pos = self.cells[0], self.pos[0]
        eaters, rows, cols = [], [], []
        for a in moved[0].nonzero()[0].tolist():
            r, c = pos[a].tolist()
            if cells[r, c] == APPLE:
                cells[r, c] = EMPTY
                eaters.append(a)
                rows.append(r)
                cols.append(c)
        if eaters:
            rewards[0, eaters] += self.config.apple_reward
            self.events.add(
                EventKind.EAT,
                np.zeros(len(eaters), dtype=np.int64),
                actor=eaters,
                row=rows,
                col=cols,
                value=self.config.apple_reward,
            )

    def _fire(self, actions, active, occ, rewards):
        cfg = self.config
        firing = (actions == self.FIRE) & active
        if cfg.zap_cooldown:
            firing &= self.cooldown == 0
            self.cooldown = np.maximum(self.cooldown - 1, 0)
            self.cooldown[firing] = cfg.zap_cooldown - 1
        if not firing.any():
            return None
        rewards += firing * np.float32(cfg.fire_cost)
        res = grid.cast_beams(self.pos, self.ori, firing, self.beam, self.walls, occ)
        b, i, j = res.hit_env, res.hit_firer, res.hit_target
        if len(b):
            if rewards.shape[0] == 1:  # one copy: the same float32 adds, in order
                for target in j.tolist():
                    rewards[0, target] += np.float32(cfg.hit_penalty)
            else:
                np.add.at(rewards, (b, j), np.float32(cfg.hit_penalty))
            self.events.add(
                EventKind.ZAP,
                b,
                actor=i,
                target=j,
                row=self.pos[b, j, 0],
                col=self.pos[b, j, 1],
                value=cfg.hit_penalty,
            )
            if cfg.removal_duration:
                hit = np.zeros(self.removed_for.shape, dtype=bool)
                hit[b, j] = True
                hb, hj = np.nonzero(hit)
                self.removed_for[hb, hj] = cfg.removal_duration
                self._just_removed = hit
                self.events.add(
                    EventKind.REMOVE,
                    hb,
                    target=hj,
                    row=self.pos[hb, hj, 0],
                    col=self.pos[hb, hj, 1],
                    value=cfg.removal_duration,
                )
        rb, _, rr, rc = res.reached_cells()
        return rb, rr, rc, np.full(len(rb), BEAM, np.uint8)

    def _extra_actions(self, actions, active, occ, rewards):
        """Env-specific actions (e.g. Cleanup's clean beam); return an overlay or None."""
        return None

    def _tick_removal(self) -> None:
        if not self.config.removal_duration:
            return
        waiting = self.removed_for > 0
        if not waiting.any():
            return
        # Agents hit this step were set to the full duration; count down the others. The
        # decrement happens after the step in which the count was set, so a duration of
        # D keeps the agent out for exactly D steps (D inactive observations).
        dec = waiting & ~self._just_removed
        self.removed_for[dec] -= 1
        back = dec & (self.removed_for == 0)
        if back.any():
            self._respawn(back)

    def _respawn(self, back: np.ndarray) -> None:
        """Put returning agents on random free spawn points, one agent index at a time."""
        H, W = self.map.shape
        sp = self.map.spawn_points
        for n in range(self.num_agents):
            idx = np.flatnonzero(back[:, n])
            if not len(idx):
                continue
            active = self.removed_for[idx] == 0
            occ = grid.occupancy(self.pos[idx], (H, W), active & (np.arange(self.num_agents) != n))
            free = occ[:, sp[:, 0], sp[:, 1]] < 0
            pos, ori = grid.spawn_agents(self.rng, idx, sp, 1, free)
            self.pos[idx, n] = pos[:, 0]
            if self.config.action_set != "fixed":
                self.ori[idx, n] = ori[:, 0]
            self.events.add(EventKind.RESPAWN, idx, target=n, row=pos[:, 0, 0], col=pos[:, 0, 1])

    def _grow_resources(self, occ: np.ndarray) -> None:
        """Regrow apples / spawn waste (subclass hook)."""

    # ------------------------------------------------------------------ observations
    def _observe(self, idx: np.ndarray) -> np.ndarray:
        cells = self.cells if len(idx) == self.num_envs else self.cells[idx]
        ob, orr, oc, ocode = self._overlay
        if len(ob):
            if len(idx) != self.num_envs:
                pos_in = np.full(self.num_envs, -1)
                pos_in[idx] = np.arange(len(idx))
                sel = pos_in[ob] >= 0
                ob, orr, oc, ocode = pos_in[ob[sel]], orr[sel], oc[sel], ocode[sel]
            if len(ob):
                cells = cells.copy()
                cells[ob, orr, oc] = ocode
        full = len(idx) == self.num_envs  # every copy, in order
        if full:
            pos, ori, active = self.pos, self.ori, self.removed_for == 0
        else:
            pos, ori, active = self.pos[idx], self.ori[idx], self.removed_for[idx] == 0
        all_active = bool(active.all())
        # The codes and the symbolic self-mask are intermediates: for the full batch
        # they go to buffers kept across steps (fresh multi-MB arrays every step cost
        # page faults, measured at up to half the time of a B=1024 step).
        buffers = self._observe_buffers() if full else (None, None)
        codes = self.view.gather(
            cells, pos, ori, self.agent_codes, None if all_active else active, out=buffers[0]
        )
        if self.config.obs_type == "rgb":
            obs = self._rgb_lookup(codes)
        else:
            own = np.equal(codes, self.agent_codes[None, :, None, None], out=buffers[1])
            np.copyto(codes, np.uint8(self.self_code), where=own)
            obs = self._symbolic_lookup(codes)
        if not all_active:
            # A removed agent sees nothing: its observation is all zeros, which no
            # ordinary observation is (its own avatar is always in view).
            obs[~active] = 0
        return obs

    def _observe_buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """Reused ``uint8`` codes and ``bool`` mask arrays ``[B, N, vh, vw]``."""
        shape = (self.num_envs, self.num_agents, *self.view.shape)
        buffers = getattr(self, "_obs_buffers", None)
        if buffers is None or buffers[0].shape != shape:
            buffers = self._obs_buffers = (np.empty(shape, np.uint8), np.empty(shape, bool))
        return buffers

    # ------------------------------------------------------------------ rendering
    def _frame_codes(self, env: int) -> np.ndarray:
        codes = self.cells[env].copy()
        ob, orr, oc, ocode = self._overlay
        sel = ob == env
        codes[orr[sel], oc[sel]] = ocode[sel]
        active = self.removed_for[env] == 0
        p = self.pos[env][active]
        codes[p[:, 0], p[:, 1]] = self.agent_codes[active]
        return codes

    def _render(self, env: int) -> np.ndarray:
        return grid.render_rgb(self._frame_codes(env), self.palette, scale=8)

    def _render_ansi(self, env: int) -> str:
        text = grid.render_ansi(
            self.cells[env], CELL_CHARS, self.pos[env], self.ori[env], self.removed_for[env] == 0
        )
        return f"{self.name} t={int(self.t[env])}\n{text}"

    def global_state(self) -> np.ndarray:
        """Cell codes with agents drawn, ``uint8[B, H, W]`` (compact central state)."""
        return np.stack([self._frame_codes(b) for b in range(self.num_envs)])


_FIXED_ORIENTATION = grid.NORTH
_NO_AGENTS = np.zeros((1, 1), dtype=bool)  # broadcasts as 'nobody'
_EMPTY_OVERLAY = (
    np.zeros(0, np.int64),
    np.zeros(0, np.int64),
    np.zeros(0, np.int64),
    np.zeros(0, np.uint8),
)
