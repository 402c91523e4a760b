"""Travelling Salesperson (TSP): tour cities, helped by heuristic demonstrators.

| | |
|---|---|
| Creation | ``socialenvs.make("tsp_v0")`` |
| Agents | ``learner`` (demonstrators are part of the env) |
| Actions | ``Discrete(num_cities)``: the next city |
| Observation | ``Box(-1, 1, (dim,), float32)``; default dim 35 |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

After Cook et al. 2024, *Artificial Generational Intelligence* (NeurIPS 2024), App. D.3,
and the official code (FLAIROx/cultural-accumulation, ``tsp.ipynb``: ``MetaTSP``).

``num_cities`` cities lie uniformly in the unit square; the layout is fixed for the
episode. Each trial starts at city 0 (visited). Choosing an unvisited city moves there and
pays ``(sqrt(2) - d) / sqrt(2)`` in [0, 1], ``d`` the distance travelled; choosing a
visited city pays -1 and ends the trial. An episode is ``num_trials`` trials on the same
layout, so an agent can improve its tour across trials. The evaluation score of a trial is
its sum of positive rewards (at most ``num_cities - 1``).

### Demonstrators

Built-in heuristics (paper Alg. 1 oracles): demonstrator ``i`` samples the next city from
a softmax over ``(-dist(from, c) - sqrt(2) * visited_c) / T_i`` with ``T_i = 0.5 U_i``,
``U_i ~ U(0, 1)`` per episode, sorted ascending (best first). ``oracle_temperature`` fixes
the ``T_i`` (the official evaluation uses ``T = 10`` for random-like generation-0
demonstrators). They use the learner's visited set, so they are synchronised to it.
Visibility and external demonstrators: see :mod:`socialenvs.culture.trials`.

### Observation (in order)

own last city one-hot (``num_cities``), trial-ended flag, last reward; each
demonstrator's proposal one-hot (``num_demonstrators * num_cities``), zero when hidden;
visible flag; trial one-hot (``num_trials``) if ``trial_onehot``.

### Paper / code differences (flags)

| flag | default | alternative |
|---|---|---|
| ``trial_onehot`` | True (paper) | False: the notebook's 27-dim obs |
| ``demo_distance_from`` | ``"start"`` (code; the figure's oracle score 3.23 depends on it) | ``"current"``: a nearest-neighbour heuristic |
| ``final_revisit`` | False: the trial ends once every city is visited | True: code, a forced last action that always revisits (-1) |
| ``demo_feedback`` | ``"own"`` | ``"learner"`` (code) |

``final_revisit`` and ``demo_feedback`` are our choices (the paper is silent); with
``final_revisit=True`` the return-to-start bonus of the code stays unreachable as there.

### Arguments

* ``num_cities`` (int, 6), ``num_trials`` (int, 8), ``layout_seed`` (int or None, None):
  None draws a layout per episode; an int fixes it.
* ``num_demonstrators`` (int, 3), ``demonstrators`` (``"oracle"``), ``visibility``
  (``"trials"``), ``oracle_temperature_scale`` (0.5), ``oracle_temperature`` (tuple or
  None), ``demo_distance_from`` (``"start"``), ``final_revisit`` (False),
  ``demo_feedback`` (``"own"``), ``obs_own_feedback`` (True), ``trial_onehot`` (True).
* ``max_cycles`` (int or None): defaults to ``num_trials * num_cities`` (never binding).

Presets: ``in_context`` (defaults), ``rl2`` (no demonstrators), ``notebook`` (code values).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialenvs.core.config import check_choice, check_int
from socialenvs.culture.trials import TrialSim, check_trial_config

SQRT2 = float(np.sqrt(2.0))


@dataclass
class TSPConfig:
    num_cities: int = 6
    """Cities; the action is the index of the next one."""
    num_trials: int = 8
    """Trials per episode ``K``."""
    layout_seed: int | None = None
    """None: a new layout per episode; int: one fixed layout."""
    num_demonstrators: int = 3
    """Heuristic demonstrators."""
    demonstrators: str = "oracle"
    """``"oracle"``, ``"external"`` or ``"none"``."""
    visibility: str = "trials"
    """``"trials"`` (1 - k/(K-1)) or ``"external"``."""
    oracle_temperature_scale: float = 0.5
    """``T_i = scale * U_i``."""
    oracle_temperature: tuple | None = None
    """Fixed temperatures (one per demonstrator)."""
    demo_distance_from: str = "start"
    """Heuristic distance from the ``"start"`` city (code) or the ``"current"`` one."""
    final_revisit: bool = False
    """Keep trials going after every city is visited until a revisit (code)."""
    demo_feedback: str = "own"
    """What external demonstrators see as their last city and reward."""
    obs_own_feedback: bool = True
    """Own last city, trial-ended flag and reward in the observation."""
    trial_onehot: bool = True
    """Trial one-hot in the observation."""
    max_cycles: int | None = None
    """Step cap; defaults to ``num_trials * num_cities``."""

    PRESETS = {
        "in_context": {},
        "rl2": {"demonstrators": "none"},
        "notebook": {"trial_onehot": False, "final_revisit": True, "demo_feedback": "learner"},
    }

    def __post_init__(self) -> None:
        check_trial_config(self)
        check_choice("demo_distance_from", self.demo_distance_from, ("start", "current"))
        check_int("num_cities", self.num_cities, 2)
        if self.oracle_temperature_scale <= 0:
            raise ValueError(
                f"oracle_temperature_scale={self.oracle_temperature_scale!r} must be > 0"
            )
        if self.oracle_temperature is not None:
            temps = tuple(float(x) for x in self.oracle_temperature)
            if len(temps) != self.num_demonstrators or not all(x > 0 for x in temps):
                raise ValueError(
                    f"oracle_temperature={self.oracle_temperature!r} must hold "
                    f"{self.num_demonstrators} values > 0"
                )
            self.oracle_temperature = temps
        if self.max_cycles is None:
            self.max_cycles = self.num_trials * self.num_cities
        check_int("max_cycles", self.max_cycles, 1)


class TSP(TrialSim):
    __doc__ = __doc__
    name = "tsp_v0"
    config_class = TSPConfig
    render_fps = 4

    def _task_setup(self) -> None:
        cfg = self.config
        C, B = int(cfg.num_cities), self.num_envs
        self.num_actions = C
        self.cities = np.zeros((B, C, 2), dtype=np.float64)
        self.visited = np.zeros((B, C), dtype=bool)
        self.current = np.zeros(B, dtype=np.int64)
        self.temperature = np.ones((B, int(cfg.num_demonstrators)), dtype=np.float64)
        self.fixed_layout = None
        # Nothing observable is random with a fixed layout and no demonstrators.
        self.stochastic = cfg.layout_seed is None or cfg.demonstrators != "none"
        if cfg.layout_seed is not None:
            self.fixed_layout = np.random.default_rng(cfg.layout_seed).uniform(size=(C, 2))

    def _task_reset(self, idx: np.ndarray) -> None:
        if self.fixed_layout is None:
            self.cities[idx] = self.rng.uniform((self.num_actions, 2), idx)
        else:
            self.cities[idx] = self.fixed_layout
        self._task_new_trial(idx)

    def _task_new_trial(self, idx: np.ndarray) -> None:
        self.visited[idx] = False
        self.visited[idx, 0] = True
        self.current[idx] = 0

    def _oracle_reset(self, idx: np.ndarray) -> None:
        n = self.num_demos
        if not n:
            return
        if self.config.oracle_temperature is not None:
            self.temperature[idx] = self.config.oracle_temperature
        else:
            u = self.rng.uniform((n,), idx)
            t = np.sort(u * float(self.config.oracle_temperature_scale), axis=-1)
            self.temperature[idx] = np.maximum(t, 1e-6)

    def distances_from(self, city: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """``[b, C]`` distances from each copy's ``city`` to every city."""
        idx = self._all if idx is None else idx
        here = self.cities[idx, city]  # [b, 2]
        return np.linalg.norm(self.cities[idx] - here[:, None, :], axis=-1)

    def _score(self, proposals: np.ndarray) -> np.ndarray:
        d = np.take_along_axis(self.distances_from(self.current), proposals, axis=1)
        seen = np.take_along_axis(self.visited, proposals, axis=1)
        return np.where(seen, -1.0, (SQRT2 - d) / SQRT2)

    def _advance(self, actions: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        revisit = self.visited[self._all, actions]
        move = ~revisit
        self.visited[self._all[move], actions[move]] = True
        self.current = np.where(move, actions, self.current)
        ended = revisit
        if not self.config.final_revisit:
            ended = ended | self.visited.all(axis=1)
        return ended

    def heuristic_logits(self, idx: np.ndarray) -> np.ndarray:
        """``[b, n, C]`` demonstrator logits ``(-dist - sqrt(2) visited) / T`` (code ``MetaTSP``)."""
        origin = np.zeros(len(idx), dtype=np.int64)
        if self.config.demo_distance_from == "current":
            origin = self.current[idx]
        base = -self.distances_from(origin, idx) - SQRT2 * self.visited[idx]
        return base[:, None, :] / self.temperature[idx][:, :, None]

    def _oracle(self, idx: np.ndarray) -> np.ndarray:
        logits = self.heuristic_logits(idx)
        # Gumbel-max sampling from the softmax, drawn from the copy's own stream.
        u = self.rng.uniform(logits.shape[1:], idx)
        gumbel = -np.log(-np.log(np.clip(u, 1e-12, 1.0 - 1e-12)))
        return np.argmax(logits + gumbel, axis=-1)

    def _render(self, env: int) -> np.ndarray:
        """Cities on a 96x96 canvas: grey unvisited, green visited, red the current city."""
        size = 96
        frame = np.full((size, size, 3), 255, dtype=np.uint8)
        px = np.clip((self.cities[env] * (size - 8) + 4).astype(int), 0, size - 4)
        for c, (x, y) in enumerate(px):
            colour = (150, 150, 150)
            if self.visited[env, c]:
                colour = (60, 180, 75)
            if c == self.current[env]:
                colour = (230, 25, 75)
            frame[y - 2 : y + 3, x - 2 : x + 3] = colour
        return frame

    def _render_ansi(self, env: int) -> str:
        return (
            f"trial {int(self.trial[env])} t={int(self.t[env])} at city {int(self.current[env])}, "
            f"visited {np.flatnonzero(self.visited[env]).tolist()}, "
            f"proposals {self.demo_actions[env].tolist()} visible={bool(self.visible[env])}"
        )
