"""Episode statistics for the PettingZoo ``ParallelEnv`` view.

:class:`EpisodeStatistics` wraps a ``ParallelEnv`` and, on the step that ends an episode,
puts the episode's social-outcome metrics into ``infos[agent]["episode"]`` of every agent:

* ``"r"``: the agent's own return and ``"l"``: the episode length -- the keys that
  Stable-Baselines3 reads for ``rollout/ep_rew_mean`` / ``ep_len_mean``, so the metrics
  reach SB3's logger unchanged through SuperSuit's vector envs;
* ``"efficiency"``, ``"equality"``, ``"sustainability"``, ``"peace"`` (Perolat et al.
  2017, §3), ``"collective_return"``, ``"per_capita_return"`` (shared by all agents);
* ``"returns"``: ``{agent: return}`` of every agent;
* the env's event counts (e.g. ``"apples_eaten"``, ``"cooperations"``).

The numbers come from :class:`socialenvs.core.stats.EpisodeAccumulator` and
:mod:`socialenvs.metrics`, the same code that fills ``infos["episode"]`` of the
``VectorEnv``, so both views report identical values for identical episodes.

Any ``ParallelEnv`` with a fixed agent set can be wrapped. For a socialenvs env the
tagged-out mask (peace) and the event counts come from its simulator; for any other env
only rewards are known, so peace counts every agent as active and there are no event
counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pettingzoo import ParallelEnv
from pettingzoo.utils import BaseParallelWrapper

from socialenvs.core.events import EMPTY_EVENTS
from socialenvs.core.stats import EpisodeAccumulator


class _RewardOnlySim:
    """The part of the ``Sim`` interface that :class:`EpisodeAccumulator` reads, for
    envs that are not socialenvs simulators: one copy, no events, nobody tagged out."""

    num_envs = 1
    episode_event_metrics: dict = {}

    def __init__(self, num_agents: int):
        self.num_agents = num_agents

    def inactive(self) -> np.ndarray:
        return np.zeros((1, self.num_agents), dtype=bool)


def episode_info(summary: dict[str, np.ndarray], agent_names: list[str], row: int) -> list[dict]:
    """Per-agent ``episode`` info dicts from row ``row`` of an accumulator summary.

    Args:
        summary: output of :meth:`EpisodeAccumulator.summary` (arrays over copies).
        agent_names: names of the agents, in slot order.
        row: which finished copy of ``summary`` to read.

    Returns:
        One dict per agent with ``"r"`` (own return), ``"l"`` (length), ``"returns"``
        (everyone's returns by name) and every scalar metric of ``summary`` as a float.
    """
    returns = summary["returns"][row]
    shared = {key: float(value[row]) for key, value in summary.items() if key not in ("returns",)}
    by_name = {a: float(returns[i]) for i, a in enumerate(agent_names)}
    out = []
    for i in range(len(agent_names)):
        info = {"r": float(returns[i]), "l": int(shared["length"]), **shared}
        info["returns"] = dict(by_name)
        out.append(info)
    return out


class EpisodeStatistics(BaseParallelWrapper):
    """Fill ``infos[agent]["episode"]`` with social-outcome metrics at episode end.

    Args:
        env: a PettingZoo ``ParallelEnv`` whose agents stay the same for the episode
            (every socialenvs env).

    Example:
        >>> env = EpisodeStatistics(socialenvs.make("matrix_game_v0", max_cycles=10))
        >>> obs, infos = env.reset(seed=0)
        >>> while env.agents:
        ...     obs, rew, term, trunc, infos = env.step({a: 0 for a in env.agents})
        >>> infos["player_0"]["episode"]["efficiency"]
        6.0
    """

    def __init__(self, env: ParallelEnv):
        super().__init__(env)
        sim = getattr(env.unwrapped, "sim", None)
        if sim is not None and getattr(sim, "num_envs", None) == 1:
            self._sim = sim
        else:
            self._sim = None
            sim = _RewardOnlySim(len(env.possible_agents))
        self._stats = EpisodeAccumulator(sim)
        self._agent_names = list(env.possible_agents)
        self._index = {a: i for i, a in enumerate(self._agent_names)}

    def reset(self, seed: int | None = None, options: dict | None = None):
        out = self.env.reset(seed=seed, options=options)
        self._stats.clear()
        return out

    def step(self, actions: dict[str, Any]):
        obs, rewards, terminations, truncations, infos = self.env.step(actions)
        step_rewards = np.zeros((1, len(self._agent_names)))
        for agent, r in rewards.items():
            step_rewards[0, self._index[agent]] = r
        events = self._sim.last_events if self._sim is not None else EMPTY_EVENTS
        self._stats.update(step_rewards, events)
        if rewards and all(terminations[a] or truncations[a] for a in rewards):
            per_agent = episode_info(self._stats.summary(np.array([0])), self._agent_names, 0)
            for agent in rewards:
                infos.setdefault(agent, {})["episode"] = per_agent[self._index[agent]]
        return obs, rewards, terminations, truncations, infos
