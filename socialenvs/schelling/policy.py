"""Schelling's rule as a scripted policy that reads only the observation.

An agent is unhappy when the same-kind share of its occupied Moore neighbours (radius
``radius``, the centre block of its own/other window) is below ``homophily`` (or, with
``threshold="count"``, when it has fewer same-kind neighbours than ``homophily``).

* Rule mode: relocate (action 1) iff unhappy, else stay. Under the default two-phase
  schedule this reproduces ``FOLLOW_RULE`` (and Mesa 3.3) exactly.
* Learning mode: an unhappy live agent steps in a uniformly random direction (a random
  walk, as NetLogo's Segregation model moves unhappy turtles), a happy one stays still.
  This is the rule-based baseline inside the learning environment.
"""

from __future__ import annotations

import numpy as np

from socialenvs.schelling.schelling import RELOCATE, STAY, STILL, SchellingConfig


class ThresholdPolicy:
    """Numpy policy: ``actions = policy(obs)`` for observations ``[..., D + 2]``.

    Args:
        config: the environment's config (``sim.config`` / ``env.config``); its
            ``homophily``, ``threshold``, ``radius``, ``view_radius`` and ``mode`` are used.
        homophily: override of the config's threshold (e.g. to play a different rule in
            the learning env).
        seed: seed of the random directions (learning mode).
    """

    name = "schelling_threshold"

    def __init__(self, config: SchellingConfig, homophily: float | None = None, seed: int = 0):
        if config.view_radius < config.radius:
            raise ValueError(
                f"view_radius={config.view_radius} < radius={config.radius}: the observation "
                "does not show the whole neighbourhood the rule needs"
            )
        self.config = config
        self.homophily = config.homophily if homophily is None else homophily
        self.rng = np.random.default_rng(seed)
        v, r = config.view_radius, config.radius
        side = 2 * v + 1
        rows, cols = np.divmod(np.arange(side * side), side)
        block = (np.abs(rows - v) <= r) & (np.abs(cols - v) <= r)
        block[v * side + v] = False  # the agent itself
        self.neighbour_slots = np.flatnonzero(block)
        self.window_size = side * side

    def unhappy(self, obs: np.ndarray) -> np.ndarray:
        """``bool[...]``: the agent's neighbourhood fails the threshold."""
        nb = np.asarray(obs)[..., self.neighbour_slots]
        same = (nb > 0).sum(-1)
        occupied = (nb != 0).sum(-1)
        if self.config.threshold == "count":
            return same < self.homophily
        frac = np.where(occupied > 0, same / np.maximum(occupied, 1), 0.0)
        return frac < self.homophily

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        unhappy = self.unhappy(obs)
        if self.config.mode == "rule":
            return np.where(unhappy, RELOCATE, STAY).astype(np.int64)
        alive = obs[..., self.window_size + 1] > 0.5
        directions = self.rng.integers(0, 4, size=unhappy.shape)
        return np.where(unhappy & alive, directions, STILL).astype(np.int64)

    act = __call__
