"""Wrappers over the environment views: reward transforms, recorders, adapters."""

from socialenvs.wrappers.rewards import (
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

__all__ = [
    "GiftingWrapper",
    "InequityAversionWrapper",
    "ProsocialWrapper",
    "RewardTransformParallelEnv",
    "RewardTransformVectorEnv",
    "gift_rewards",
    "inequity_aversion_rewards",
    "prosocial_rewards",
    "wrap_rewards",
]
