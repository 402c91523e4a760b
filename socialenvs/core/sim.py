"""The batched simulator every environment is written as.

A :class:`Sim` holds ``B`` independent copies of one environment in numpy arrays with a
leading batch dimension. Environments implement five hooks (``_setup``, ``_reset``,
``_step``, ``_observe``, ``_render``); everything users touch -- the PettingZoo
``ParallelEnv``/AEC views, the ``VectorEnv``, the SB3 and single-agent adapters -- is a
view of a ``Sim`` (see :mod:`socialenvs.core.views`).

Contract for implementers:

* ``_setup()`` runs once: read ``self.config``, build static tables, set
  ``self.num_agents``, ``self.observation_space`` and ``self.action_space`` (one space
  shared by all agents), allocate state arrays with leading dimension ``self.num_envs``.
* ``_reset(idx)`` re-initialises copies ``idx`` (an int array) for a new episode, drawing
  randomness only from ``self.rng`` with ``idx`` so that copies stay independent.
* ``_step(actions)`` advances every copy by one step given validated ``int64[B, N]``
  actions; it returns ``(rewards float32[B, N], terminated bool[B, N])`` and records
  events with ``self.events.add(...)``. ``self.t`` still holds the pre-step time.
  Truncation at ``config.max_cycles`` is handled here in the base class.
* ``_observe(idx)`` returns observations ``[len(idx), N, *obs_shape]`` for copies ``idx``.
* ``_render(env)`` returns an ``H x W x 3`` uint8 frame of copy ``env``.

Optionally override ``inactive()`` (agents tagged out or dead, for the peace metric),
``episode_event_metrics`` (event kinds counted into the episode statistics) and
``global_state()``.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import gymnasium
import numpy as np

from socialenvs.core.config import build_config
from socialenvs.core.events import EMPTY_EVENTS, EventBuffer, EventKind
from socialenvs.core.rng import BatchedRNG, random_seed


class Sim(abc.ABC):
    """Base class of batched environments.

    Args:
        num_envs: number of independent copies ``B``.
        **kwargs: fields of the environment's config dataclass (``config_class``), or
            ``preset=<name>`` for one of its presets plus overrides.
    """

    #: Versioned environment name, e.g. ``"harvest_v0"``.
    name: ClassVar[str] = ""
    #: Dataclass of the environment's arguments; must have a ``max_cycles`` field.
    config_class: ClassVar[type]
    #: Agents are called ``f"{agent_prefix}_{i}"`` (TorchRL/AgileRL group by this prefix).
    agent_prefix: ClassVar[str] = "player"
    #: Frames per second for videos.
    render_fps: ClassVar[int] = 8
    #: False for envs whose dynamics draw no random numbers (e.g. matrix games); the
    #: conformance suite then does not expect different seeds to give different runs.
    stochastic: ClassVar[bool] = True
    #: Event kinds counted per episode into the statistics, as ``{metric_name: kind}``.
    episode_event_metrics: ClassVar[dict[str, EventKind]] = {}

    num_agents: int
    observation_space: gymnasium.Space
    action_space: gymnasium.Space

    def __init__(self, num_envs: int = 1, **kwargs: Any):
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs={num_envs!r} must be a positive integer")
        self.num_envs = int(num_envs)
        self.config = build_config(self.config_class, kwargs, self.name)
        self.rng = BatchedRNG(self.num_envs)
        self.t = np.zeros(self.num_envs, dtype=np.int64)
        self.events = EventBuffer()
        self.last_events = EMPTY_EVENTS
        self._all = np.arange(self.num_envs)
        self._seeded = False
        self._setup()

    # ------------------------------------------------------------------ public API
    @property
    def max_cycles(self) -> int:
        return int(self.config.max_cycles)

    @property
    def agent_names(self) -> list[str]:
        return [f"{self.agent_prefix}_{i}" for i in range(self.num_agents)]

    def seed(self, seed: int | None, idx: np.ndarray | None = None) -> None:
        """Seed copies ``idx`` (default all): the k-th listed copy gets ``seed + k``.

        With ``seed=None`` a fresh random base seed is drawn.
        """
        idx = self._all if idx is None else np.asarray(idx)
        if seed is None:
            seed = random_seed()
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed={seed!r} must be an int or None")
        self.rng.seed(idx, int(seed) + np.arange(len(idx)))
        self._seeded = True

    def reset(self, idx: np.ndarray | None = None) -> None:
        """Start a new episode in copies ``idx`` (default all)."""
        if not self._seeded:
            self.seed(None)
        idx = self._all if idx is None else np.asarray(idx)
        self.rng.new_episode(idx)
        self.t[idx] = 0
        self._reset(idx)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance every copy one step.

        Args:
            actions: integer array ``[B, N]``.

        Returns:
            rewards: ``float32[B, N]``.
            terminated: ``bool[B, N]``, the episode ended by the env's rules.
            truncated: ``bool[B, N]``, the episode was cut at ``max_cycles``.
        """
        actions = self.validate_actions(actions)
        self.events.clear()
        rewards, terminated = self._step(actions)
        self.t += 1
        self.last_events = self.events.freeze()
        truncated = (self.t >= self.max_cycles)[:, None] & ~terminated
        return rewards.astype(np.float32, copy=False), terminated, truncated

    def observe(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Observations ``[len(idx), N, *obs_shape]`` (all copies by default)."""
        return self._observe(self._all if idx is None else np.asarray(idx))

    def render(self, env: int = 0) -> np.ndarray:
        """An ``H x W x 3`` uint8 frame of copy ``env``."""
        return self._render(int(env))

    def render_ansi(self, env: int = 0) -> str:
        """A text picture of copy ``env`` (``render_mode="ansi"``)."""
        return self._render_ansi(int(env))

    def _render_ansi(self, env: int) -> str:
        return f"{self.name} copy {env} at t={int(self.t[env])}"

    def global_state(self) -> np.ndarray:
        """The full state of every copy as one array (for centralised critics): by default
        the rendered frames ``[B, H, W, 3]``; envs may override with something compact."""
        return np.stack([self._render(b) for b in range(self.num_envs)])

    def inactive(self) -> np.ndarray:
        """``bool[B, N]``: agents currently tagged out / removed / dead (peace metric)."""
        return np.zeros((self.num_envs, self.num_agents), dtype=bool)

    def validate_actions(self, actions: Any) -> np.ndarray:
        """Check shape, integrality and range of a joint action; raise ``ValueError``."""
        arr = np.asarray(actions)
        expected = (self.num_envs, self.num_agents)
        if arr.shape != expected:
            raise ValueError(
                f"{self.name}: actions must have shape {expected} (num_envs, num_agents), "
                f"got {arr.shape}"
            )
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind in "fb" and arr.size and np.all(np.mod(arr, 1) == 0):
                arr = arr.astype(np.int64)
            elif arr.size:
                raise ValueError(f"{self.name}: actions must be integers, got dtype {arr.dtype}")
        if isinstance(self.action_space, gymnasium.spaces.Discrete):
            n = int(self.action_space.n)
            if arr.size <= 64:  # small joint actions: Python min/max beat two reductions
                flat = arr.ravel().tolist()
                ok = not flat or (0 <= min(flat) and max(flat) < n)
            else:
                ok = 0 <= arr.min() and arr.max() < n
            if not ok:
                bad = arr[(arr < 0) | (arr >= n)].ravel()[0]
                raise ValueError(f"{self.name}: action {bad} is out of range; allowed: 0..{n - 1}")
        return arr.astype(np.int64, copy=False)

    # ------------------------------------------------------------------ hooks
    @abc.abstractmethod
    def _setup(self) -> None: ...

    @abc.abstractmethod
    def _reset(self, idx: np.ndarray) -> None: ...

    @abc.abstractmethod
    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    @abc.abstractmethod
    def _observe(self, idx: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def _render(self, env: int) -> np.ndarray: ...
