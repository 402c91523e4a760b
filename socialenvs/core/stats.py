"""Streaming per-copy episode statistics for batched envs.

Accumulates the sufficient statistics of :class:`socialenvs.metrics.EpisodeSummary`
step by step for all ``B`` copies at once, plus counts of the env's episode event
metrics (apples eaten, zaps, ...), and turns them into metric arrays when copies finish.
"""

from __future__ import annotations

import numpy as np

from socialenvs import metrics
from socialenvs.core.events import count_kinds
from socialenvs.core.sim import Sim


class EpisodeAccumulator:
    """Running episode statistics of every copy of a :class:`Sim`."""

    def __init__(self, sim: Sim):
        self.sim = sim
        B, N = sim.num_envs, sim.num_agents
        self.kinds = list(sim.episode_event_metrics.values())
        self.names = list(sim.episode_event_metrics.keys())
        self.returns = np.zeros((B, N))
        self.length = np.zeros(B)
        self.positive_time_sum = np.zeros((B, N))
        self.positive_count = np.zeros((B, N))
        self.inactive_steps = np.zeros((B, N))
        self.event_counts = np.zeros((B, len(self.kinds)), dtype=np.int64)

    def clear(self, idx: np.ndarray | None = None) -> None:
        sl = slice(None) if idx is None else idx
        for arr in (
            self.returns,
            self.length,
            self.positive_time_sum,
            self.positive_count,
            self.inactive_steps,
            self.event_counts,
        ):
            arr[sl] = 0

    def update(self, rewards: np.ndarray, events: np.ndarray) -> None:
        """Fold in one step (call after ``Sim.step``)."""
        self.length += 1
        self.returns += rewards
        positive = rewards > 0
        self.positive_time_sum += positive * self.length[:, None]
        self.positive_count += positive
        self.inactive_steps += self.sim.inactive()
        if self.kinds:
            self.event_counts += count_kinds(events, self.sim.num_envs, self.kinds)

    def summary(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics of copies ``idx`` as arrays: social outcomes, returns, length, extras."""
        s = metrics.EpisodeSummary(
            returns=self.returns[idx],
            length=self.length[idx],
            positive_time_sum=self.positive_time_sum[idx],
            positive_count=self.positive_count[idx],
            inactive_steps=self.inactive_steps[idx],
        )
        out = metrics.social_outcomes(s)
        out["returns"] = self.returns[idx].copy()
        out["length"] = self.length[idx].copy()
        for j, name in enumerate(self.names):
            out[name] = self.event_counts[idx, j].astype(np.float64)
        return out
