"""GovSim commons: a renewable pool that doubles, caps and can collapse; optional sanctions.

| | |
|---|---|
| Creation | ``socialenvs.make("commons_v0", sanction="peer")`` |
| Agents | ``player_0`` .. ``player_{N-1}`` (N = 5) |
| Actions | ``Discrete(101)``: harvest 0..100 units (or a fraction of the pool) |
| Observation | ``Box(0, 1, (8 + 2 N + A,), float32)`` |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Piatti et al. 2024, *Cooperate or Collapse* (NeurIPS, arXiv 2404.16698; code
``giorgiopiatti/GovSim``, ``simulation/scenarios/common/environment/concurrent_env.py``
and the fishing experiment configs). Each month every player states a harvest at the same
time. The pool starts at 100; requests are served by dealing units one at a time to a
uniformly random player that still wants more, until the requests or the pool run out
(``allocation="stochastic"``; ``"proportional"`` gives each player
``floor(request * pool / total)`` when over-requested, leftover units stay in the pool). If
fewer than ``collapse_below`` (5) units remain after the harvest the resource collapses;
otherwise the pool regrows to ``min(capacity, 2 * remaining)``. GovSim ends the run at a
collapse (``end_on_collapse=True``). By default (our choice) a collapsed pool instead stays
empty for the rest of the episode: nothing is left to catch, so returns are the same as
with termination, while every episode keeps its fixed length (batched learners, the
PettingZoo ``max_cycles`` convention); the collapse month is in the ``collapsed``
observation field and a ``DEATH`` event.
The game lasts ``months`` (12). The sustainability threshold of a month is
``f = floor(floor(pool / 2) / N)`` per player (10 at pool 100): if everyone takes at most f
the pool never shrinks.

**Sanctions** (a bridge to the punishment games; not in GovSim, our design):

* ``"none"`` (default).
* ``"fine"``: an institution fines every over-user (harvest above f)
  ``fine_rate`` (2) x its excess, deducted from its reward at the harvest step. The fine
  size is not given by any source; 2 makes over-use unprofitable for a myopic player.
* ``"peer"``: after each harvest comes a sanction step. Every player sees all harvests and
  may punish one other player: action 0 = nobody, action ``k`` in 1..N-1 = the player k
  seats to its right. Each punishment costs the punisher ``punish_cost`` (1) and removes
  ``punish_impact`` (3) from the target (Fehr & Gächter's 1:3 technology).

### Actions (one ``Discrete`` space)

Harvest step: action ``a`` requests ``a`` units (``action="units"``) or the fraction
``a / (A - 1)`` of the current pool, rounded down (``action="fraction"``). Sanction step:
actions ``0..N-1`` as above; any other action is a no-op (read as 0). The ``action_mask``
in the observation marks the meaningful actions of the current step.

### Observation

| field | size | meaning |
|---|---|---|
| ``stage`` | 2 | one-hot: harvest, sanction |
| ``pool`` | 1 | pool / capacity |
| ``month`` | 1 | month / months |
| ``threshold`` | 1 | this month's sustainability threshold f / capacity |
| ``own_last_harvest`` | 1 | units caught last harvest / capacity |
| ``last_harvests`` | N | everyone's last catch / capacity, own first then seats to the right (zeros unless ``observe_others``) |
| ``last_overuse`` | N | 1 where that player's last catch exceeded f, same order (zeros unless ``observe_others``) |
| ``punished_last`` | 1 | punishment received at the last sanction step / (punish_impact (N - 1)) |
| ``collapsed`` | 1 | 1 once the resource has collapsed |
| ``action_mask`` | A | meaningful actions now |

Rewards: units caught (minus fines / punishment). Episode: ``months`` harvest steps (plus
one sanction step per month with ``"peer"``), terminated at the end or at collapse.

### Events

``COLLECT`` (actor, ``value`` = units caught, ``context`` = 1 if above f); ``DEATH``
(the resource collapsed; ``value`` = units left, ``context`` = month); ``SANCTION``
(actor -1 = the institution, target, ``value`` = fine); ``PUNISH`` (actor, target,
``context`` = ``JUST`` if the target over-used this month else ``UNJUST``). Episode
statistics: ``overuses`` (harvests above f), ``punishments``.

### Arguments

* ``num_players`` (int, 5), ``months`` (int, 12), ``initial_pool`` (int, 100),
  ``capacity`` (int, 100), ``collapse_below`` (int, 5), ``growth`` (float, 2).
* ``allocation`` (str, ``"stochastic"``): or ``"proportional"``.
* ``action`` (str, ``"units"``): or ``"fraction"`` (``harvest_levels`` fractions of the pool).
* ``harvest_levels`` (int, 101): size of the harvest action set.
* ``observe_others`` (bool, True).
* ``end_on_collapse`` (bool, False): terminate at a collapse, as GovSim does.
* ``sanction`` (str, ``"none"``): ``"fine"`` or ``"peer"``; ``fine_rate`` (2),
  ``punish_cost`` (1), ``punish_impact`` (3).
* ``max_cycles`` (int or None): steps per episode; default = the full game.

Metrics: :func:`socialenvs.metrics.commons_outcomes` (survival time, efficiency,
equality, over-usage) from the harvest record.

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int, check_range
from socialenvs.core.events import EventKind
from socialenvs.core.layout import field_slices
from socialenvs.core.sim import Sim
from socialenvs.norms.sanctions import JUST, UNJUST

HARVEST_STAGE, SANCTION_STAGE = 0, 1


@dataclass
class CommonsConfig:
    num_players: int = 5
    """Players sharing the pool (GovSim: 5)."""
    months: int = 12
    """Harvest rounds per episode (GovSim ``max_num_rounds``)."""
    initial_pool: int = 100
    """Units in the pool at the start."""
    capacity: int = 100
    """Carrying capacity: the regrown pool is capped here."""
    growth: float = 2.0
    """Regrowth factor of the remaining stock (GovSim doubles it)."""
    collapse_below: int = 5
    """The resource collapses when fewer units than this remain after a harvest."""
    allocation: str = "stochastic"
    """``"stochastic"`` unit-by-unit dealing or ``"proportional"``."""
    action: str = "units"
    """``"units"``: action = units requested; ``"fraction"``: share of the pool."""
    harvest_levels: int = 101
    """Size of the harvest action set."""
    observe_others: bool = True
    """Whether the others' last harvests are observed (GovSim default: yes)."""
    end_on_collapse: bool = False
    """Terminate at a collapse (GovSim) instead of leaving the pool empty."""
    sanction: str = "none"
    """``"none"``, ``"fine"`` (institution) or ``"peer"`` (sanction step)."""
    fine_rate: float = 2.0
    """Fine per unit harvested above the threshold (``"fine"``)."""
    punish_cost: float = 1.0
    """Cost to a peer punisher (``"peer"``)."""
    punish_impact: float = 3.0
    """Loss of the punished player (``"peer"``)."""
    max_cycles: int | None = None
    """Steps per episode; ``None`` = the full game."""

    PRESETS = {
        "govsim": {},
        "govsim_fine": {"sanction": "fine"},
        "govsim_peer": {"sanction": "peer"},
        "coarse": {"action": "fraction", "harvest_levels": 11},
    }

    def __post_init__(self) -> None:
        check_int("num_players", self.num_players, 2)
        check_int("months", self.months, 1)
        check_int("capacity", self.capacity, 1)
        check_int("initial_pool", self.initial_pool, 0)
        check_int("collapse_below", self.collapse_below, 0)
        check_int("harvest_levels", self.harvest_levels, 2)
        if self.initial_pool > self.capacity:
            raise ValueError(f"initial_pool={self.initial_pool} exceeds capacity={self.capacity}")
        check_range("growth", self.growth, 0.0)
        check_choice("allocation", self.allocation, ("stochastic", "proportional"))
        check_choice("action", self.action, ("units", "fraction"))
        check_choice("sanction", self.sanction, ("none", "fine", "peer"))
        check_choice("end_on_collapse", self.end_on_collapse, (True, False))
        check_range("fine_rate", self.fine_rate, 0.0)
        check_range("punish_cost", self.punish_cost, 0.0)
        check_range("punish_impact", self.punish_impact, 0.0)
        if self.max_cycles is None:
            self.max_cycles = self.months * (2 if self.sanction == "peer" else 1)
        check_int("max_cycles", self.max_cycles, 1)


