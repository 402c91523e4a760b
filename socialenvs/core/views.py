"""Views of a :class:`~socialenvs.core.sim.Sim`: PettingZoo ``ParallelEnv`` and ``VectorEnv``.

``SimParallelEnv`` is a one-copy Sim behind the PettingZoo Parallel API (AEC through
``pettingzoo.utils.conversions.parallel_to_aec``). ``VectorEnv`` exposes all ``B`` copies as
arrays ``[B, N, ...]`` with same-step auto-reset and per-copy episode statistics. Both
seed copy ``i`` with ``seed + i``, so copy ``i`` of ``VectorEnv.reset(seed=s)`` and
``SimParallelEnv.reset(seed=s + i)`` produce identical trajectories for identical actions.
"""

from __future__ import annotations

import functools
from typing import Any

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv

from socialenvs.core.events import to_dicts
from socialenvs.core.sim import Sim
from socialenvs.core.stats import EpisodeAccumulator

RENDER_MODES = ["rgb_array", "ansi", "human"]


def _check_render_mode(render_mode: str | None) -> None:
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise ValueError(
            f"render_mode={render_mode!r} is not allowed; choose one of {RENDER_MODES}"
        )


class SimParallelEnv(ParallelEnv):
    """PettingZoo ``ParallelEnv`` over a single copy of a Sim.

    All agents stay in ``agents`` for the whole episode (tagged-out or dead agents keep
    acting with no effect and are flagged in their observation); at the episode's end
    every agent is removed at once, as PettingZoo requires.

    ``infos[agent]["events"]`` holds this step's public events as a list of dicts
    (``kind``, ``actor``, ``target`` as agent names or None, ``row``, ``col``,
    ``context``, ``value``; see :mod:`socialenvs.core.events`), the same for all agents.

    ``render_mode``: ``"rgb_array"`` returns a frame, ``"ansi"`` a text map, ``"human"``
    prints the text map to stdout (no window is opened).
    """

    def __init__(self, sim_class: type[Sim], render_mode: str | None = None, **kwargs: Any):
        _check_render_mode(render_mode)
        self.sim = sim_class(num_envs=1, **kwargs)
        self.render_mode = render_mode
        self.possible_agents = self.sim.agent_names
        self.agents: list[str] = []
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self.metadata = {
            "name": self.sim.name,
            "render_modes": list(RENDER_MODES),
            "render_fps": self.sim.render_fps,
            "is_parallelizable": True,
        }
        self._kwargs = dict(kwargs)
        self._sim_class = sim_class

    # PettingZoo requires the same space object on every call.
    @functools.cache  # noqa: B019 - spaces live as long as the env
    def observation_space(self, agent: str) -> gymnasium.Space:
        self._check_agent(agent)
        return self.sim.observation_space

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> gymnasium.Space:
        self._check_agent(agent)
        return self.sim.action_space

    def _check_agent(self, agent: str) -> None:
        if agent not in self._index:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")

    @property
    def config(self) -> Any:
        return self.sim.config

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.sim.seed(seed)
        self.sim.reset()
        self.agents = list(self.possible_agents)
        obs = self.sim.observe()[0]
        return {a: obs[i] for i, a in enumerate(self.agents)}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise RuntimeError("step() called on a finished episode; call reset() first")
        agents = self.agents
        # Agents never leave mid-episode, so the live agents are all possible agents
        # (in order) and the action dict must have exactly their keys.
        if actions.keys() != self._index.keys() or len(agents) != len(self._index):
            missing = [a for a in agents if a not in actions]
            extra = [a for a in actions if a not in self._index]
            raise ValueError(
                f"actions must be given for exactly the live agents {agents}; "
                f"missing {missing}, unknown {extra}"
            )
        joint = []
        for a in self.possible_agents:
            act = actions[a]
            if not isinstance(act, (int, np.integer)):
                act = _single_action(a, act)
            joint.append(int(act))
        rewards, terminated, truncated = self.sim.step(np.array([joint], dtype=np.int64))
        obs = self.sim.observe()[0]
        raw = self.sim.last_events  # one copy: every event is copy 0's
        events = to_dicts(raw, self.possible_agents) if raw.size else []
        # Rows are in possible-agent order, which is the order of ``agents``.
        obs_d = dict(zip(agents, obs))
        rew = rewards[0].tolist()
        term = terminated[0].tolist()
        trunc = truncated[0].tolist()
        rew_d = dict(zip(agents, rew))
        term_d = dict(zip(agents, term))
        trunc_d = dict(zip(agents, trunc))
        info_d = {a: {"events": events} for a in agents}
        if all(x or y for x, y in zip(term, trunc)):
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return obs_d, rew_d, term_d, trunc_d, info_d

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode=")
            return None
        if self.render_mode == "rgb_array":
            return self.sim.render(0)
        text = self.sim.render_ansi(0)
        if self.render_mode == "ansi":
            return text
        print(text)
        return None

    def close(self):
        pass

    def state(self) -> np.ndarray:
        return self.sim.render(0)

    def __reduce__(self):
        # Pickle the full simulator state, not just the constructor arguments, so that a
        # pickled env resumes mid-episode.
        return (_restore_parallel, (self.__class__, self.__dict__))


