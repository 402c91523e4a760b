"""A Gymnasium single-agent view: train one agent against fixed co-players.

``single_agent(env_id, co_players=..., agent=0, **env_kwargs)`` returns a
``gymnasium.Env`` in which one seat of a socialenvs environment is controlled by the
caller and every other seat by a given co-player policy, so any single-agent library
(Stable-Baselines3, CleanRL, ...) can train a best response to fixed partners:

    >>> import socialenvs.wrappers as W
    >>> # matrix_game_v0 obs (history=1): one-hot of own * 2 + other's last move
    >>> tit_for_tat = lambda obs: (obs[:, 1] + obs[:, 3]).astype(int)  # copy their move
    >>> env = W.single_agent("matrix_game_v0", co_players=tit_for_tat, max_cycles=20)
    >>> obs, info = env.reset(seed=0)

Co-player protocol (kept torch-free; see :func:`as_policy`): a co-player is

* a callable ``policy(obs_batch) -> actions``, where ``obs_batch`` is a numpy array
  ``[k, *obs_shape]`` (the observations of the ``k`` seats it plays) and ``actions`` is
  anything ``numpy.asarray`` turns into ``k`` integers; or
* an object with an ``act(obs_batch)`` method, or a ``predict(obs_batch)`` method (a
  trained Stable-Baselines3 model works as is), with the same meaning;
* if the call returns a tuple (e.g. ``(actions, state)`` from SB3's ``predict``), its
  first element is taken as the actions;
* if the object has a ``reset()`` method, it is called at the start of every episode
  (stateful scripted players such as grim trigger use it to forget).

``co_players`` is one co-player for every other seat (called once per step with all
their observations), a sequence with one co-player per other seat in seat order, a dict
``{agent_name: co_player}``, or ``"random"`` (uniform actions drawn from the env's
``np_random``, so seeding ``reset`` makes them reproducible).

The episode ends when every agent is done, as in the ``VectorEnv``; ``terminated`` is
the learner's own termination flag at that step and ``truncated`` is its complement.
``info["events"]`` holds the step's public events (a list of dicts, see
:func:`socialenvs.core.events.to_dicts`) and, at the episode's end,
``info["episode"]`` the learner's return (``"r"``), length (``"l"``) and the
social-outcome metrics of the whole group (see :mod:`socialenvs.wrappers.stats`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import gymnasium
import numpy as np

from socialenvs.core.events import events_for_env, to_dicts
from socialenvs.core.registry import get_sim_class
from socialenvs.core.stats import EpisodeAccumulator
from socialenvs.core.views import _check_render_mode
from socialenvs.wrappers.stats import episode_info


@runtime_checkable
class CoPlayer(Protocol):
    """A fixed policy for the other seats: a batch of observations -> a batch of actions."""

    def __call__(self, obs: np.ndarray) -> Any: ...


def as_policy(player: Any) -> tuple[Callable[[np.ndarray], Any], Callable[[], Any] | None]:
    """The ``(act, reset)`` functions of a co-player (``reset`` may be ``None``).

    Raises:
        ValueError: if ``player`` has no ``act``/``predict`` method and is not callable.
    """
    for name in ("act", "predict"):
        method = getattr(player, name, None)
        if callable(method):
            act = method
            break
    else:
        if not callable(player):
            raise ValueError(
                f"co-player {player!r} is not usable: give a callable obs_batch -> actions, "
                "an object with an act(obs_batch) or predict(obs_batch) method, or 'random'"
            )
        act = player
    reset = getattr(player, "reset", None)
    return act, reset if callable(reset) else None


class _RandomPlayer:
    def __init__(self, env: SingleAgentEnv):
        self.env = env

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        n = int(self.env.action_space.n)
        return self.env.np_random.integers(n, size=len(obs))


class SingleAgentEnv(gymnasium.Env):
    """One seat of a socialenvs environment as a Gymnasium env (see module docstring).

    Args:
        env_id: registered environment id, e.g. ``"harvest_v0"``.
        co_players: policies of the other seats (see module docstring).
        agent: the learner's seat, an index or an agent name such as ``"player_1"``.
        render_mode: ``None``, ``"rgb_array"`` or ``"ansi"``.
        **env_kwargs: config fields of the environment.
    """

    def __init__(
        self,
        env_id: str,
        co_players: Any = "random",
        agent: int | str = 0,
        render_mode: str | None = None,
        **env_kwargs: Any,
    ):
        if render_mode == "human":
            raise ValueError("render_mode='human' is not supported here; use 'rgb_array' or 'ansi'")
        _check_render_mode(render_mode)
        self.sim = get_sim_class(env_id)(num_envs=1, **env_kwargs)
        self.env_id = env_id
        self.render_mode = render_mode
        names = self.sim.agent_names
        self.agent_names = names
        self.agent_index = self._resolve_agent(agent, names)
        self.agent = names[self.agent_index]
        self.others = np.array([i for i in range(len(names)) if i != self.agent_index])
        self.observation_space = self.sim.observation_space
        self.action_space = self.sim.action_space
        self.metadata = {
            "render_modes": ["rgb_array", "ansi"],
            "render_fps": self.sim.render_fps,
            "name": self.sim.name,
        }
        self._groups = self._resolve_co_players(co_players)
        self._stats = EpisodeAccumulator(self.sim)
        self._needs_reset = True

    @staticmethod
    def _resolve_agent(agent: int | str, names: list[str]) -> int:
        if isinstance(agent, str):
            if agent not in names:
                raise ValueError(f"agent={agent!r} is not an agent of this env; agents are {names}")
            return names.index(agent)
        if isinstance(agent, (int, np.integer)) and not isinstance(agent, bool):
            if 0 <= agent < len(names):
                return int(agent)
        raise ValueError(
            f"agent={agent!r} must be an index in 0..{len(names) - 1} or one of {names}"
        )

    def _resolve_co_players(
        self, co_players: Any
    ) -> list[tuple[np.ndarray, Callable, Callable | None]]:
        """``[(seats, act, reset), ...]``: which seats each co-player plays."""
        others = [self.agent_names[i] for i in self.others]
        if isinstance(co_players, str):
            if co_players != "random":
                raise ValueError(f"co_players={co_players!r}: the only named co-player is 'random'")
            return [(self.others, _RandomPlayer(self), None)] if len(others) else []
        if isinstance(co_players, Mapping):
            unknown = set(co_players) - set(others)
            missing = set(others) - set(co_players)
            if unknown or missing:
                raise ValueError(
                    f"co_players dict must have exactly the keys {others}; "
                    f"missing {sorted(missing)}, unknown {sorted(unknown)}"
                )
            return [
                (np.array([self.agent_names.index(a)]), *as_policy(co_players[a])) for a in others
            ]
        if isinstance(co_players, Sequence):
            if len(co_players) != len(others):
                raise ValueError(
                    f"co_players has {len(co_players)} entries; give one per other seat {others}"
                )
            return [(np.array([i]), *as_policy(p)) for i, p in zip(self.others, co_players)]
        return [(self.others, *as_policy(co_players))] if len(others) else []

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.sim.seed(seed)
        elif not self.sim._seeded:
            # Unseeded first reset: derive the simulator's seed from np_random.
            self.sim.seed(int(self.np_random.integers(2**31)))
        self.sim.reset()
        self._stats.clear()
        for _, _, reset in self._groups:
            if reset is not None:
                reset()
        self._obs = self.sim.observe()[0]
        self._needs_reset = False
        return self._obs[self.agent_index], {}

    def step(self, action: Any):
        if self._needs_reset:
            raise RuntimeError("call reset() before step() (also after an episode ended)")
        joint = np.empty((1, self.sim.num_agents), dtype=np.int64)
        if np.size(action) != 1:
            raise ValueError(f"action must be a single integer, got shape {np.shape(action)}")
        joint[0, self.agent_index] = np.asarray(action).item()
        for seats, act, _ in self._groups:
            result = act(self._obs[seats])
            if isinstance(result, tuple):
                result = result[0]
            joint[0, seats] = np.asarray(result).reshape(len(seats))
        rewards, terminated, truncated = self.sim.step(joint)
        self._stats.update(rewards, self.sim.last_events)
        self._obs = self.sim.observe()[0]
        i = self.agent_index
        # Plain dicts rather than the structured array: Gymnasium's checkers and many
        # libraries compare or copy infos and cannot handle numpy structured dtypes.
        events = to_dicts(events_for_env(self.sim.last_events, 0), self.agent_names)
        info: dict[str, Any] = {"events": events}
        done = bool((terminated[0] | truncated[0]).all())
        term = bool(terminated[0, i]) and done
        trunc = done and not term
        if done:
            summary = self._stats.summary(np.array([0]))
            info["episode"] = episode_info(summary, self.agent_names, 0)[i]
            self._needs_reset = True
        return self._obs[i], float(rewards[0, i]), term, trunc, info

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode=")
            return None
        if self.render_mode == "rgb_array":
            return self.sim.render(0)
        return self.sim.render_ansi(0)


def single_agent(
    env_id: str,
    co_players: Any = "random",
    agent: int | str = 0,
    render_mode: str | None = None,
    **env_kwargs: Any,
) -> SingleAgentEnv:
    """A Gymnasium env where ``agent`` plays ``env_id`` against fixed ``co_players``.

    Args:
        env_id: registered environment id, e.g. ``"matrix_game_v0"``.
        co_players: ``"random"``, one co-player for all other seats, a sequence (one per
            other seat, in seat order) or a dict ``{agent_name: co_player}``; a co-player
            is a callable ``obs_batch -> actions`` or an object with ``act``/``predict``
            (see the module docstring).
        agent: the learner's seat (index or name).
        render_mode: ``None``, ``"rgb_array"`` or ``"ansi"``.
        **env_kwargs: config fields of the environment.

    Returns:
        A :class:`SingleAgentEnv` (a ``gymnasium.Env``).
    """
    return SingleAgentEnv(
        env_id, co_players=co_players, agent=agent, render_mode=render_mode, **env_kwargs
    )
