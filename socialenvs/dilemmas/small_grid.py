"""Shared mechanics of LASE's small sequential dilemmas (stag hunt, snowdrift).

Kong et al. 2024 (LASE, arXiv 2410.07863, §5 and appendix; development code
``kfq20/Empathy`` ``env.py``) use small open gridworlds where ``N`` agents walk with
absolute moves among static objects and act on the object under them with one extra
action. This module holds what both games share, on the grid core
(:mod:`socialenvs.core.grid`):

* an open ``size x size`` board with no interior walls; the map edge blocks moves;
* actions: the grid core's ``ABSOLUTE_ACTIONS`` (0 north, 1 east, 2 south, 3 west,
  4 stay) plus one game action (5: hunt / remove), so ``Discrete(6)``;
* agents may share a cell (co-location is how stag hunters cooperate); they move
  simultaneously;
* ``K`` objects of a few kinds on distinct cells; agents and objects start on distinct
  uniformly drawn cells (our choice: no source fixes the start state);
* observations: an egocentric, non-rotating ``(2r+1) x (2r+1)`` window centred on the
  agent, ``uint8`` one-hot planes ``[self, other agents in seat order after self...,
  object kinds..., outside the board]`` (``symbolic``, ``N + kinds + 1`` planes:
  ``N + 3`` for the stag hunt, ``N + 2`` for the snowdrift game, as in the LASE code's
  channel counts) or an RGB picture of the same window (``rgb``); the planes of other
  agents are ordered ``i+1, i+2, ...`` (mod N), so one shared policy can play any seat;
* inactive agents (the stag hunt's hunters after a catch) are not drawn, do not move
  and do not act; they stay in ``agents`` until the episode ends for everyone.
"""

from __future__ import annotations

import gymnasium
import numpy as np

from socialenvs.core.config import check_int
from socialenvs.core.grid import ABSOLUTE_ACTIONS, DIRECTIONS, NO_MOVE, agent_palette, render_rgb
from socialenvs.core.sim import Sim

ACTIONS = ABSOLUTE_ACTIONS.with_extra("act")
STAY = ABSOLUTE_ACTIONS.index("stay")
ACT = ACTIONS.n - 1
MOVES = np.array([DIRECTIONS[m] if m != NO_MOVE else (0, 0) for m in ACTIONS.move], np.int64)
OBS_TYPES = ("symbolic", "rgb")