def _single_action(agent: str, act: Any) -> int:
    """One agent's action that is not already an integer, checked and converted."""
    if act is None:
        raise ValueError(f"action for {agent} is None; a live agent needs an action")
    arr = np.asarray(act)
    if arr.size != 1:
        raise ValueError(f"action for {agent} must be a single integer, got shape {arr.shape}")
    act = arr.reshape(()).item()
    if isinstance(act, float) and not act.is_integer():
        raise ValueError(f"action for {agent} must be an integer, got {act!r}")
    return int(act)


def _restore_parallel(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


class VectorEnv:
    """All ``B`` copies of a Sim as arrays, with same-step auto-reset.

    ``step(actions[B, N])`` returns ``obs [B, N, ...]``, ``rewards float32[B, N]``,
    ``terminated/truncated bool[B, N]`` and an ``infos`` dict:

    * ``infos["events"]``: this step's events of all copies (structured array, field
      ``env`` = copy index), recorded before any reset;
    * ``infos["done_envs"]``: ``bool[B]``, copies whose episode ended at this step; those
      copies are reset at once and ``obs`` holds the first observation of their next
      episode;
    * ``infos["final_obs"]`` (only when a copy ended): ``[B, N, ...]`` observations before
      the reset (rows of unfinished copies equal ``obs``);
    * ``infos["episode"]`` (only when a copy ended): dict of metric arrays over the
      finished copies (``efficiency``, ``equality``, ``sustainability``, ``peace``,
      ``collective_return``, ``per_capita_return``, ``returns [k, N]``, ``length``,
      the env's event counts), with ``infos["episode_envs"]`` their copy indices.

    A copy's episode ends when every agent is terminated or truncated.
    """

    def __init__(self, sim_class: type[Sim], num_envs: int = 1, **kwargs: Any):
        self.sim = sim_class(num_envs=num_envs, **kwargs)
        self.num_envs = self.sim.num_envs
        self.num_agents = self.sim.num_agents
        self.possible_agents = self.sim.agent_names
        self.single_observation_space = self.sim.observation_space
        self.single_action_space = self.sim.action_space
        self.metadata = {"name": self.sim.name, "render_fps": self.sim.render_fps}
        self.stats = EpisodeAccumulator(self.sim)
        self._needs_reset = True

    @property
    def config(self) -> Any:
        return self.sim.config

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        """Reset every copy; copy ``i`` is seeded with ``seed + i``."""
        if seed is not None or not self.sim._seeded:
            self.sim.seed(seed)
        self.sim.reset()
        self.stats.clear()
        self._needs_reset = False
        return self.sim.observe(), {}

    def step(self, actions: np.ndarray):
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        rewards, terminated, truncated = self.sim.step(actions)
        events = self.sim.last_events
        self.stats.update(rewards, events)
        obs = self.sim.observe()
        done = (terminated | truncated).all(axis=1)
        infos: dict[str, Any] = {"events": events, "done_envs": done}
        if done.any():
            idx = np.flatnonzero(done)
            infos["episode"] = self.stats.summary(idx)
            infos["episode_envs"] = idx
            infos["final_obs"] = obs
            obs = obs.copy()
            self.sim.reset(idx)
            self.stats.clear(idx)
            obs[idx] = self.sim.observe(idx)
        return obs, rewards, terminated, truncated, infos

    def render(self, env: int = 0) -> np.ndarray:
        return self.sim.render(env)

    def close(self) -> None:
        pass
