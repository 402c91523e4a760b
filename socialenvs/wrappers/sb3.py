"""Stable-Baselines3 integration: our own ``VecEnv`` adapter and the SuperSuit recipe.

Needs the ``sb3`` extra (``pip install "socialenvs[sb3]"``); ``import socialenvs`` does not.

**Adapter** (:class:`SB3VecEnv`, :func:`make_sb3_vec_env`): a socialenvs ``VectorEnv`` of
``B`` copies with ``N`` agents becomes an SB3 ``VecEnv`` of ``B * N`` slots; slot
``b * N + i`` is agent ``i`` of copy ``b``, so one SB3 policy is shared by every agent
(parameter sharing). It steps all copies in one batched call, without SuperSuit's
per-agent Python dicts.

* Seeding: ``PPO(..., seed=s)`` calls ``venv.seed(s)``; the next ``reset()`` seeds copy
  ``b`` with ``s + b`` (the ``VectorEnv`` convention), so two runs with the same seed
  see identical environments. ``venv.seed(s)`` followed by ``venv.reset()`` does the same
  by hand.
* Episode ends: a copy ends when all its agents are done; all ``N`` slots of it report
  ``done`` together and are reset at once. Their ``infos`` hold
  ``"terminal_observation"`` (the slot's last observation before the reset),
  ``"TimeLimit.truncated"`` and ``"episode"``: ``"r"`` (the agent's return), ``"l"``
  (length) -- what SB3 logs as ``rollout/ep_rew_mean`` -- plus the social-outcome metrics
  of the copy (see :mod:`socialenvs.wrappers.stats`).

**SuperSuit recipe** (:func:`supersuit_vec_env`): PettingZoo ParallelEnv ->
``supersuit.pettingzoo_env_to_vec_env_v1`` -> ``supersuit.concat_vec_envs_v1(...,
base_class="stable_baselines3")``. Plain SuperSuit 3.11 crashes under ``PPO(seed=...)``
(its ``ConcatVecEnv`` has no ``seed``); the helper returns a SuperSuit vector env whose
``seed`` works, and seeds copy ``c`` with ``seed + c`` when given ``seed=``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices

from socialenvs.core.registry import make, make_vec
from socialenvs.core.views import VectorEnv
from socialenvs.wrappers.stats import EpisodeStatistics, episode_info


class SB3VecEnv(VecEnv):
    """A socialenvs :class:`VectorEnv` as an SB3 ``VecEnv`` of ``B * N`` slots.

    Args:
        venv: the vector env (``socialenvs.make_vec(env_id, num_envs=B, ...)``).
        render_mode: ``None`` or ``"rgb_array"`` (``get_images`` returns one frame per
            slot: the frame of the slot's copy).
    """

    def __init__(self, venv: VectorEnv, render_mode: str | None = None):
        if not isinstance(venv, VectorEnv):
            raise ValueError(
                f"SB3VecEnv wraps a socialenvs VectorEnv (socialenvs.make_vec), got {type(venv).__name__}"
            )
        if render_mode not in (None, "rgb_array"):
            raise ValueError(
                f"render_mode={render_mode!r} is not allowed; choose None or 'rgb_array'"
            )
        self.venv = venv
        self.render_mode = render_mode
        self.num_copies = venv.num_envs
        self.num_agents = venv.num_agents
        self.agent_names = list(venv.possible_agents)
        super().__init__(
            venv.num_envs * venv.num_agents, venv.single_observation_space, venv.single_action_space
        )
        self._obs_shape = venv.single_observation_space.shape
        self._actions: np.ndarray | None = None
        self._copy_seed: int | None = None
        self._start = time.time()

    # ---------------------------------------------------------------- core API
    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next ``reset()``: copy ``b`` gets ``seed + b``.

        Returns:
            The seed of each slot's copy (``seed + b`` for slot ``b * N + i``).
        """
        if seed is None:
            seed = int(np.random.randint(0, np.iinfo(np.uint32).max, dtype=np.uint32))
        self._copy_seed = int(seed)
        return [self._copy_seed + s // self.num_agents for s in range(self.num_envs)]

    def reset(self) -> np.ndarray:
        obs, _ = self.venv.reset(seed=self._copy_seed)
        self._copy_seed = None
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return self._flat(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self):
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        actions = self._actions.reshape(self.num_copies, self.num_agents)
        self._actions = None
        obs, rewards, terminated, truncated, infos = self.venv.step(actions)
        done_envs = infos["done_envs"]
        dones = np.repeat(done_envs, self.num_agents)
        slot_infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if done_envs.any():
            final_obs = infos["final_obs"]
            summary = infos["episode"]
            for row, b in enumerate(infos["episode_envs"]):
                per_agent = episode_info(summary, self.agent_names, row)
                for i in range(self.num_agents):
                    per_agent[i]["t"] = round(time.time() - self._start, 6)
                    slot_infos[b * self.num_agents + i] = {
                        "terminal_observation": final_obs[b, i],
                        "TimeLimit.truncated": bool(truncated[b, i] and not terminated[b, i]),
                        "episode": per_agent[i],
                    }
        return self._flat(obs), rewards.reshape(-1), dones, slot_infos

    def close(self) -> None:
        self.venv.close()

    def _flat(self, arr: np.ndarray) -> np.ndarray:
        return arr.reshape(self.num_envs, *self._obs_shape)

    # ---------------------------------------------------------------- attributes
    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        n = len(list(self._get_indices(indices)))
        if attr_name == "render_mode":
            return [self.render_mode] * n
        return [getattr(self.venv, attr_name)] * n

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        # All slots share one VectorEnv, so setting an attribute sets it for all of them.
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        n = len(list(self._get_indices(indices)))
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result] * n

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))

    def get_images(self) -> Sequence[np.ndarray | None]:
        if self.render_mode != "rgb_array":
            return [None] * self.num_envs
        frames = [self.venv.render(b) for b in range(self.num_copies)]
        return [frames[s // self.num_agents] for s in range(self.num_envs)]


def make_sb3_vec_env(
    env_id: str, num_envs: int = 1, render_mode: str | None = None, **env_kwargs: Any
) -> SB3VecEnv:
    """``SB3VecEnv(socialenvs.make_vec(env_id, num_envs, **env_kwargs))``: ``num_envs * N`` slots."""
    return SB3VecEnv(make_vec(env_id, num_envs=num_envs, **env_kwargs), render_mode=render_mode)


def supersuit_vec_env(
    env: Any,
    num_copies: int = 1,
    seed: int | None = None,
    num_cpus: int = 1,
    statistics: bool = True,
    **env_kwargs: Any,
):
    """The SuperSuit recipe for SB3, with seeding that works.

    Builds ``concat_vec_envs_v1(pettingzoo_env_to_vec_env_v1(env), num_copies, num_cpus,
    base_class="stable_baselines3")``. Each agent of each copy is a slot.

    Args:
        env: a PettingZoo ``ParallelEnv``, or an env id for :func:`socialenvs.make`.
        num_copies: number of copies of the env.
        seed: if given, copy ``c`` is seeded with ``seed + c`` now (SuperSuit's own
            convention); later ``PPO(seed=s)`` / ``venv.seed(s)`` reseed the same way.
        num_cpus: SuperSuit worker processes (1 = in this process).
        statistics: wrap the env in :class:`EpisodeStatistics` so SB3 logs episode
            returns and the social-outcome metrics reach ``infos``.
        **env_kwargs: config fields, when ``env`` is an id.

    Returns:
        An SB3 ``VecEnv`` (SuperSuit's ``SB3VecEnvWrapper`` with a working ``seed``).
    """
    import supersuit as ss

    if isinstance(env, str):
        env = make(env, **env_kwargs)
    elif env_kwargs:
        raise ValueError(f"env_kwargs {sorted(env_kwargs)} are only allowed with an env id")
    if statistics:
        env = EpisodeStatistics(env)
    venv = ss.pettingzoo_env_to_vec_env_v1(env)
    venv = ss.concat_vec_envs_v1(venv, num_copies, num_cpus=num_cpus, base_class="gymnasium")
    seeded = _seedable_wrapper_class()(venv)
    if seed is not None:
        seeded.seed(seed)
    return seeded


_SEEDABLE_WRAPPER: type | None = None


def _seedable_wrapper_class() -> type:
    """SuperSuit's SB3 wrapper with a working ``seed`` (built on first use, so that this
    module imports without SuperSuit)."""
    global _SEEDABLE_WRAPPER
    if _SEEDABLE_WRAPPER is not None:
        return _SEEDABLE_WRAPPER
    from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

    class SeedableSB3VecEnvWrapper(SB3VecEnvWrapper):
        """SuperSuit's SB3 wrapper whose ``seed(s)`` seeds copy ``c`` with ``s + c``.

        SuperSuit 3.11's wrapper forwards ``seed`` to its ``ConcatVecEnv``, which has none
        (``AttributeError`` under ``PPO(seed=...)``); here the seed is stored and passed to
        ``ConcatVecEnv.reset(seed=...)`` by the next ``reset()``.
        """

        def __init__(self, venv):
            super().__init__(venv)
            self._pending_seed: int | None = None

        def seed(self, seed: int | None = None) -> list[int | None]:
            if seed is None:
                seed = int(np.random.randint(0, np.iinfo(np.uint32).max, dtype=np.uint32))
            self._pending_seed = int(seed)
            return [self._pending_seed] * self.num_envs

        def reset(self, seed: int | None = None, options: dict | None = None):
            if seed is not None:
                self._pending_seed = int(seed)
            observations, self.reset_infos = self.venv.reset(seed=self._pending_seed)
            self._pending_seed = None
            return observations

    _SEEDABLE_WRAPPER = SeedableSB3VecEnvWrapper
    return _SEEDABLE_WRAPPER