class SmallGridGame(Sim):
    """Base class: subclasses set ``kind_names``, ``kind_colours`` and implement
    ``_object_kinds()`` (``int64[K]`` kind of each object) and ``_interact``."""

    kind_names: tuple[str, ...] = ()
    kind_colours: np.ndarray = np.zeros((0, 3), np.uint8)
    render_fps = 6

    def _object_kinds(self) -> np.ndarray:
        raise NotImplementedError

    def _interact(self, acting: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply the game action; return ``(rewards float32[B, N], terminated bool[B])``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        cfg = self.config
        S, N = int(cfg.grid_size), int(cfg.num_agents)
        self.size, self.num_agents = S, N
        self.kinds = self._object_kinds()
        K, nk = len(self.kinds), len(self.kind_names)
        if N + K > S * S:
            raise ValueError(
                f"{N} agents and {K} objects do not fit on a {S}x{S} board; "
                "use a larger grid_size or fewer objects"
            )
        r = int(cfg.view_radius)
        self.view = 2 * r + 1
        self.num_planes = N + nk + 1
        if cfg.obs_type == "symbolic":
            self.observation_space = gymnasium.spaces.Box(
                0, 1, (self.view, self.view, self.num_planes), np.uint8
            )
        else:
            self.observation_space = gymnasium.spaces.Box(
                0, 255, (self.view, self.view, 3), np.uint8
            )
        self.action_space = gymnasium.spaces.Discrete(ACTIONS.n)
        B = self.num_envs
        self.pos = np.zeros((B, N, 2), dtype=np.int64)
        self.obj_cell = np.zeros((B, K), dtype=np.int64)  # flat cell of each object
        self.alive = np.zeros((B, K), dtype=bool)
        self.active = np.ones((B, N), dtype=bool)
        # rgb colours: self, others (one colour), kinds..., outside, empty
        self.ego_palette = np.concatenate(
            [
                np.array([[60, 120, 255], [255, 70, 70]], np.uint8),
                self.kind_colours,
                np.array([[90, 90, 90], [0, 0, 0]], np.uint8),
            ]
        )

    # ------------------------------------------------------------------ episode
    def _reset(self, idx: np.ndarray) -> None:
        S, N, K = self.size, self.num_agents, len(self.kinds)
        cells = self.rng.choose(np.ones((len(idx), S * S), dtype=bool), N + K, idx)
        self.pos[idx] = np.stack(np.divmod(cells[:, :N], S), axis=-1)
        self.obj_cell[idx] = cells[:, N:]
        self.alive[idx] = True
        self.active[idx] = True

    def inactive(self) -> np.ndarray:
        return ~self.active

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        S = self.size
        moving = self.active[..., None]
        self.pos = np.clip(self.pos + MOVES[actions] * moving, 0, S - 1)
        cell = self.pos[..., 0] * S + self.pos[..., 1]  # [B, N]
        acting = (actions == ACT) & self.active
        rewards, terminated = self._interact(acting, cell)
        return rewards, np.broadcast_to(terminated[:, None], rewards.shape).copy()

    def _on_object(self, cell: np.ndarray) -> np.ndarray:
        """``bool[B, N, K]``: agent i stands on live object k."""
        return (cell[:, :, None] == self.obj_cell[:, None, :]) & self.alive[:, None, :]

    # ------------------------------------------------------------------ observations
    def _codes(self, idx: np.ndarray) -> np.ndarray:
        """``int64[b, N, v, v]`` object code in each agent's window: kind, ``nk`` outside,
        ``nk + 1`` empty."""
        S, nk = self.size, len(self.kind_names)
        r = self.view // 2
        board = np.full((len(idx), S * S), nk + 1, dtype=np.int64)
        b, k = np.nonzero(self.alive[idx])
        board[b, self.obj_cell[idx][b, k]] = self.kinds[k]
        off = np.arange(-r, r + 1)
        rows = self.pos[idx][:, :, 0, None, None] + off[None, None, :, None]
        cols = self.pos[idx][:, :, 1, None, None] + off[None, None, None, :]
        inside = (rows >= 0) & (rows < S) & (cols >= 0) & (cols < S)
        flat = np.clip(rows, 0, S - 1) * S + np.clip(cols, 0, S - 1)
        codes = board[np.arange(len(idx))[:, None, None, None], flat]
        return np.where(inside, codes, nk)

    def _agent_offsets(self, idx: np.ndarray):
        """Window coordinates of every agent j in observer i's view, and visibility."""
        r = self.view // 2
        pos, act = self.pos[idx], self.active[idx]
        d = pos[:, None, :, :] - pos[:, :, None, :] + r  # [b, i, j, 2]
        visible = (d >= 0).all(-1) & (d < self.view).all(-1) & act[:, None, :]
        return d, visible

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        N, nk, v = self.num_agents, len(self.kind_names), self.view
        codes = self._codes(idx)  # [b, N, v, v]
        d, visible = self._agent_offsets(idx)
        b, i, j = np.nonzero(visible)
        if self.config.obs_type == "symbolic":
            obs = np.zeros((len(idx), N, v, v, self.num_planes), dtype=np.uint8)
            plane = np.where(codes <= nk, N + codes, -1)
            bb, ii, rr, cc = np.nonzero(plane >= 0)
            obs[bb, ii, rr, cc, plane[bb, ii, rr, cc]] = 1
            obs[b, i, d[b, i, j, 0], d[b, i, j, 1], (j - i) % N] = 1
            return obs
        # rgb: object/outside/empty colour, then others, then self on top
        colour_code = codes + 2
        other = j != i
        colour_code[b[other], i[other], d[b, i, j, 0][other], d[b, i, j, 1][other]] = 1
        own = ~other
        colour_code[b[own], i[own], d[b, i, j, 0][own], d[b, i, j, 1][own]] = 0
        return self.ego_palette[colour_code]

    def visible_agents(self) -> np.ndarray:
        """``bool[B, N, N]``: agent j is inside agent i's view (LASE's PT visibility)."""
        return self._agent_offsets(self._all)[1]

    # ------------------------------------------------------------------ rendering
    def _board_codes(self, env: int) -> np.ndarray:
        S, nk = self.size, len(self.kind_names)
        board = np.full(S * S, nk, dtype=np.int64)  # nk = empty in the render palette
        k = np.flatnonzero(self.alive[env])
        board[self.obj_cell[env, k]] = self.kinds[k]
        return board.reshape(S, S)

    def _render(self, env: int) -> np.ndarray:
        nk = len(self.kind_names)
        palette = np.concatenate(
            [
                self.kind_colours,
                np.array([[235, 235, 235]], np.uint8),
                agent_palette(self.num_agents),
            ]
        )
        board = self._board_codes(env)
        for i in range(self.num_agents):
            if self.active[env, i]:
                board[tuple(self.pos[env, i])] = nk + 1 + i
        return render_rgb(board, palette, scale=16)

    def _render_ansi(self, env: int) -> str:
        letters = "".join(n[0].upper() for n in self.kind_names) + "."
        text = np.array(list(letters), dtype="<U1")[self._board_codes(env)]
        for i in range(self.num_agents):
            if self.active[env, i]:
                text[tuple(self.pos[env, i])] = str(i % 10)
        return f"t={int(self.t[env])}\n" + "\n".join("".join(row) for row in text)


def check_common(cfg) -> None:
    """Validation shared by the configs of the small grid games."""
    for name, low in (("grid_size", 2), ("num_agents", 2), ("view_radius", 1), ("max_cycles", 1)):
        v = getattr(cfg, name)
        check_int(name, v, low)
    if cfg.obs_type not in OBS_TYPES:
        raise ValueError(
            f"obs_type={cfg.obs_type!r} is not allowed; choose one of {list(OBS_TYPES)}"
        )
