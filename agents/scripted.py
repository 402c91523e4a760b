"""Scripted policies behind the :class:`~agents.policy.Policy` interface (numpy only).

They serve as co-players, demonstrators and baselines. The matrix-game strategies read
the egocentric observation of ``matrix_game_v0`` (:mod:`socialenvs.dilemmas.matrix_game`):
slot 0 is a one-hot over ``A * A + 1`` codes, ``own * A + other`` for the last round or
``A * A`` before the first round, so the same strategy plays either seat. Action 0 is
cooperate and 1 defect.

* ``always_cooperate`` / ``always_defect``: constant actions.
* ``tit_for_tat``: cooperate first, then repeat the co-player's last move (Axelrod &
  Hamilton 1981, *The evolution of cooperation*, Science 211).
* ``grim``: cooperate until the co-player defects once, then defect for the rest of the
  episode (Friedman 1971); needs memory, kept as a recurrent state that the collector
  resets at episode ends.
* ``win_stay_lose_shift`` (Pavlov): cooperate first; repeat the last move after a "win"
  (the co-player cooperated: payoff R or T) and switch after a "loss" (P or S), which is
  "cooperate iff both played the same move last round" (Nowak & Sigmund 1993, Nature 364).
* ``random``: uniform over the actions (any env).
* ``greedy_harvester``: any grid env with apples in the view (:class:`GreedyHarvester`).
* ``coin_cooperator`` / ``coin_greedy`` / ``coin_grudger``: ``coin_game_v0`` co-player
  types (:class:`CoinChaser`, :class:`CoinGrudger`): walk to coins of their own colour
  only, to any coin, or to their own coins until the other player takes one of theirs
  and to any coin from then on (the coin game's grim trigger; Lerer & Peysakhovich 2017,
  arXiv 1707.01068, Sec. 5 use such cooperate-then-defect strategies in the Coins game).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agents.policy import Policy, PolicyStep, State

COOPERATE, DEFECT = 0, 1


def last_round(obs: np.ndarray, num_actions: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the newest slot of ``matrix_game_v0`` observations ``[M, k * (A * A + 1)]``.

    Returns:
        own: ``int64[M]`` own last action (-1 before the first round).
        other: ``int64[M]`` co-player's last action (-1 before the first round).
        played: ``bool[M]`` whether a round has been played.
    """
    slot = num_actions * num_actions + 1
    obs = np.asarray(obs).reshape(len(obs), -1)
    if obs.shape[1] % slot:
        raise ValueError(
            f"observation width {obs.shape[1]} is not a multiple of A*A+1={slot}; "
            "is this a matrix_game_v0 observation with this many actions?"
        )
    code = obs[:, :slot].argmax(axis=1)
    played = code < slot - 1
    own = np.where(played, code // num_actions, -1)
    other = np.where(played, code % num_actions, -1)
    return own, other, played


class ScriptedPolicy(Policy):
    """Base of deterministic scripted policies: subclasses implement ``choose``."""

    def __init__(self, num_actions: int = 2):
        if int(num_actions) < 2:
            raise ValueError(f"num_actions={num_actions!r} must be >= 2")
        self.num_actions = int(num_actions)

    def choose(
        self, obs: np.ndarray, state: State, rng: np.random.Generator
    ) -> tuple[np.ndarray, State]:
        raise NotImplementedError

    def act(
        self,
        obs: np.ndarray,
        state: State = (),
        *,
        deterministic: bool = False,
        rng: np.random.Generator | None = None,
        **_: Any,
    ) -> PolicyStep:
        rng = rng if rng is not None else np.random.default_rng()
        actions, state = self.choose(obs, state, rng)
        M = len(obs)
        zeros = np.zeros(M, dtype=np.float32)
        return PolicyStep(np.asarray(actions, dtype=np.int64), zeros, zeros.copy(), state)


class RandomPolicy(ScriptedPolicy):
    """Uniformly random actions; log-probs are ``-log A``."""

    name = "random"

    def act(self, obs, state=(), *, deterministic=False, rng=None, **_):
        rng = rng if rng is not None else np.random.default_rng()
        M = len(obs)
        actions = rng.integers(0, self.num_actions, size=M)
        logp = np.full(M, -np.log(self.num_actions), dtype=np.float32)
        return PolicyStep(actions.astype(np.int64), logp, np.zeros(M, dtype=np.float32), state)


class ConstantPolicy(ScriptedPolicy):
    """Always the same action."""

    def __init__(self, action: int, num_actions: int = 2, name: str = "constant"):
        super().__init__(num_actions)
        if not 0 <= int(action) < self.num_actions:
            raise ValueError(f"action={action!r} must be in 0..{self.num_actions - 1}")
        self.action = int(action)
        self.name = name

    def choose(self, obs, state, rng):
        return np.full(len(obs), self.action, dtype=np.int64), state


class TitForTat(ScriptedPolicy):
    """Cooperate first, then copy the co-player's last move."""

    name = "tit_for_tat"

    def choose(self, obs, state, rng):
        _, other, played = last_round(obs, self.num_actions)
        return np.where(played, other, COOPERATE), state


class WinStayLoseShift(ScriptedPolicy):
    """Pavlov: cooperate iff both players made the same move last round (and at first)."""

    name = "win_stay_lose_shift"

    def choose(self, obs, state, rng):
        own, other, played = last_round(obs, self.num_actions)
        return np.where(~played | (own == other), COOPERATE, DEFECT), state


class Grim(ScriptedPolicy):
    """Grim trigger: cooperate until the co-player defects once, then always defect."""

    name = "grim"
    recurrent = True

    def initial_state(self, batch_size: int) -> State:
        return (np.zeros(batch_size, dtype=bool),)

    def choose(self, obs, state, rng):
        _, other, played = last_round(obs, self.num_actions)
        betrayed = state[0] | (played & (other != COOPERATE))
        return np.where(betrayed, DEFECT, COOPERATE), (betrayed,)


class GreedyHarvester(ScriptedPolicy):
    """Step toward the nearest resource cell visible in an egocentric grid view.

    Works on any grid env whose view is centred on the agent and whose observation marks
    resource cells (apples) in a way ``is_resource`` can read: a function from the view
    ``[M, H, W, C]`` to ``bool[M, H, W]``. ``moves`` maps the four view directions
    ``(up, down, left, right)`` (up = towards row 0 of the view) to the env's action
    codes; when the view is rotated with the agent, "up" is the agent's forward move.
    With nothing in view it takes ``wander`` actions at random.
    """

    name = "greedy_harvester"

    def __init__(
        self,
        num_actions: int,
        is_resource: Callable[[np.ndarray], np.ndarray],
        moves: tuple[int, int, int, int],
        wander: tuple[int, ...] | None = None,
        centre: tuple[int, int] | None = None,
    ):
        super().__init__(num_actions)
        self.is_resource = is_resource
        self.moves = np.asarray(moves, dtype=np.int64)
        self.wander = np.asarray(wander if wander is not None else moves, dtype=np.int64)
        self.centre = centre

    def choose(self, obs, state, rng):
        M, H, W = obs.shape[:3]
        cr, cc = self.centre if self.centre is not None else (H // 2, W // 2)
        found = self.is_resource(obs)  # [M, H, W]
        rows, cols = np.meshgrid(np.arange(H) - cr, np.arange(W) - cc, indexing="ij")
        dist = (np.abs(rows) + np.abs(cols)).astype(np.float64)
        dist[cr, cc] = np.inf  # standing on it means it was just eaten
        d = np.where(found, dist[None], np.inf).reshape(M, -1)
        # random tie-break between equally near resources
        d = d + rng.random(d.shape) * 1e-3
        best = d.argmin(axis=1)
        seen = np.isfinite(d[np.arange(M), best])
        dr, dc = rows.reshape(-1)[best], cols.reshape(-1)[best]
        vertical = np.abs(dr) >= np.abs(dc)
        direction = np.where(vertical, np.where(dr < 0, 0, 1), np.where(dc < 0, 2, 3))
        wander = self.wander[rng.integers(0, len(self.wander), size=M)]
        return np.where(seen, self.moves[direction], wander), state


class CoinChaser(ScriptedPolicy):
    """Walk to the nearest coin of the wanted kind in ``coin_game_v0`` (symbolic obs).

    Reads the egocentric planes of :mod:`socialenvs.dilemmas.coin_game` (0 self, 1 other,
    2 own-colour coins, 3 other-colour coins; absolute positions, ``centred_view=False``)
    and steps along the shorter way on the torus (rows first on ties). With no wanted coin
    on the board it stays (or, with 4 actions, steps at random).

    Args:
        target: ``"own"`` (own-colour coins only: a cooperator), ``"any"`` (greedy) or
            ``"other"`` (the other player's coins only).
        num_actions: 5 (moves and stay) or 4.
        torus: whether the board wraps (the env's ``torus``).
    """

    TARGETS = ("own", "any", "other")

    def __init__(self, target: str = "any", num_actions: int = 5, torus: bool = True):
        super().__init__(num_actions)
        if target not in self.TARGETS:
            raise ValueError(f"target={target!r} is not allowed; choose one of {self.TARGETS}")
        self.target = target
        self.torus = bool(torus)
        self.name = {"own": "coin_cooperator", "any": "coin_greedy", "other": "coin_thief"}[target]

    @staticmethod
    def _wanted(obs: np.ndarray, target: str) -> np.ndarray:
        if target == "own":
            return obs[..., 2] > 0
        if target == "other":
            return obs[..., 3] > 0
        return (obs[..., 2] > 0) | (obs[..., 3] > 0)

    def _moves(self, obs: np.ndarray, wanted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        M, H, W = obs.shape[:3]
        me = obs[..., 0].reshape(M, -1).argmax(1)
        r0, c0 = me // W, me % W
        rows, cols = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
        dr = rows.reshape(-1)[None] - r0[:, None]
        dc = cols.reshape(-1)[None] - c0[:, None]
        if self.torus:  # shorter way round
            dr = (dr + H // 2) % H - H // 2
            dc = (dc + W // 2) % W - W // 2
        dist = (np.abs(dr) + np.abs(dc)).astype(np.float64)
        dist = np.where(wanted.reshape(M, -1), dist + rng.random(dist.shape) * 1e-3, np.inf)
        best = dist.argmin(1)
        seen = np.isfinite(dist[np.arange(M), best])
        br, bc = dr[np.arange(M), best], dc[np.arange(M), best]
        # coin_game actions: 0 up (row - 1), 1 right, 2 down, 3 left, 4 stay
        move = np.where(br != 0, np.where(br < 0, 0, 2), np.where(bc > 0, 1, 3))
        idle = 4 if self.num_actions > 4 else rng.integers(0, 4, size=M)
        return np.where(seen, move, idle).astype(np.int64)

    def choose(self, obs, state, rng):
        return self._moves(obs, self._wanted(obs, self.target), rng), state


class CoinGrudger(CoinChaser):
    """Collect own-colour coins until the other player takes one of this player's coins,
    then every coin for the rest of the episode (grim trigger in the coin game).

    A take is read from consecutive observations: an own-colour coin at cell ``X`` and,
    one step later, the other player on ``X`` (coins never respawn under players). The
    state is ``(betrayed bool[M], last own-coin plane [M, H, W])``; it must restart
    whenever the board is redrawn (the collector does so at episode ends).
    """

    recurrent = True

    def __init__(self, num_actions: int = 5, torus: bool = True, size: int = 3):
        super().__init__("own", num_actions, torus)
        self.name = "coin_grudger"
        self.size = int(size)

    def initial_state(self, batch_size: int) -> State:
        return (
            np.zeros(batch_size, dtype=bool),
            np.zeros((batch_size, self.size, self.size), dtype=bool),
        )

    def act(self, obs, state=(), *, deterministic=False, rng=None, **_):
        rng = rng if rng is not None else np.random.default_rng()
        betrayed, last_own = state
        taken = (last_own & (obs[..., 1] > 0)).reshape(len(obs), -1).any(1)
        betrayed = betrayed | taken
        wanted = np.where(
            betrayed[:, None, None], self._wanted(obs, "any"), self._wanted(obs, "own")
        )
        actions = self._moves(obs, wanted, rng)
        zeros = np.zeros(len(obs), dtype=np.float32)
        return PolicyStep(actions, zeros, zeros.copy(), (betrayed, obs[..., 2] > 0))


MATRIX_STRATEGIES: dict[str, Callable[[int], Policy]] = {
    "always_cooperate": lambda a: ConstantPolicy(COOPERATE, a, "always_cooperate"),
    "always_defect": lambda a: ConstantPolicy(DEFECT, a, "always_defect"),
    "tit_for_tat": TitForTat,
    "grim": Grim,
    "win_stay_lose_shift": WinStayLoseShift,
}

COIN_STRATEGIES: dict[str, str] = {
    "coin_cooperator": "own",
    "coin_greedy": "any",
    "coin_grudger": "own",
}


def scripted_names() -> list[str]:
    """Names accepted by :func:`make_scripted`."""
    return sorted(["random", "greedy_harvester", *MATRIX_STRATEGIES, *COIN_STRATEGIES])


def make_scripted(name: str, env: Any) -> Policy:
    """Build scripted policy ``name`` for ``env`` (a VectorEnv, ParallelEnv or Sim).

    The matrix-game strategies need ``matrix_game_v0``; ``greedy_harvester`` needs an env
    that provides ``greedy_harvester_spec()`` (see :class:`GreedyHarvester`).
    """
    sim = getattr(env, "sim", env)
    num_actions = int(sim.action_space.n)
    if name == "random":
        return RandomPolicy(num_actions)
    if name in MATRIX_STRATEGIES:
        if not sim.name.startswith("matrix_game"):
            raise ValueError(f"scripted policy {name!r} plays matrix games, not {sim.name!r}")
        return MATRIX_STRATEGIES[name](num_actions)
    if name == "greedy_harvester":
        return greedy_harvester_for(sim)
    if name in COIN_STRATEGIES:
        cfg = getattr(sim, "config", None)
        if not sim.name.startswith("coin_game") or cfg.obs_type != "symbolic" or cfg.centred_view:
            raise ValueError(
                f"scripted policy {name!r} plays coin_game_v0 with obs_type='symbolic' and "
                f"centred_view=False, not {sim.name!r} with {cfg!r}"
            )
        if name == "coin_grudger":
            return CoinGrudger(num_actions, cfg.torus, cfg.grid_size)
        return CoinChaser(COIN_STRATEGIES[name], num_actions, cfg.torus)
    raise ValueError(f"unknown scripted policy {name!r}; choose one of {scripted_names()}")


def greedy_harvester_for(sim: Any) -> GreedyHarvester:
    """A :class:`GreedyHarvester` for the SSD grid dilemmas (Harvest, Cleanup, ...).

    Reads apples from either observation type of :mod:`socialenvs.dilemmas.ssd_grid`
    (the apple colour in ``rgb``, the ``apple`` layer in ``symbolic``) and maps view
    directions to the env's moves: with the SSD relative action set and a rotated view,
    "up" in the view is ``move_forward``; with absolute actions and an unrotated view it
    is ``move_north``.
    """
    from socialenvs.dilemmas import ssd_grid

    cfg = getattr(sim, "config", None)
    if not isinstance(sim, ssd_grid.GridDilemma):
        raise ValueError(f"greedy_harvester plays the SSD grid dilemmas, not {sim.name!r}")
    if cfg.view != "centred":
        raise ValueError(f"greedy_harvester needs view='centred', not view={cfg.view!r}")
    names = list(sim.actions.names)
    if "move_forward" in names and cfg.rotate_view:
        dirs = ("move_forward", "move_back", "move_left", "move_right")
    elif "move_north" in names and not cfg.rotate_view:
        dirs = ("move_north", "move_south", "move_west", "move_east")
    else:
        raise ValueError(
            "greedy_harvester needs relative actions with a rotated view or absolute "
            f"actions with a fixed view (got actions {names}, rotate_view={cfg.rotate_view})"
        )
    moves = tuple(names.index(d) for d in dirs)
    if cfg.obs_type == "rgb":
        apple = ssd_grid.CELL_COLOURS[ssd_grid.APPLE]

        def is_resource(obs: np.ndarray) -> np.ndarray:
            return np.all(obs == apple, axis=-1)
    else:
        layer = ssd_grid.SYMBOLIC_LAYERS.index("apple")

        def is_resource(obs: np.ndarray) -> np.ndarray:
            return obs[..., layer] > 0

    return GreedyHarvester(int(sim.action_space.n), is_resource, moves)
