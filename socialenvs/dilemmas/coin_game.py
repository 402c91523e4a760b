"""The coin game: a two-player social dilemma on a small grid.

| | |
|---|---|
| Creation | ``socialenvs.make("coin_game_v0")``, ``socialenvs.make_vec("coin_game_v0", num_envs=1024)`` |
| Agents | ``player_0`` (red), ``player_1`` (blue) |
| Actions | ``Discrete(5)`` (``Discrete(4)`` with ``num_actions=4``) |
| Observation | ``Box(0, 1, (S, S, 4), uint8)`` (``symbolic``) or ``Box(0, 255, (S, S, 3), uint8)`` (``rgb``) |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Two players walk on an ``S x S`` board (a torus by default) on which coins appear. Every
coin has the colour of one player, its *owner*. Whoever steps onto a coin picks it up and
receives +1, whatever its colour; if the coin belongs to the other player, that player
receives -2. If both players greedily take every coin, each expects 0 per coin; if both
take only their own coins, each gains +1 per coin of its colour: a sequential prisoner's dilemma
with a high-dimensional state (Lerer & Peysakhovich 2017, *Maintaining cooperation in
complex social dilemmas using deep reinforcement learning*, arXiv 1707.01068, the Coins
game of its experiments; popularised by LOLA, Foerster et al. 2018, arXiv 1709.04326,
as the Coin Game on a 3x3 board).

### Rules

* One coin is on the board at a time, of a colour drawn uniformly from the two players'
  colours (the rules as Kong et al. 2024's LASE development code, ``kfq20/Empathy``
  ``env.py``, states them). With ``twin_coins=True`` one coin of *each* colour is always
  on the board instead: the layout of JaxMARL v0.2's ``coin_game``.
* Each step both players move at once: ``0`` up (north), ``1`` right (east), ``2`` down
  (south), ``3`` left (west), ``4`` stay (absent when ``num_actions=4``, as in the LASE
  development code); the grid core's ``ABSOLUTE_ACTIONS``. On a torus
  a move across an edge wraps around; with ``torus=False`` it leaves the player in place.
  Players may share a cell.
* A player whose new cell holds a coin picks it up: the taker gets ``own_coin_reward``
  (own colour) or ``other_coin_reward`` (other colour), and in the second case the owner
  gets ``coin_loss_penalty``. Defaults 1, 1, -2 (Lerer & Peysakhovich 2017; JaxMARL's
  payoff matrix ``[[1, 1, -2], [1, 1, -2]]``).
* If both players step onto the same coin in the same step, *both* pick it up and each
  pickup is paid as above (so a stolen own coin nets its owner 1 - 2 = -1): JaxMARL's rule.
* A picked-up coin is replaced in the same step by a new coin (of a random colour when
  ``twin_coins=False``, of the same colour otherwise) at a cell drawn uniformly from the
  cells holding neither a player nor another coin. (JaxMARL draws from all cells, so a
  coin may appear under a player there; we exclude them so that every coin must be
  walked to.)
* At reset the two players are put on two distinct uniformly drawn cells and the coin(s)
  on distinct free cells (our choice: no source fixes the start state).

### Episodes (no meta-episode)

An episode is ``max_cycles`` steps; it is truncated (never terminated) after the last
step, and that is the only boundary there is: there are no inner/outer (meta-)episodes,
``terminated``/``truncated`` always mean the end of *this* episode, and the board is only
re-drawn on reset. JaxMARL v0.2 instead runs 10 inner episodes of 10 steps inside one
outer episode, marks only the outer end as ``done`` and reports the inner end in
``info["inner_episode_done"]``; to train on its inner episodes use ``preset="jaxmarl"``
(``max_cycles=10``, twin coins), and run several episodes for the outer loop.

### Observations

``obs_type="symbolic"`` (default): ``S x S x 4`` uint8 one-hot planes over the board,
**egocentric in colour** so that one shared policy can play either seat:

| plane | meaning |
|---|---|
| 0 | the observing player's position |
| 1 | the other player's position |
| 2 | coins of the observing player's colour |
| 3 | coins of the other player's colour |

Positions are absolute, unless ``centred_view=True``: then the torus is shifted so that
the observer sits at the centre cell ``(S // 2, S // 2)`` (JaxMARL's ``egocentric=True``).
``obs_type="rgb"``: the same
information as an ``S x S x 3`` image, one pixel per cell, again with egocentric colours
(self, other, own coin, other's coin, both players on one cell; see ``EGO_PALETTE``).

### Rewards

Per step, per player: the sum of its pickup rewards and of the penalties for its coins
taken by the other player (see Rules).

### Events and statistics

Every pickup emits a ``COLLECT`` event: ``actor`` = taker, ``target`` = owner,
``context`` = owner, ``row``/``col`` = cell, ``value`` = the taker's reward for it.
Episode statistics count ``own_coins`` (coins taken by their owner) and ``other_coins``
(coins taken from the other player) over both players; the usual cooperation measure is
``own_coins / (own_coins + other_coins)`` (1/2 for random play with one coin).

### Arguments

* ``grid_size`` (int, 3): side ``S`` of the square board (>= 2); 3 as in JaxMARL and
  LOLA, 5 in the LASE development code.
* ``num_actions`` (int, 5): 5 (four moves and stay) or 4 (moves only).
* ``torus`` (bool, True): wrap moves around the edges.
* ``twin_coins`` (bool, False): keep one coin of each colour on the board (JaxMARL).
* ``own_coin_reward`` (float, 1.0), ``other_coin_reward`` (float, 1.0),
  ``coin_loss_penalty`` (float, -2.0): the payoffs above.
* ``obs_type`` (str, ``"symbolic"``): ``"symbolic"`` or ``"rgb"``.
* ``centred_view`` (bool, False): centre each observation on the observer (torus only).
* ``max_cycles`` (int, 100): steps per episode. No source gives Lerer & Peysakhovich's
  length; 100 is the LASE development code's and the length of one JaxMARL outer episode.

Presets (``preset=``): ``lase`` (5x5, 4 actions, 100 steps: Kong et al. 2024's
development code, ``kfq20/Empathy`` ``env.py``) and ``jaxmarl`` (3x3, 5 actions, twin
coins, 10 steps: one JaxMARL v0.2 inner episode).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int
from socialenvs.core.events import EventKind
from socialenvs.core.grid import ABSOLUTE_ACTIONS, DIRECTIONS, NO_MOVE, agent_palette
from socialenvs.core.sim import Sim

# The grid core's absolute action set: 0 north (up), 1 east (right), 2 south (down),
# 3 west (left), 4 stay; with num_actions=4 the stay action is dropped.
ACTIONS = ABSOLUTE_ACTIONS
UP, RIGHT, DOWN, LEFT, STAY = (ACTIONS.index(a) for a in ACTIONS.names)
# (row, col) displacement of each action.
MOVES = np.array([DIRECTIONS[m] if m != NO_MOVE else (0, 0) for m in ACTIONS.move], dtype=np.int64)

OBS_TYPES = ("symbolic", "rgb")
SELF, OTHER, OWN_COIN, OTHER_COIN = range(4)  # symbolic planes, egocentric
NUM_PLANES = 4

# Egocentric pixel colours for ``obs_type="rgb"``, indexed by cell code.
EMPTY_CODE, SELF_CODE, OTHER_CODE, OWN_COIN_CODE, OTHER_COIN_CODE, BOTH_CODE = range(6)
EGO_PALETTE = np.array(
    [
        [0, 0, 0],  # empty
        [60, 120, 255],  # the observing player
        [255, 70, 70],  # the other player
        [150, 200, 255],  # a coin of the observing player's colour
        [255, 170, 170],  # a coin of the other player's colour
        [200, 80, 255],  # both players on one cell
    ],
    dtype=np.uint8,
)
# Absolute colours for rendering: player_0 red, player_1 blue (coins lighter).
PLAYER_COLOURS = agent_palette(2)
COIN_COLOURS = (PLAYER_COLOURS // 2 + 127).astype(np.uint8)
CELL_PX = 24


@dataclass
class CoinGameConfig:
    grid_size: int = 3
    """Side of the square board."""
    num_actions: int = 5
    """5 (up, down, left, right, stay) or 4 (no stay)."""
    torus: bool = True
    """Moves wrap around the board's edges; otherwise they stop at the edge."""
    twin_coins: bool = False
    """One coin of each colour always on the board (JaxMARL) instead of one coin."""
    own_coin_reward: float = 1.0
    """Reward for picking up a coin of one's own colour."""
    other_coin_reward: float = 1.0
    """Reward for picking up a coin of the other player's colour."""
    coin_loss_penalty: float = -2.0
    """Reward of a coin's owner when the other player picks it up."""
    obs_type: str = "symbolic"
    """``"symbolic"`` (S x S x 4 one-hot planes) or ``"rgb"`` (S x S x 3 image)."""
    centred_view: bool = False
    """Re-centre each observation on the observer (torus only; JaxMARL's ``egocentric``)."""
    max_cycles: int = 100
    """Steps per episode."""

    PRESETS = {
        "lase": {"grid_size": 5, "num_actions": 4, "max_cycles": 100},
        "jaxmarl": {"grid_size": 3, "num_actions": 5, "twin_coins": True, "max_cycles": 10},
    }

    def __post_init__(self) -> None:
        check_int("grid_size", self.grid_size, 2)
        check_choice("num_actions", self.num_actions, (4, 5))
        check_choice("obs_type", self.obs_type, OBS_TYPES)
        if self.centred_view and not self.torus:
            raise ValueError(
                "centred_view=True needs torus=True (a centred view of a bounded board "
                "would need padding); allowed: centred_view=False or torus=True"
            )
        check_int("max_cycles", self.max_cycles, 1)
        for name in ("own_coin_reward", "other_coin_reward", "coin_loss_penalty"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(
                value
            ):
                raise ValueError(f"{name}={value!r} must be a finite number")


def _own_coin(events: np.ndarray) -> np.ndarray:
    """Event filter: a coin picked up by its owner."""
    return (events["kind"] == EventKind.COLLECT) & (events["actor"] == events["context"])


def _other_coin(events: np.ndarray) -> np.ndarray:
    """Event filter: a coin picked up from the other player."""
    return (events["kind"] == EventKind.COLLECT) & (events["actor"] != events["context"])


def cooperation(own_coins: np.ndarray, other_coins: np.ndarray) -> np.ndarray:
    """Share of picked-up coins taken by their owner (``nan`` when none were taken)."""
    own = np.asarray(own_coins, dtype=np.float64)
    total = own + np.asarray(other_coins, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, own / np.maximum(total, 1), np.nan)


class CoinGame(Sim):
    __doc__ = __doc__
    name = "coin_game_v0"
    config_class = CoinGameConfig
    render_fps = 5
    episode_event_metrics = {"own_coins": _own_coin, "other_coins": _other_coin}

    def _setup(self) -> None:
        cfg = self.config
        S = int(cfg.grid_size)
        self.size = S
        self.num_cells = S * S
        self.num_agents = 2
        self.num_coins = 2 if cfg.twin_coins else 1
        self.action_space = gymnasium.spaces.Discrete(int(cfg.num_actions))
        if cfg.obs_type == "symbolic":
            self.observation_space = gymnasium.spaces.Box(0, 1, (S, S, NUM_PLANES), np.uint8)
        else:
            self.observation_space = gymnasium.spaces.Box(0, 255, (S, S, 3), np.uint8)

        # next_cell[cell, action]: the cell a move leads to (torus or clamped at edges).
        rows, cols = np.divmod(np.arange(self.num_cells), S)
        r = rows[:, None] + MOVES[None, :, 0]
        c = cols[:, None] + MOVES[None, :, 1]
        if cfg.torus:
            r, c = r % S, c % S
        else:
            inside = (r >= 0) & (r < S) & (c >= 0) & (c < S)
            r = np.where(inside, r, rows[:, None])
            c = np.where(inside, c, cols[:, None])
        self.next_cell = r * S + c

        self.rewards_table = np.array(
            [cfg.own_coin_reward, cfg.other_coin_reward, cfg.coin_loss_penalty], np.float32
        )
        B, K = self.num_envs, self.num_coins
        self.pos = np.zeros((B, 2), dtype=np.int64)  # flat cell of each player
        self.coin_pos = np.zeros((B, K), dtype=np.int64)
        # Owner of each coin; fixed (0, 1) with twin coins.
        self.coin_owner = np.tile(np.arange(K, dtype=np.int64), (B, 1))
        self._agent_ids = np.arange(2, dtype=np.int64)
        self._base = self._make_base(B)
        # centred_cell[self, cell]: where ``cell`` appears in a view centred on ``self``.
        self.centre = (S // 2) * S + S // 2
        dr = (rows[None, :] - rows[:, None] + S // 2) % S
        dc = (cols[None, :] - cols[:, None] + S // 2) % S
        self.centred_cell = dr * S + dc

    # ------------------------------------------------------------------ rules
    def _free_cells(self, idx: np.ndarray, exclude_coin: int) -> np.ndarray:
        """``bool[len(idx), cells]``: cells holding no player and no coin other than
        ``exclude_coin`` (-1: exclude no coin)."""
        free = np.ones((len(idx), self.num_cells), dtype=bool)
        rows = np.arange(len(idx))[:, None]
        free[rows, self.pos[idx]] = False
        for k in range(self.num_coins):
            if k != exclude_coin:
                free[rows[:, 0], self.coin_pos[idx, k]] = False
        return free

    @staticmethod
    def _pick(free: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The ``floor(u * n_free)``-th free cell of each row: a uniform free cell."""
        counts = np.cumsum(free, axis=1)
        k = (u * counts[:, -1]).astype(np.int64)
        return (counts > k[:, None]).argmax(axis=1)

    def _reset(self, idx: np.ndarray) -> None:
        K = self.num_coins
        # Players on two distinct cells, coins on distinct free cells.
        self.pos[idx] = self.rng.choose(np.ones((len(idx), self.num_cells), bool), 2, idx)
        u = self.rng.uniform((2,), idx)
        if K == 1:
            self.coin_owner[idx, 0] = (u[:, 1] < 0.5).astype(np.int64)
        self.coin_pos[idx] = -1
        for k in range(K):
            self.coin_pos[idx, k] = self._pick(self._free_cells(idx, exclude_coin=k), u[:, k])

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        B, K = self.num_envs, self.num_coins
        self.pos = self.next_cell[self.pos, actions]  # [B, 2]
        hit = self.pos[:, :, None] == self.coin_pos[:, None, :]  # [B, player, coin]
        rewards = np.zeros((B, 2), dtype=np.float32)
        if hit.any():
            own = hit & (self.coin_owner[:, None, :] == self._agent_ids[None, :, None])
            stolen = (hit & ~own).sum(axis=2)  # [B, player]
            own_n = own.sum(axis=2)
            own_r, other_r, penalty = self.rewards_table
            rewards += own_r * own_n + other_r * stolen + penalty * stolen[:, ::-1]

            env, player, coin = np.nonzero(hit)
            owner = self.coin_owner[env, coin]
            cell = self.pos[env, player]
            self.events.add(
                EventKind.COLLECT,
                env,
                actor=player,
                target=owner,
                row=cell // self.size,
                col=cell % self.size,
                context=owner,
                value=np.where(owner == player, own_r, other_r),
            )
            picked = hit.any(axis=1)  # [B, coin]
            respawn = np.flatnonzero(picked.any(axis=1))
            # Only copies that replace a coin draw random numbers; a copy's stream still
            # depends on its own history alone, so copy i does not depend on B.
            u = self.rng.uniform((2,), respawn)
            for k in range(K):
                sel = picked[respawn, k]
                which = respawn[sel]
                if which.size == 0:
                    continue
                free = self._free_cells(which, exclude_coin=k)
                self.coin_pos[which, k] = self._pick(free, u[sel, k])
                if K == 1:
                    self.coin_owner[which, 0] = (u[sel, 1] < 0.5).astype(np.int64)
        return rewards, np.zeros((B, 2), dtype=bool)

    # ------------------------------------------------------------------ observations
    def _observe(self, idx: np.ndarray) -> np.ndarray:
        n, C = len(idx), self.num_cells
        pos = self.pos[idx]  # pos[:, i]: observer i's own cell
        other = pos[:, ::-1]
        coins = self.coin_pos[idx][:, None, :]  # [n, 1, coin]
        together = pos[:, :1] == pos[:, 1:]  # [n, 1]: both players on one cell
        if self.config.centred_view:  # cells as seen from each observer's own cell
            other = self.centred_cell[pos, other]
            coins = self.centred_cell[pos[:, :, None], coins]  # [n, observer, coin]
            pos = np.full_like(pos, self.centre)
        mine = self.coin_owner[idx][:, None, :] == self._agent_ids[None, :, None]
        # Flat offset of observer (b, i)'s grid: one scatter per kind of marked cell.
        base = self._base if n == self.num_envs else self._make_base(n)
        if self.config.obs_type == "symbolic":
            obs = np.zeros(n * 2 * C * NUM_PLANES, dtype=np.uint8)
            b4 = base * NUM_PLANES
            obs[b4 + coins * NUM_PLANES + (OTHER_COIN - mine)] = 1
            obs[b4[:, :, 0] + other * NUM_PLANES + OTHER] = 1
            obs[b4[:, :, 0] + pos * NUM_PLANES + SELF] = 1
            return obs.reshape(n, 2, self.size, self.size, NUM_PLANES)
        codes = np.zeros(n * 2 * C, dtype=np.uint8)
        codes[base + coins] = OTHER_COIN_CODE - mine
        codes[base[:, :, 0] + other] = OTHER_CODE
        codes[base[:, :, 0] + pos] = SELF_CODE + together * (BOTH_CODE - SELF_CODE)
        return EGO_PALETTE[codes].reshape(n, 2, self.size, self.size, 3)

    def _make_base(self, n: int) -> np.ndarray:
        """``[n, 2, 1]`` offsets (in cells) of each observer's grid in a flat buffer."""
        return (np.arange(n * 2, dtype=np.int64) * self.num_cells).reshape(n, 2, 1)

    # ------------------------------------------------------------------ rendering
    def _render(self, env: int) -> np.ndarray:
        S, px = self.size, CELL_PX
        frame = np.full((S * px, S * px, 3), 235, dtype=np.uint8)
        frame[::px, :] = 190
        frame[:, ::px] = 190
        yy, xx = np.mgrid[0:px, 0:px] - (px - 1) / 2.0
        coin_mask = yy**2 + xx**2 <= (px * 0.28) ** 2
        for k in range(self.num_coins):
            r, c = divmod(int(self.coin_pos[env, k]), S)
            cell = frame[r * px : (r + 1) * px, c * px : (c + 1) * px]
            cell[coin_mask] = COIN_COLOURS[self.coin_owner[env, k]]
        p0, p1 = (int(p) for p in self.pos[env])
        for i, p in enumerate((p0, p1)):
            r, c = divmod(p, S)
            cell = frame[r * px : (r + 1) * px, c * px : (c + 1) * px]
            if p0 == p1:  # sharing a cell: red left half, blue right half
                cell[3:-3, 3 + i * (px // 2 - 3) : px // 2 + i * (px // 2 - 3)] = PLAYER_COLOURS[i]
            else:
                cell[3:-3, 3:-3] = PLAYER_COLOURS[i]
        return frame

    def _render_ansi(self, env: int) -> str:
        """Players ``R``/``B`` (``X`` together), coins ``r``/``b`` by owner, ``.`` empty."""
        grid = np.full(self.num_cells, ".", dtype="<U1")
        for k in range(self.num_coins):
            grid[self.coin_pos[env, k]] = "rb"[self.coin_owner[env, k]]
        p0, p1 = self.pos[env]
        grid[p0], grid[p1] = "R", "B"
        if p0 == p1:
            grid[p0] = "X"
        rows = ["".join(row) for row in grid.reshape(self.size, self.size)]
        return f"t={int(self.t[env])}\n" + "\n".join(rows)
