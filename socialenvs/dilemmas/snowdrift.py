"""Sequential snowdrift game (SSG): clearing a drift costs the clearer, helps everyone.

| | |
|---|---|
| Creation | ``socialenvs.make("snowdrift_v0")``, ``socialenvs.make_vec("snowdrift_v0", num_envs=256)`` |
| Agents | ``player_0`` ... ``player_{N-1}`` (N = 4) |
| Actions | ``Discrete(6)``: 0 north, 1 east, 2 south, 3 west, 4 stay, 5 remove |
| Observation | ``Box(0, 1, (5, 5, N + 2), uint8)`` (``symbolic``) or ``Box(0, 255, (5, 5, 3), uint8)`` |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

The snowdrift (chicken) game (Sugden 1986) as a gridworld: snowdrifts block a road;
removing one costs the remover but benefits every player, so each prefers that someone
else does the shovelling -- yet shovelling alone still beats nobody shovelling
(T > R > S > P). LASE (Kong et al. 2024, arXiv 2410.07863, §5; development code
``kfq20/Empathy`` ``env.py``, dilemmas spec §5) uses it with 4 players on an 8x8 board,
5x5 views, 6 actions, 50 steps and 6 drifts; a drift's remover gets 6 - 4 = +2 and every
other player +6.

### Rules

* Board, moves, views and starting positions: :mod:`socialenvs.dilemmas.small_grid`.
* ``remove`` (action 5) by an agent standing on a drift's cell removes it. Every player
  (the removers included) receives ``drift_benefit``; the ``removal_cost`` is split
  equally among the agents that removed that drift in the same step (our choice for
  simultaneous removal; the sources do not say).
* Drifts do not come back. The episode terminates when no drift is left and is
  truncated at ``max_cycles``.

### Observations

Egocentric ``(2 * view_radius + 1)^2`` window, not rotated. ``symbolic`` planes: ``0``
self, ``1..N-1`` the other agents in seat order after self, ``N`` drift, ``N + 1`` outside
the board (``N + 2`` planes, the LASE code's count). ``rgb``: self blue, others red,
drift white, outside grey, empty black.

### Rewards

Per step and agent: ``drift_benefit`` times the drifts removed this step, minus its share
of the cost of the drifts it removed.

### Events and statistics

Each removal emits one ``CLEAN`` event per remover (``value`` = minus its cost share).
Episode statistics count ``removals`` (remover shares).

### Arguments

* ``num_agents`` (int, 4), ``grid_size`` (int, 8), ``view_radius`` (int, 2).
* ``num_drifts`` (int, 6), ``drift_benefit`` (float, 6.0), ``removal_cost`` (float, 4.0).
* ``obs_type`` (str, ``"symbolic"``), ``max_cycles`` (int, 50).

Presets: ``lase`` (the defaults above, the LASE development code's values) and
``lase_extn`` (our stand-in for the paper's SSG.Extn, whose parameters we do not know:
8 players, 12x12 board, 7x7 views, 12 drifts, 100 steps).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialenvs.core.events import EventKind
from socialenvs.dilemmas.small_grid import SmallGridGame, check_common


@dataclass
class SnowdriftConfig:
    num_agents: int = 4
    """Number of players."""
    grid_size: int = 8
    """Side of the square board."""
    view_radius: int = 2
    """Observation window radius (window side 2r + 1)."""
    num_drifts: int = 6
    """Drifts on the board at reset."""
    drift_benefit: float = 6.0
    """Reward of every player per drift removed."""
    removal_cost: float = 4.0
    """Cost of removing a drift, split among its removers."""
    obs_type: str = "symbolic"
    """``"symbolic"`` one-hot planes or ``"rgb"``."""
    max_cycles: int = 50
    """Steps per episode."""

    PRESETS = {
        "lase": {},
        "lase_extn": {
            "num_agents": 8,
            "grid_size": 12,
            "view_radius": 3,
            "num_drifts": 12,
            "max_cycles": 100,
        },
    }

    def __post_init__(self) -> None:
        check_common(self)
        if not isinstance(self.num_drifts, (int, np.integer)) or self.num_drifts < 1:
            raise ValueError(f"num_drifts={self.num_drifts!r} must be an integer >= 1")
        for name in ("drift_benefit", "removal_cost"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name}={getattr(self, name)!r} must be a finite number")


class Snowdrift(SmallGridGame):
    __doc__ = __doc__
    name = "snowdrift_v0"
    config_class = SnowdriftConfig
    kind_names = ("drift",)
    kind_colours = np.array([[250, 250, 250]], np.uint8)
    episode_event_metrics = {"removals": EventKind.CLEAN}

    def _object_kinds(self) -> np.ndarray:
        return np.zeros(self.config.num_drifts, dtype=np.int64)

    def _interact(self, acting: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        removing = self._on_object(cell) & acting[:, :, None]  # [B, N, K]
        removers = removing.sum(axis=1)  # [B, K]
        removed = removers > 0
        cost = np.where(removed, c.removal_cost / np.maximum(removers, 1), 0.0)
        rewards = c.drift_benefit * removed.sum(axis=1, keepdims=True) - (
            removing * cost[:, None, :]
        ).sum(axis=2)
        if removed.any():
            b, i, k = np.nonzero(removing)
            S = self.size
            self.events.add(
                EventKind.CLEAN,
                b,
                actor=i,
                row=self.obj_cell[b, k] // S,
                col=self.obj_cell[b, k] % S,
                value=-cost[b, k],
            )
            self.alive &= ~removed
        return rewards.astype(np.float32), ~self.alive.any(axis=1)