def sustainability_threshold(pool: np.ndarray, num_players: int) -> np.ndarray:
    """GovSim's per-player threshold ``floor(floor(pool / 2) / N)``."""
    return (np.asarray(pool) // 2) // num_players


def deal_units(requests: np.ndarray, pool: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """GovSim's stochastic allocation for over-requested copies.

    Deals ``pool[b]`` units one at a time, each to a uniformly random player whose request
    is not yet met. ``uniforms[b, u]`` in [0, 1) drives the u-th unit (needs at least
    ``max(pool)`` columns). Returns the catch ``[b, N]``.
    """
    got = np.zeros_like(requests)
    for u in range(int(pool.max(initial=0))):
        live = u < pool
        wanting = (got < requests) & live[:, None]
        count = wanting.sum(axis=1)
        pick = np.minimum((uniforms[:, u] * count).astype(np.int64), np.maximum(count - 1, 0))
        # The pick-th wanting player (in seat order) gets the unit.
        rank = np.cumsum(wanting, axis=1) - 1
        hit = wanting & (rank == pick[:, None]) & (count > 0)[:, None]
        got += hit
    return got


class Commons(Sim):
    __doc__ = __doc__
    name = "commons_v0"
    config_class = CommonsConfig
    render_fps = 2
    episode_event_metrics = {"overuses": (EventKind.COLLECT, 1), "punishments": EventKind.PUNISH}

    @property
    def stochastic(self) -> bool:
        """Only the stochastic allocation draws random numbers."""
        return self.config.allocation == "stochastic"

    def _setup(self) -> None:
        c = self.config
        N, B = int(c.num_players), self.num_envs
        self.num_agents = N
        A = max(int(c.harvest_levels), N if c.sanction == "peer" else 1)
        self.num_actions = A
        sizes = [
            ("stage", 2),
            ("pool", 1),
            ("month", 1),
            ("threshold", 1),
            ("own_last_harvest", 1),
            ("last_harvests", N),
            ("last_overuse", N),
            ("punished_last", 1),
            ("collapsed", 1),
            ("action_mask", A),
        ]
        self.OBS_FIELDS, obs_size = field_slices(sizes)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (obs_size,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(A)
        self.seat = (np.arange(N)[:, None] + np.arange(N)[None, :]) % N
        self.masks = np.zeros((2, A), dtype=np.float32)
        self.masks[HARVEST_STAGE, : int(c.harvest_levels)] = 1.0
        self.masks[SANCTION_STAGE, :N] = 1.0
        self.pool = np.zeros(B, dtype=np.int64)
        self.month = np.zeros(B, dtype=np.int64)
        self.stage = np.zeros(B, dtype=np.int64)
        self.threshold = np.zeros(B, dtype=np.int64)  # f of the current / last harvest
        self.last_harvest = np.zeros((B, N), dtype=np.int64)
        self.last_overuse = np.zeros((B, N), dtype=bool)
        self.punished_last = np.zeros((B, N))
        self.collapsed = np.zeros(B, dtype=bool)

    def _reset(self, idx: np.ndarray) -> None:
        c = self.config
        self.pool[idx] = c.initial_pool
        self.month[idx] = 0
        self.stage[idx] = HARVEST_STAGE
        self.threshold[idx] = sustainability_threshold(c.initial_pool, self.num_agents)
        self.last_harvest[idx] = 0
        self.last_overuse[idx] = False
        self.punished_last[idx] = 0.0
        self.collapsed[idx] = False

    def _requests(self, actions: np.ndarray, pool: np.ndarray) -> np.ndarray:
        c = self.config
        if c.action == "units":
            return actions.astype(np.int64)
        frac = actions / (c.harvest_levels - 1)
        return np.floor(frac * pool[:, None] + 1e-9).astype(np.int64)

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        B, N = self.num_envs, self.num_agents
        rewards = np.zeros((B, N))
        terminated = np.zeros(B, dtype=bool)
        valid = self.masks[self.stage][np.arange(B)[:, None], actions] > 0
        actions = np.where(valid, actions, 0)
        h = np.flatnonzero(self.stage == HARVEST_STAGE)
        s = np.flatnonzero(self.stage == SANCTION_STAGE)

        if len(h):
            pool = self.pool[h]
            f = sustainability_threshold(pool, N)
            requests = self._requests(actions[h], pool)
            total = requests.sum(axis=1)
            over = total > pool
            caught = requests.copy()
            if over.any():
                o = np.flatnonzero(over)
                if c.allocation == "stochastic":
                    u = self.rng.uniform((int(c.capacity),), h[o])
                    caught[o] = deal_units(requests[o], pool[o], u)
                else:
                    share = requests[o] * pool[o, None] // np.maximum(total[o], 1)[:, None]
                    caught[o] = share
            remaining = pool - caught.sum(axis=1)
            overuse = caught > f[:, None]
            rewards[h] = caught
            if c.sanction == "fine":
                fine = c.fine_rate * np.maximum(caught - f[:, None], 0)
                rewards[h] -= fine
                env, target = np.nonzero(fine > 0)
                self.events.add(
                    EventKind.SANCTION, h[env], actor=-1, target=target, value=fine[env, target]
                )
            env, actor = np.nonzero(caught > 0)
            self.events.add(
                EventKind.COLLECT,
                h[env],
                actor=actor,
                context=overuse[env, actor],
                value=caught[env, actor],
            )
            self.threshold[h] = f
            self.last_harvest[h] = caught
            self.last_overuse[h] = overuse
            collapsed = (remaining < c.collapse_below) & ~self.collapsed[h]
            if collapsed.any():
                e = np.flatnonzero(collapsed)
                self.events.add(EventKind.DEATH, h[e], context=self.month[h[e]], value=remaining[e])
            self.collapsed[h] |= collapsed
            if c.end_on_collapse:
                terminated[h] = collapsed
            regrown = np.minimum(c.capacity, np.floor(c.growth * remaining)).astype(np.int64)
            self.pool[h] = np.where(self.collapsed[h], 0, regrown)
            if c.sanction == "peer":
                self.stage[h] = SANCTION_STAGE
            else:
                self.month[h] += 1

        if len(s):
            a = actions[s]
            punishing = a > 0
            target = np.take_along_axis(self.seat[None].repeat(len(s), 0), a[..., None], axis=2)[
                ..., 0
            ]
            received = np.zeros((len(s), N))
            rows = np.broadcast_to(np.arange(len(s))[:, None], a.shape)
            np.add.at(received, (rows[punishing], target[punishing]), 1.0)
            rewards[s] -= c.punish_cost * punishing + c.punish_impact * received
            self.punished_last[s] = c.punish_impact * received
            env, actor = np.nonzero(punishing)
            tgt = target[env, actor]
            just = self.last_overuse[s[env], tgt]
            self.events.add(
                EventKind.PUNISH,
                s[env],
                actor=actor,
                target=tgt,
                context=np.where(just, JUST, UNJUST),
                value=c.punish_impact,
            )
            self.stage[s] = HARVEST_STAGE
            self.month[s] += 1
        terminated |= self.month >= c.months
        return rewards, np.broadcast_to(terminated[:, None], (B, N)).copy()

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        c, F = self.config, self.OBS_FIELDS
        n, N = len(idx), self.num_agents
        cap = float(c.capacity)
        obs = np.zeros((n, N, self.observation_space.shape[0]), dtype=np.float32)
        stage = self.stage[idx]
        obs[:, :, F["stage"]] = np.eye(2, dtype=np.float32)[stage][:, None, :]
        obs[:, :, F["pool"]] = (self.pool[idx] / cap)[:, None, None]
        obs[:, :, F["month"]] = (np.minimum(self.month[idx], c.months) / c.months)[:, None, None]
        f = np.where(
            stage == HARVEST_STAGE, sustainability_threshold(self.pool[idx], N), self.threshold[idx]
        )
        obs[:, :, F["threshold"]] = (f / cap)[:, None, None]
        last = self.last_harvest[idx]
        obs[:, :, F["own_last_harvest"]] = np.minimum(last / cap, 1.0)[..., None]
        if c.observe_others:
            obs[:, :, F["last_harvests"]] = np.minimum(last[:, self.seat] / cap, 1.0)
            obs[:, :, F["last_overuse"]] = self.last_overuse[idx][:, self.seat]
        obs[:, :, F["punished_last"]] = np.minimum(
            self.punished_last[idx] / max(c.punish_impact * (N - 1), 1e-9), 1.0
        )[..., None]
        obs[:, :, F["collapsed"]] = self.collapsed[idx][:, None, None]
        obs[:, :, F["action_mask"]] = self.masks[stage][:, None, :]
        return obs

    def _render(self, env: int) -> np.ndarray:
        """The pool as a blue bar with the sustainable level marked, then each catch."""
        c, N = self.config, self.num_agents
        h = 50
        frame = np.full((h, 12 + N * 6, 3), 255, dtype=np.uint8)
        level = int(self.pool[env] / c.capacity * h)
        frame[h - level :, 1:10] = (0, 130, 200)
        frame[h // 2, 0:11] = (0, 0, 0)
        for i in range(N):
            x = 12 + i * 6
            caught = int(min(self.last_harvest[env, i] / c.capacity, 1.0) * h)
            colour = (230, 25, 75) if self.last_overuse[env, i] else (60, 180, 75)
            frame[h - caught :, x : x + 4] = colour
        return frame

    def _render_ansi(self, env: int) -> str:
        state = "collapsed" if self.collapsed[env] else f"pool {int(self.pool[env])}"
        return (
            f"month {int(self.month[env])}: {state}; last catch {self.last_harvest[env].tolist()}"
        )
