"""Generalised advantage estimation (Schulman et al. 2016, arXiv 1506.02438, eq. 16).

The one place advantages are computed. Truncation is handled by the caller through
``next_values``: the value of the state that follows step ``t``. The collector fills it
with ``V(s_{t+1})`` inside an episode, ``V(final_obs)`` when the episode was truncated at
``t`` (time limit: the future still has value, Pardo et al. 2018, arXiv 1712.00378) and
0 when it was terminated. ``dones[t]`` cuts the lambda-trace so that advantages never
leak across episodes.
"""

from __future__ import annotations

import numpy as np


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    dones: np.ndarray,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Advantages and returns of a rollout ``[T, ...]`` (any trailing shape).

    For each step ``t`` (backwards)::

        delta_t = r_t + gamma * next_values_t - values_t
        A_t     = delta_t + gamma * lam * (1 - dones_t) * A_{t+1}

    Args:
        rewards: ``[T, ...]`` rewards.
        values: ``[T, ...]`` value estimates ``V(s_t)``.
        next_values: ``[T, ...]`` value to bootstrap from after step ``t`` (see module doc).
        dones: ``[T, ...]`` whether the episode ended at ``t`` (terminated or truncated).
        gamma: discount factor in [0, 1].
        lam: GAE lambda in [0, 1].

    Returns:
        advantages: ``float32[T, ...]``.
        returns: ``float32[T, ...]``, ``advantages + values`` (the value targets).
    """
    if not (0.0 <= gamma <= 1.0) or not (0.0 <= lam <= 1.0):
        raise ValueError(f"gamma={gamma!r} and lam={lam!r} must lie in [0, 1]")
    rewards = np.asarray(rewards, dtype=np.float32)
    values = np.asarray(values, dtype=np.float32)
    next_values = np.asarray(next_values, dtype=np.float32)
    not_done = 1.0 - np.asarray(dones, dtype=np.float32)
    if not (rewards.shape == values.shape == next_values.shape == not_done.shape):
        raise ValueError(
            "rewards, values, next_values and dones must have the same shape, got "
            f"{rewards.shape}, {values.shape}, {next_values.shape}, {not_done.shape}"
        )
    deltas = rewards + gamma * next_values - values
    advantages = np.zeros_like(rewards)
    running = np.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    return advantages, advantages + values
