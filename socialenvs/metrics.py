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


# --------------------------------------------------------------------------- sanctions
# Sanction and norm metrics (sanctions-norms spec §1.6, §2.6, §4.5, §6.3, §7.2). Inputs are
# plain arrays taken from the public event record (see socialenvs.norms.sanctions).


def zap_matrix(actor_group: np.ndarray, target_group: np.ndarray, num_groups: int) -> np.ndarray:
    """``int64[G, G]`` counts of sanctions by the actor's group (row) and target's (column).

    Groups are any small labels: avatar colour (Allelopathic Harvest's colour x colour
    matrix), taste (taste x taste), or player index (who-zapped-who).
    """
    a = np.asarray(actor_group, dtype=np.int64).ravel()
    t = np.asarray(target_group, dtype=np.int64).ravel()
    if a.shape != t.shape:
        raise ValueError(f"actor_group and target_group differ in size: {a.shape} vs {t.shape}")
    if a.size and (min(a.min(), t.min()) < 0 or max(a.max(), t.max()) >= num_groups):
        raise ValueError(f"groups must lie in 0..{num_groups - 1}")
    return np.bincount(a * num_groups + t, minlength=num_groups**2).reshape(num_groups, num_groups)


def free_rider_zap_share(target_colour: np.ndarray, grey: int = 0) -> dict[str, float]:
    """Share of zaps aimed at grey (possible free-rider) vs coloured (recent planter)
    targets in Allelopathic Harvest; ``nan`` shares when there are no zaps."""
    t = np.asarray(target_colour).ravel()
    n = t.size
    on_grey = float((t == grey).sum())
    return {
        "zaps": float(n),
        "on_free_riders": on_grey / n if n else float("nan"),
        "on_planters": (n - on_grey) / n if n else float("nan"),
    }


def monoculture_fraction(berry_counts: np.ndarray) -> np.ndarray:
    """``max_c N_c / sum_c N_c`` over the last axis (Melting Pot's ``monoculture_fraction``);
    pass ``[T, 3]`` counts for the fraction over time."""
    counts = np.asarray(berry_counts, dtype=np.float64)
    total = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, counts.max(axis=-1) / np.maximum(total, 1e-300), np.nan)


def antisocial_punishment_rate(unjust: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Fraction of punishment (by count, or by ``weights`` such as points) that hit
    cooperators: anti-social / unjust punishment (Herrmann et al. 2008; Dasgupta &
    Musolesi 2023). ``nan`` when there was no punishment."""
    u = np.asarray(unjust, dtype=bool).ravel()
    w = np.ones(u.size) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    total = w.sum()
    return float(w[u].sum() / total) if total > 0 else float("nan")


def commons_outcomes(
    harvests: np.ndarray, thresholds: np.ndarray, survived_months: int, max_months: int,
    sustainable_per_agent: float,
) -> dict[str, float]:
    """GovSim's metrics of one run (Piatti et al. 2024, §2).

    Args:
        harvests: ``[T, N]`` units each agent caught in each month played.
        thresholds: ``[T]`` the sustainability threshold f(t) of each month.
        survived_months: months before collapse (``max_months`` if none).
        max_months: the horizon (12).
        sustainable_per_agent: f(0), the threshold at the start (10 for pool 100, N 5).

    Returns:
        ``survival_time``; ``survived`` (1.0 if no collapse); ``efficiency`` =
        ``1 - max(0, T N f(0) - sum R) / (T N f(0))`` (the paper's formula uses T f(0); we
        normalise by the group's sustainable total T N f(0), the 600 units of the
        paper's optimum, so that the sustainable policy scores 1); ``equality`` = 1 - Gini
        of the totals (standard normalisation, see ``gini``); ``over_usage`` = share of
        harvest actions with catch above f(t).
    """
    h = np.asarray(harvests, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"harvests must have shape [T, N], got {h.shape}")
    f = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    T, N = h.shape
    best = max_months * N * sustainable_per_agent
    gain = h.sum()
    actions = h[: len(f)]
    return {
        "survival_time": float(survived_months),
        "survived": float(survived_months >= max_months),
        "efficiency": float(1.0 - max(0.0, best - gain) / best) if best > 0 else float("nan"),
        "equality": float(equality(h.sum(axis=0))),
        "over_usage": float((actions > f[: len(actions), None]).mean()) if T else float("nan"),
    }
