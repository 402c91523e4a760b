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

Co-player protocol (duck-typed, so socialenvs stays torch-free; see :class:`CoPlayer`).
A co-player plays ``k`` seats at once and sees their observations as one numpy array
``obs_batch`` of shape ``[k, *obs_shape]``. It may be

* a **policy of the** ``agents`` **package** (anything with ``act(obs, state, *,
  rng=...)`` returning an object with ``.actions`` and ``.state``, and
  ``initial_state(k)``): its recurrent state is carried across steps and reset at every
  episode start; ``rng`` is the env's ``np_random``, so seeded resets reproduce
  scripted players that sample;
* an object with ``act(obs_batch)`` or ``predict(obs_batch)`` (a trained
  Stable-Baselines3 model works as is);
* a plain callable ``policy(obs_batch) -> actions``.

Actions may be anything ``numpy.asarray`` turns into ``k`` integers; a returned tuple
(e.g. ``(actions, state)`` from SB3's ``predict``) contributes its first element, and an
object with an ``actions`` attribute contributes that. An optional ``reset()`` method is
called at the start of every episode.

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

from collections.abc import Mapping, Sequence
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
    """The smallest co-player: a batch of observations ``[k, *obs_shape]`` -> ``k`` actions.

    Objects with ``act``/``predict`` methods (and the ``agents`` package's policies) are
    accepted too; see the module docstring.
    """

    def __call__(self, obs: np.ndarray) -> Any: ...


class _SeatGroup:
    """One co-player and the seats it plays, with its recurrent state."""

    def __init__(self, player: Any, seats: np.ndarray, env: SingleAgentEnv):
        self.player = player
        self.seats = seats
        self.env = env
        self.stateful = callable(getattr(player, "initial_state", None)) and callable(
            getattr(player, "act", None)
        )
        for name in ("act", "predict"):
            method = getattr(player, name, None)
            if callable(method):
                self._act = method
                break
        else:
            if not callable(player):
                raise ValueError(
                    f"co-player {player!r} is not usable: give a callable obs_batch -> actions, "
                    "an object with an act(obs_batch) or predict(obs_batch) method, or 'random'"
                )
            self._act = player
        reset = getattr(player, "reset", None)
        self._reset = reset if callable(reset) else None
        self.state: Any = ()

    def begin_episode(self) -> None:
        if self._reset is not None:
            self._reset()
        if self.stateful:
            self.state = self.player.initial_state(len(self.seats))

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        if self.stateful:
            result = self._act(obs, self.state, rng=self.env.np_random)
        else:
            result = self._act(obs)
        if isinstance(result, tuple):
            result = result[0]
        if hasattr(result, "actions"):
            if self.stateful:
                self.state = getattr(result, "state", ())
            result = result.actions
        if hasattr(result, "detach"):  # a torch tensor from a user's policy
            result = result.detach().cpu().numpy()
        actions = np.asarray(result)
        if actions.size != len(self.seats):
            raise ValueError(
                f"co-player {self.player!r} returned {actions.size} actions for "
                f"{len(self.seats)} seats (observations of shape {obs.shape})"
            )
        return actions.reshape(len(self.seats))


class _RandomPlayer:
    """Uniform random actions from the env's ``np_random``."""

    def __init__(self, env: SingleAgentEnv):
        self.env = env

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.env.np_random.integers(int(self.env.action_space.n), size=len(obs))


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

    def _resolve_co_players(self, co_players: Any) -> list[_SeatGroup]:
        """One :class:`_SeatGroup` per co-player."""
        others = [self.agent_names[i] for i in self.others]
        if not others:
            return []
        if isinstance(co_players, str):
            if co_players != "random":
                raise ValueError(f"co_players={co_players!r}: the only named co-player is 'random'")
            return [_SeatGroup(_RandomPlayer(self), self.others, self)]
        if isinstance(co_players, Mapping):
            unknown = set(co_players) - set(others)
            missing = set(others) - set(co_players)
            if unknown or missing:
                raise ValueError(
                    f"co_players dict must have exactly the keys {others}; "
                    f"missing {sorted(missing)}, unknown {sorted(unknown)}"
                )
            return [
                _SeatGroup(co_players[a], np.array([self.agent_names.index(a)]), self)
                for a in others
            ]
        if isinstance(co_players, Sequence):
            if len(co_players) != len(others):
                raise ValueError(
                    f"co_players has {len(co_players)} entries; give one per other seat {others}"
                )
            return [_SeatGroup(p, np.array([i]), self) for i, p in zip(self.others, co_players)]
        return [_SeatGroup(co_players, self.others, self)]

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.sim.seed(seed)
        elif not self.sim._seeded:
            # Unseeded first reset: derive the simulator's seed from np_random.
            self.sim.seed(int(self.np_random.integers(2**31)))
        self.sim.reset()
        self._stats.clear()
        for group in self._groups:
            group.begin_episode()
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
        for group in self._groups:
            joint[0, group.seats] = group(self._obs[group.seats])
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
