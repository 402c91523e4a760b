"""Repeated two-player matrix games.

| | |
|---|---|
| Creation | ``socialenvs.make("matrix_game_v0", game="prisoners_dilemma")`` |
| Agents | ``player_0``, ``player_1`` |
| Actions | ``Discrete(A)`` (A = 2 for the presets: 0 = cooperate, 1 = defect) |
| Observation | ``Box(0, 1, (k * (A * A + 1),), float32)`` |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Two players choose simultaneously in each of ``max_cycles`` rounds and receive the
payoffs of the stage game. The observation of each player is its own view of the last
``history`` joint actions, newest first: slot ``j`` is a one-hot over ``A * A + 1``
values, ``own_action * A + other_action``, or the last value when fewer than ``j + 1``
rounds have been played. Because the encoding is egocentric, one shared policy can play
either seat.

### Stage games (``game``; payoffs as row player's reward for (own, other))

Symmetric 2x2 games are written with the usual letters: R (both cooperate), S (sucker:
cooperate against defect), T (temptation: defect against cooperate), P (both defect).

| preset | R | S | T | P | source |
|---|---|---|---|---|---|
| ``prisoners_dilemma`` | 3 | 0 | 4 | 1 | Dasgupta & Musolesi 2023 (``MatrixGame/IPDGame.py``); T > R > P > S |
| ``stag_hunt`` | 4 | 0 | 3 | 2 | a standard instance with R > T > P > S (Skyrms 2004) |
| ``chicken`` / ``snowdrift`` | 3 | 1 | 4 | 0 | T > R > S > P (Sugden 1986's ordering) |
| ``harmony`` | 4 | 2 | 3 | 1 | R > T, S > P: cooperation dominates |
| ``battle_of_the_sexes`` | — | — | — | — | asymmetric coordination: (0, 0) pays (2, 1), (1, 1) pays (1, 2), else 0 |

The stag hunt, chicken and harmony instances are our choice (no spec gives numbers);
only their orderings matter for the game's class.

Presets of whole configurations (``preset=``): ``lase_dev`` (Kong et al. 2024, dev code:
R=4, S=0, T=5, P=1, 100 rounds) and ``dasgupta_musolesi`` (4/3/1/0, 10 rounds).

Custom payoffs: ``payoffs=(R, S, T, P)`` for a symmetric 2x2 game, or a nested list of
shape ``[A][A][2]`` where ``payoffs[a0][a1]`` is the pair of rewards of player 0 and
player 1 when they play ``a0`` and ``a1``.

### Episodes

An episode is ``max_cycles`` rounds; it is truncated (never terminated) after the last
round. Inner and outer episodes are the same thing here: there is no meta-episode.

### Events and statistics

Every round emits one ``ACT`` event per player (``context`` = action, ``value`` =
reward); episode statistics count ``cooperations`` (action 0) over both players.

### Arguments

* ``game`` (str, ``"prisoners_dilemma"``): stage-game preset (table above).
* ``payoffs`` (tuple or nested list, ``None``): custom payoffs; overrides ``game``.
* ``history`` (int, 1): number of past joint actions in the observation (k >= 1).
* ``max_cycles`` (int, 100): rounds per episode (LASE's IPD length).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int
from socialenvs.core.events import EventKind
from socialenvs.core.sim import Sim

# (R, S, T, P) of the symmetric presets; see the module docstring for sources.
SYMMETRIC_GAMES: dict[str, tuple[float, float, float, float]] = {
    "prisoners_dilemma": (3.0, 0.0, 4.0, 1.0),
    "stag_hunt": (4.0, 0.0, 3.0, 2.0),
    "chicken": (3.0, 1.0, 4.0, 0.0),
    "snowdrift": (3.0, 1.0, 4.0, 0.0),
    "harmony": (4.0, 2.0, 3.0, 1.0),
}
ASYMMETRIC_GAMES: dict[str, list] = {
    "battle_of_the_sexes": [[[2.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 2.0]]],
}
GAMES = sorted([*SYMMETRIC_GAMES, *ASYMMETRIC_GAMES])

COOPERATE, DEFECT = 0, 1


def symmetric_payoff_table(r: float, s: float, t: float, p: float) -> np.ndarray:
    """``[2, 2, 2]`` table ``table[a0, a1] = (reward_0, reward_1)`` of a symmetric game."""
    own = np.array([[r, s], [t, p]], dtype=np.float32)
    return np.stack([own, own.T], axis=-1)


@dataclass
class MatrixGameConfig:
    game: str = "prisoners_dilemma"
    """Stage-game preset; one of ``GAMES``."""
    payoffs: Any = None
    """Custom payoffs: ``(R, S, T, P)`` or a nested ``[A][A][2]`` list; overrides ``game``."""
    history: int = 1
    """Past joint actions in each observation."""
    max_cycles: int = 100
    """Rounds per episode."""

    PRESETS = {
        "lase_dev": {"payoffs": (4.0, 0.0, 5.0, 1.0), "max_cycles": 100},
        "dasgupta_musolesi": {"game": "prisoners_dilemma", "max_cycles": 10},
    }

    def __post_init__(self) -> None:
        check_choice("game", self.game, GAMES)
        check_int("history", self.history, 1)
        check_int("max_cycles", self.max_cycles, 1)

    def payoff_table(self) -> np.ndarray:
        if self.payoffs is None:
            if self.game in SYMMETRIC_GAMES:
                return symmetric_payoff_table(*SYMMETRIC_GAMES[self.game])
            return np.asarray(ASYMMETRIC_GAMES[self.game], dtype=np.float32)
        arr = np.asarray(self.payoffs, dtype=np.float32)
        if arr.shape == (4,):
            return symmetric_payoff_table(*arr)
        if arr.ndim == 3 and arr.shape[0] == arr.shape[1] >= 2 and arr.shape[2] == 2:
            return arr
        raise ValueError(
            f"payoffs must be (R, S, T, P) or a [A][A][2] nested list, got shape {arr.shape}"
        )


class MatrixGame(Sim):
    __doc__ = __doc__
    name = "matrix_game_v0"
    config_class = MatrixGameConfig
    render_fps = 4
    stochastic = False
    episode_event_metrics = {"cooperations": (EventKind.ACT, COOPERATE)}

    def _setup(self) -> None:
        self.payoffs = self.config.payoff_table()
        self.num_actions = int(self.payoffs.shape[0])
        self.num_agents = 2
        A, k = self.num_actions, int(self.config.history)
        self.slot = A * A + 1
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (k * self.slot,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(A)
        # history[b, j] = joint code of the round j rounds ago from player 0's view, or -1.
        self.history = np.full((self.num_envs, k), -1, dtype=np.int64)

    def _reset(self, idx: np.ndarray) -> None:
        self.history[idx] = -1

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a0, a1 = actions[:, 0], actions[:, 1]
        rewards = self.payoffs[a0, a1]  # [B, 2]
        self.history[:, 1:] = self.history[:, :-1]
        self.history[:, 0] = a0 * self.num_actions + a1
        env = np.repeat(self._all, 2)
        self.events.add(
            EventKind.ACT,
            env,
            actor=np.tile([0, 1], self.num_envs),
            target=np.tile([1, 0], self.num_envs),
            context=actions.reshape(-1),
            value=rewards.reshape(-1),
        )
        return rewards, np.zeros((self.num_envs, 2), dtype=bool)

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        A, k, slot = self.num_actions, self.history.shape[1], self.slot
        h0 = self.history[idx]  # [b, k] from player 0's view
        # Player 1 sees (own, other) swapped.
        h1 = np.where(h0 >= 0, (h0 % A) * A + h0 // A, -1)
        codes = np.stack([h0, h1], axis=1)  # [b, 2, k]
        codes = np.where(codes >= 0, codes, slot - 1)
        obs = np.zeros((len(idx), 2, k, slot), dtype=np.float32)
        np.put_along_axis(obs, codes[..., None], 1.0, axis=-1)
        return obs.reshape(len(idx), 2, k * slot)

    def _render(self, env: int) -> np.ndarray:
        """Last joint action as a 2-pixel-wide strip per round (green = 0, red = 1)."""
        colours = np.array([[60, 180, 75], [230, 25, 75], [200, 200, 200]], dtype=np.uint8)
        h = self.history[env]
        A = self.num_actions
        own = np.where(h >= 0, h // A, -1)
        other = np.where(h >= 0, h % A, -1)
        rows = []
        for acts in (own, other):
            idx = np.where(acts >= 0, np.minimum(acts, 1), 2)
            rows.append(colours[idx])
        frame = np.stack(rows)  # [2, k, 3]
        return np.repeat(np.repeat(frame, 16, axis=0), 16, axis=1)

    def _render_ansi(self, env: int) -> str:
        h = self.history[env, 0]
        if h < 0:
            return f"round {int(self.t[env])}: no moves yet"
        return (
            f"round {int(self.t[env])}: player_0 played {h // self.num_actions}, "
            f"player_1 played {h % self.num_actions}"
        )
