"""Social-outcome metrics as pure functions.

Perolat et al. 2017, *A multi-agent reinforcement learning model of common-pool resource
appropriation* (NeurIPS, arXiv 1707.06600), §3 define four episode-level metrics. With N
agents, episode length T, r_t^i the reward of agent i at step t and R^i = sum_t r_t^i:

* efficiency (utilitarian)  U = sum_i R^i / T
* equality                  E = 1 - Gini(R^1..R^N)
* sustainability            S = mean_i mean{ t : r_t^i > 0 }
* peace                     P = (N T - sum_i sum_t I_t^i) / T, I = agent tagged out

Every metric is computed from an :class:`EpisodeSummary` of sufficient statistics, so the
same function serves a full reward trajectory (:func:`summarize`) and the streaming
accumulators of the vector env (``socialenvs.core.stats``). Choices where the paper is
silent (documented here, tested in ``tests/test_metrics.py``):

* Gini of returns that sum to zero is 0 (equality 1): nobody has more than anybody else
  when everyone has nothing. Negative returns are shifted so that the minimum is 0 before
  the Gini is taken, which keeps equality within [0, 1] (Gini is not defined for
  negative incomes).
* An agent that never receives a positive reward is left out of the sustainability
  mean; if no agent ever does, sustainability is ``nan``.
* Times are 1-based (the first step is t = 1), as in the paper's sum from t = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class EpisodeSummary:
    """Sufficient statistics of one or many episodes (leading dims broadcast).

    Attributes:
        returns: ``[..., N]`` total reward per agent.
        length: ``[...]`` episode length T.
        positive_time_sum: ``[..., N]`` sum of the 1-based times t with r_t^i > 0.
        positive_count: ``[..., N]`` number of such times.
        inactive_steps: ``[..., N]`` steps each agent spent tagged out / removed.
    """

    returns: np.ndarray
    length: np.ndarray
    positive_time_sum: np.ndarray
    positive_count: np.ndarray
    inactive_steps: np.ndarray


def summarize(rewards: np.ndarray, inactive: np.ndarray | None = None) -> EpisodeSummary:
    """Summary of one episode from its rewards ``[T, N]`` (and tagged-out mask ``[T, N]``)."""
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.ndim != 2:
        raise ValueError(f"rewards must have shape [T, N], got {rewards.shape}")
    T = rewards.shape[0]
    times = np.arange(1, T + 1, dtype=np.float64)[:, None]
    positive = rewards > 0
    if inactive is None:
        inactive = np.zeros_like(positive)
    return EpisodeSummary(
        returns=rewards.sum(axis=0),
        length=np.asarray(T, dtype=np.float64),
        positive_time_sum=(positive * times).sum(axis=0),
        positive_count=positive.sum(axis=0).astype(np.float64),
        inactive_steps=np.asarray(inactive, dtype=np.float64).sum(axis=0),
    )


def efficiency(returns: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Utilitarian efficiency U = sum_i R^i / T (Perolat et al. 2017, §3)."""
    returns = np.asarray(returns, dtype=np.float64)
    return returns.sum(axis=-1) / np.maximum(np.asarray(length, dtype=np.float64), 1.0)


def per_capita_return(returns: np.ndarray) -> np.ndarray:
    """Mean return per agent, sum_i R^i / N (Melting Pot's focal per-capita return)."""
    return np.asarray(returns, dtype=np.float64).mean(axis=-1)


def gini(values: np.ndarray) -> np.ndarray:
    """Gini coefficient over the last axis: sum_ij |x_i - x_j| / (2 N sum_i x_i).

    Negative values are shifted so that the minimum is 0; an all-zero row has Gini 0.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x - np.minimum(x.min(axis=-1, keepdims=True), 0.0)
    n = x.shape[-1]
    total = x.sum(axis=-1)
    diffs = np.abs(x[..., :, None] - x[..., None, :]).sum(axis=(-1, -2))
    with np.errstate(invalid="ignore", divide="ignore"):
        g = diffs / (2.0 * n * total)
    return np.where(total > 0, g, 0.0)


def equality(returns: np.ndarray) -> np.ndarray:
    """Equality E = 1 - Gini of the per-agent returns (Perolat et al. 2017, §3)."""
    return 1.0 - gini(returns)


def sustainability(positive_time_sum: np.ndarray, positive_count: np.ndarray) -> np.ndarray:
    """Sustainability S: mean over agents of the mean time of positive reward (§3)."""
    s = np.asarray(positive_time_sum, dtype=np.float64)
    c = np.asarray(positive_count, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_agent = np.where(c > 0, s / np.maximum(c, 1.0), np.nan)
        has = (c > 0).sum(axis=-1)
        total = np.nansum(per_agent, axis=-1)
        return np.where(has > 0, total / np.maximum(has, 1), np.nan)


def peace(inactive_steps: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Peace P = (N T - sum_i sum_t I_t^i) / T: mean number of untagged agents (§3)."""
    inactive_steps = np.asarray(inactive_steps, dtype=np.float64)
    n = inactive_steps.shape[-1]
    length = np.maximum(np.asarray(length, dtype=np.float64), 1.0)
    return (n * length - inactive_steps.sum(axis=-1)) / length


def social_outcomes(summary: EpisodeSummary) -> dict[str, np.ndarray]:
    """All four Perolat et al. metrics plus collective and per-capita return."""
    return {
        "efficiency": efficiency(summary.returns, summary.length),
        "equality": equality(summary.returns),
        "sustainability": sustainability(summary.positive_time_sum, summary.positive_count),
        "peace": peace(summary.inactive_steps, summary.length),
        "collective_return": np.asarray(summary.returns, dtype=np.float64).sum(axis=-1),
        "per_capita_return": per_capita_return(summary.returns),
    }


def episode_metrics(rewards: np.ndarray, inactive: np.ndarray | None = None) -> dict[str, float]:
    """Convenience: the social-outcome metrics of one episode's ``[T, N]`` rewards."""
    return {k: float(v) for k, v in social_outcomes(summarize(rewards, inactive)).items()}
