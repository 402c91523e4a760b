"""Sequential stag hunt (SSH): hunt a hare alone or a stag together.

| | |
|---|---|
| Creation | ``socialenvs.make("stag_hunt_v0")``, ``socialenvs.make_vec("stag_hunt_v0", num_envs=256)`` |
| Agents | ``player_0`` ... ``player_{N-1}`` (N = 4) |
| Actions | ``Discrete(6)``: 0 north, 1 east, 2 south, 3 west, 4 stay, 5 hunt |
| Observation | ``Box(0, 1, (5, 5, N + 3), uint8)`` (``symbolic``) or ``Box(0, 255, (5, 5, 3), uint8)`` |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

The stag hunt (Skyrms 2004) as a gridworld: a hare can be caught by one hunter and pays
little; a stag pays much more but only to a group of hunters who catch it together, so
hunting stags is the payoff-dominant but risky equilibrium and hunting hares the safe
one. LASE (Kong et al. 2024, arXiv 2410.07863, §5; development code ``kfq20/Empathy``
``env.py``, see the dilemmas spec §5) uses it as one of its four sequential social
dilemmas: 4 players, a 5x5 board, 5x5 views, 6 actions, 30 steps, 2 stags worth 10 and
4 hares worth 1, rewards split among the co-located hunters, a stag needing at least 2
hunters, and a hunter's episode ending after a catch.

### Rules

* Board, moves, views and starting positions: :mod:`socialenvs.dilemmas.small_grid`
  (open ``grid_size`` square, agents may share cells, absolute moves).
* ``hunt`` (action 5) by an agent standing on a live prey's cell. A **hare** is caught
  when at least one agent hunts it; a **stag** when at least ``min_stag_hunters`` agents
  hunt it *in the same step* (they must meet on its cell first). The prey's value
  (``hare_reward``, ``stag_reward``) is split equally among the agents that hunted it;
  too few stag hunters catch nothing and pay nothing.
* Caught prey disappears for the rest of the episode (prey neither moves nor respawns:
  our choice, the sources do not say).
* A hunter who caught something is done: it leaves the board (not drawn, cannot act,
  receives nothing) but stays in ``agents`` -- the PettingZoo view keeps every agent
  until the episode ends for all (``inactive()`` reports it for the peace metric).
* The episode terminates when every agent has caught something or no prey is left,
  and is truncated at ``max_cycles``.

### Observations

Egocentric ``(2 * view_radius + 1)^2`` window, not rotated. ``symbolic`` planes:
``0`` self, ``1..N-1`` the other agents in seat order after self, ``N`` stag,
``N + 1`` hare, ``N + 2`` outside the board (``N + 3`` planes, the LASE code's count).
``rgb``: self blue, others red, stag brown, hare light brown, outside grey, empty black.

### Rewards

Per step and agent: its share of every prey it helped catch this step.

### Events and statistics

Every catch emits one ``EAT`` event per hunter (``context`` 0 = stag, 1 = hare,
``value`` = the hunter's share). Episode statistics count ``stag_catches`` and
``hare_catches`` (hunter shares, so a stag caught by two hunters counts twice).

### Arguments

* ``num_agents`` (int, 4), ``grid_size`` (int, 5), ``view_radius`` (int, 2).
* ``num_stags`` (int, 2), ``num_hares`` (int, 4).
* ``stag_reward`` (float, 10.0), ``hare_reward`` (float, 1.0).
* ``min_stag_hunters`` (int, 2): hunters needed to catch a stag.
* ``obs_type`` (str, ``"symbolic"``), ``max_cycles`` (int, 30).

Presets: ``lase`` (the defaults above, the LASE development code's values).
The paper's final SSH map size is not confirmed by our sources (dilemmas spec §5).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialenvs.core.config import check_int
from socialenvs.core.events import EventKind
from socialenvs.dilemmas.small_grid import SmallGridGame, check_common

STAG, HARE = 0, 1


@dataclass
class StagHuntConfig:
    num_agents: int = 4
    """Number of hunters."""
    grid_size: int = 5
    """Side of the square board."""
    view_radius: int = 2
    """Observation window radius (window side 2r + 1)."""
    num_stags: int = 2
    """Stags on the board at reset."""
    num_hares: int = 4
    """Hares on the board at reset."""
    stag_reward: float = 10.0
    """Value of a stag, split among its hunters."""
    hare_reward: float = 1.0
    """Value of a hare, split among its hunters."""
    min_stag_hunters: int = 2
    """Hunters needed in the same step to catch a stag."""
    obs_type: str = "symbolic"
    """``"symbolic"`` one-hot planes or ``"rgb"``."""
    max_cycles: int = 30
    """Steps per episode."""

    PRESETS = {"lase": {}}

    def __post_init__(self) -> None:
        check_common(self)
        for name in ("num_stags", "num_hares"):
            v = getattr(self, name)
            check_int(name, v, 0)
        if self.num_stags + self.num_hares < 1:
            raise ValueError("num_stags + num_hares must be >= 1")
        if not isinstance(self.min_stag_hunters, (int, np.integer)) or not (
            1 <= self.min_stag_hunters <= self.num_agents
        ):
            raise ValueError(
                f"min_stag_hunters={self.min_stag_hunters!r} must be an integer in "
                f"1..num_agents={self.num_agents}"
            )
        for name in ("stag_reward", "hare_reward"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name}={getattr(self, name)!r} must be a finite number")


class StagHunt(SmallGridGame):
    __doc__ = __doc__
    name = "stag_hunt_v0"
    config_class = StagHuntConfig
    kind_names = ("stag", "hare")
    kind_colours = np.array([[139, 90, 43], [222, 184, 135]], np.uint8)
    episode_event_metrics = {
        "stag_catches": (EventKind.EAT, STAG),
        "hare_catches": (EventKind.EAT, HARE),
    }

    def _object_kinds(self) -> np.ndarray:
        c = self.config
        return np.array([STAG] * c.num_stags + [HARE] * c.num_hares, dtype=np.int64)

    def _setup(self) -> None:
        super()._setup()
        c = self.config
        self.need = np.where(self.kinds == STAG, int(c.min_stag_hunters), 1)  # [K]
        self.value = np.where(self.kinds == STAG, c.stag_reward, c.hare_reward).astype(np.float32)

    def _interact(self, acting: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        B, N = acting.shape
        hunting = self._on_object(cell) & acting[:, :, None]  # [B, N, K]
        hunters = hunting.sum(axis=1)  # [B, K]
        caught = self.alive & (hunters >= self.need[None, :])
        share = np.where(caught, self.value[None, :] / np.maximum(hunters, 1), 0.0)
        got = hunting & caught[:, None, :]
        rewards = (got * share[:, None, :]).sum(axis=2).astype(np.float32)
        if got.any():
            b, i, k = np.nonzero(got)
            S = self.size
            self.events.add(
                EventKind.EAT,
                b,
                actor=i,
                row=self.obj_cell[b, k] // S,
                col=self.obj_cell[b, k] % S,
                context=self.kinds[k],
                value=share[b, k],
            )
            self.alive &= ~caught
            self.active &= ~got.any(axis=2)
        terminated = ~self.active.any(axis=1) | ~self.alive.any(axis=1)
        return rewards, terminated
