"""Ray RLlib integration through ``ParallelPettingZooEnv`` (new API stack).

Needs the ``rllib`` extra (``pip install "socialenvs[rllib]"``). RLlib pins an exact
Gymnasium version (ray 2.60 pins ``gymnasium==1.2.2``), so install it in its own
environment; ``import socialenvs`` never imports Ray.

    >>> from socialenvs.wrappers.rllib import rllib_ppo_config
    >>> algo = rllib_ppo_config("matrix_game_v0", max_cycles=50).build_algo()
    >>> result = algo.train()

:func:`register_rllib_env` registers ``socialenvs/<env_id>`` with Ray Tune's registry;
RLlib's ``env_config`` is merged over the given config fields, so sweeps can vary them.
:func:`rllib_ppo_config` builds a ``PPOConfig`` with one policy shared by all agents
(``policies="shared"``) or one policy per agent (``policies="independent"``).

``infos[agent]["events"]`` of the ParallelEnv is a numpy structured array; RLlib keeps
infos in its episodes untouched, but set ``drop_events=True`` to leave it out (smaller
episodes, nothing for RLlib's connectors to trip over).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialenvs.core.registry import make, normalize_id
from socialenvs.wrappers.stats import EpisodeStatistics

POLICY_MODES = ("shared", "independent")

#: CNN for the small egocentric grid views (5x5 to 15x15): RLlib only has default conv
#: stacks for 10x10, 42x42, 64x64 and 84x84 inputs and refuses the others. Entries are
#: ``[out_channels, kernel, stride]`` with RLlib's default "same" padding (15x15 -> 4x4x64).
GRID_CONV_FILTERS = [[16, [3, 3], 1], [32, [3, 3], 2], [64, [3, 3], 2]]


def _drop_events(env):
    """A ParallelEnv wrapper that removes ``"events"`` from every info dict."""
    from pettingzoo.utils import BaseParallelWrapper

    class DropEvents(BaseParallelWrapper):
        def step(self, actions):
            obs, rewards, terms, truncs, infos = self.env.step(actions)
            for info in infos.values():
                info.pop("events", None)
            return obs, rewards, terms, truncs, infos

    return DropEvents(env)


def _float_observations(env):
    """A ParallelEnv wrapper that turns uint8 observations into float32 in [0, 1].

    RLlib's default torch modules feed observations to the network without casting, and
    a uint8 grid view fails in the first conv layer; dividing by the space's upper bound
    maps both ``rgb`` (0..255) and ``symbolic`` (0/1) views to [0, 1].
    """
    import gymnasium
    from pettingzoo.utils import BaseParallelWrapper

    class FloatObservations(BaseParallelWrapper):
        def __init__(self, env):
            super().__init__(env)
            inner = env.observation_space(env.possible_agents[0])
            self._scale = np.float32(1.0) / np.asarray(inner.high, dtype=np.float32)
            self._space = gymnasium.spaces.Box(0.0, 1.0, inner.shape, np.float32)

        def observation_space(self, agent):
            return self._space

        def _convert(self, obs):
            return {a: o.astype(np.float32) * self._scale for a, o in obs.items()}

        def reset(self, seed=None, options=None):
            obs, infos = self.env.reset(seed=seed, options=options)
            return self._convert(obs), infos

        def step(self, actions):
            obs, rewards, terms, truncs, infos = self.env.step(actions)
            return self._convert(obs), rewards, terms, truncs, infos

    return FloatObservations(env)


def make_rllib_env(
    env_id: str, env_config: dict | None = None, drop_events: bool = False, **env_kwargs: Any
):
    """``ParallelPettingZooEnv`` over ``EpisodeStatistics(socialenvs.make(env_id, ...))``.

    uint8 grid observations are converted to float32 in [0, 1] (RLlib does not cast them).

    Args:
        env_id: registered environment id.
        env_config: RLlib's env config; its entries override ``env_kwargs``.
        drop_events: leave ``"events"`` out of the infos.
        **env_kwargs: config fields of the environment.
    """
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    kwargs = {**env_kwargs, **dict(env_config or {})}
    env = EpisodeStatistics(make(env_id, **kwargs))
    if drop_events:
        env = _drop_events(env)
    space = env.observation_space(env.possible_agents[0])
    if getattr(space, "dtype", None) == np.uint8:
        env = _float_observations(env)
    return ParallelPettingZooEnv(env)


def register_rllib_env(
    env_id: str, name: str | None = None, drop_events: bool = False, **env_kwargs: Any
) -> str:
    """Register ``env_id`` with Ray Tune's env registry and return the registered name.

    Args:
        env_id: registered socialenvs id, e.g. ``"harvest_v0"``.
        name: the name to register under (default ``"socialenvs/<env_id>"``).
        drop_events: leave ``"events"`` out of the infos.
        **env_kwargs: default config fields (RLlib's ``env_config`` overrides them).
    """
    from ray.tune.registry import register_env

    env_id = normalize_id(env_id)
    make(env_id, **env_kwargs)  # fail here, not inside a Ray worker, on bad kwargs
    name = name or f"socialenvs/{env_id}"

    def creator(env_config):
        return make_rllib_env(env_id, env_config, drop_events=drop_events, **env_kwargs)

    register_env(name, creator)
    return name


def rllib_ppo_config(
    env_id: str,
    policies: str = "shared",
    num_env_runners: int = 0,
    train_batch_size: int = 1000,
    minibatch_size: int = 250,
    num_epochs: int = 1,
    seed: int | None = None,
    drop_events: bool = False,
    conv_filters: list | None = None,
    **env_kwargs: Any,
):
    """A ``PPOConfig`` for ``env_id`` on RLlib's new API stack.

    Args:
        env_id: registered socialenvs id.
        policies: ``"shared"`` (one policy for every agent, parameter sharing) or
            ``"independent"`` (one policy per agent).
        num_env_runners: RLlib env-runner workers (0 = sample in the driver).
        train_batch_size: ``train_batch_size_per_learner``.
        minibatch_size: PPO minibatch size.
        num_epochs: PPO epochs per batch.
        seed: ``debugging(seed=...)``; RLlib seeds env runners from it.
        drop_events: leave ``"events"`` out of the infos.
        conv_filters: RLlib ``conv_filters`` for image-like observations; by default
            :data:`GRID_CONV_FILTERS` when observations are ``H x W x C``.
        **env_kwargs: config fields of the environment.

    Returns:
        A ``ray.rllib.algorithms.ppo.PPOConfig``; call ``.build_algo()`` then ``.train()``.
    """
    from ray.rllib.algorithms.ppo import PPOConfig

    if policies not in POLICY_MODES:
        raise ValueError(f"policies={policies!r} is not allowed; choose one of {POLICY_MODES}")
    name = register_rllib_env(env_id, drop_events=drop_events, **env_kwargs)
    probe = make(env_id, **env_kwargs)
    agent_names = probe.possible_agents
    obs_shape = probe.observation_space(agent_names[0]).shape
    if policies == "shared":
        policy_ids = {"shared"}

        def mapping(agent_id, episode, **kwargs):
            return "shared"
    else:
        policy_ids = set(agent_names)

        def mapping(agent_id, episode, **kwargs):
            return agent_id

    config = (
        PPOConfig()
        .environment(name)
        .multi_agent(policies=policy_ids, policy_mapping_fn=mapping)
        .env_runners(num_env_runners=num_env_runners)
        .training(
            train_batch_size_per_learner=train_batch_size,
            minibatch_size=minibatch_size,
            num_epochs=num_epochs,
        )
    )
    if conv_filters is None and len(obs_shape) == 3:
        conv_filters = GRID_CONV_FILTERS
    if conv_filters is not None:
        config = config.rl_module(model_config={"conv_filters": conv_filters})
    if seed is not None:
        config = config.debugging(seed=seed)
    return config
