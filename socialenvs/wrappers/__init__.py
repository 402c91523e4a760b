"""Wrappers and adapters around socialenvs environments.

Always available (numpy + gymnasium + pettingzoo only):

* :class:`EpisodeStatistics` -- social-outcome metrics in ``infos[agent]["episode"]``
  of a PettingZoo ``ParallelEnv`` at episode end;
* :func:`single_agent` -- a Gymnasium env for one seat against fixed co-players;
* reward transforms for both the PettingZoo and the vector view
  (:mod:`socialenvs.wrappers.rewards`): :func:`GiftingWrapper` (zero-sum gifting),
  :func:`InequityAversionWrapper` (Hughes et al. 2018), :func:`FehrSchmidtWrapper`
  (Fehr & Schmidt 1999 on accumulated payoffs), :func:`ProsocialWrapper` (shared
  reward), and the pure functions behind them.

Loaded on first use, because they need optional libraries:

* ``SB3VecEnv``, ``make_sb3_vec_env``, ``supersuit_vec_env`` (Stable-Baselines3,
  SuperSuit; extra ``sb3``) from :mod:`socialenvs.wrappers.sb3`;
* ``make_rllib_env``, ``register_rllib_env``, ``rllib_ppo_config`` (Ray RLlib; extra ``rllib``) from
  :mod:`socialenvs.wrappers.rllib`.

See ``docs/integrations.md`` for a runnable example per library.
"""

from __future__ import annotations

import importlib
from typing import Any

from socialenvs.wrappers.rewards import (
    FehrSchmidtWrapper,
    GiftingWrapper,
    InequityAversionWrapper,
    ProsocialWrapper,
    RewardTransformParallelEnv,
    RewardTransformVectorEnv,
    gift_rewards,
    inequity_aversion_rewards,
    prosocial_rewards,
    wrap_rewards,
)
from socialenvs.wrappers.single_agent import CoPlayer, SingleAgentEnv, single_agent
from socialenvs.wrappers.stats import EpisodeStatistics

_LAZY = {
    "SB3VecEnv": "socialenvs.wrappers.sb3",
    "make_sb3_vec_env": "socialenvs.wrappers.sb3",
    "supersuit_vec_env": "socialenvs.wrappers.sb3",
    "make_rllib_env": "socialenvs.wrappers.rllib",
    "register_rllib_env": "socialenvs.wrappers.rllib",
    "rllib_ppo_config": "socialenvs.wrappers.rllib",
}

__all__ = [
    "CoPlayer",
    "EpisodeStatistics",
    "SingleAgentEnv",
    "single_agent",
    "GiftingWrapper",
    "FehrSchmidtWrapper",
    "InequityAversionWrapper",
    "ProsocialWrapper",
    "RewardTransformParallelEnv",
    "RewardTransformVectorEnv",
    "gift_rewards",
    "inequity_aversion_rewards",
    "prosocial_rewards",
    "wrap_rewards",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
