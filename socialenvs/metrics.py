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


# ---------------------------------------------------------------------------------------
# Segregation metrics (Schelling models). A grid is an integer array ``[..., H, W]``:
# 0 = empty cell, a negative value = an agent of kind 0, a positive value = kind 1 (the
# encoding of ``schelling_v0``'s ``type_grid``). Leading dims are a batch. References:
# Massey & Denton 1988 (dissimilarity, isolation/exposure), Theil's entropy index H as in
# pysal ``segregation``; the local mixedness m_i is this project's proposal for Sert et
# al. 2020's "older agents sit in more segregated windows" (specs/schelling.md §5).
# ---------------------------------------------------------------------------------------


def _kind_layers(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    grid = np.asarray(grid)
    if grid.ndim < 2:
        raise ValueError(f"grid must have shape [..., H, W], got {grid.shape}")
    return (grid < 0).astype(np.int64), (grid > 0).astype(np.int64)


def _window_sum(layer: np.ndarray, radius: int, torus: bool, centre: bool) -> np.ndarray:
    """Sum of ``layer`` over the Moore-radius window around each cell (off-grid counts 0)."""
    if not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"radius={radius!r} must be an integer >= 0")
    H, W = layer.shape[-2:]
    out = np.zeros_like(layer)
    if torus:
        for dr in range(-radius, radius + 1):
            for dc in range(-radius, radius + 1):
                if dr == 0 and dc == 0 and not centre:
                    continue
                out += np.roll(layer, (-dr, -dc), axis=(-2, -1))
        return out
    pad = [(0, 0)] * (layer.ndim - 2) + [(radius, radius), (radius, radius)]
    padded = np.pad(layer, pad)
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            if dr == 0 and dc == 0 and not centre:
                continue
            out += padded[..., radius + dr : radius + dr + H, radius + dc : radius + dc + W]
    return out


def neighbour_counts(
    grid: np.ndarray, radius: int = 1, torus: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the number of same-kind and of occupied Moore neighbours (self excluded).

    Returns ``(same, occupied)``, both ``int[..., H, W]``; ``same`` is 0 on empty cells.
    """
    a, b = _kind_layers(grid)
    na = _window_sum(a, radius, torus, centre=False)
    nb = _window_sum(b, radius, torus, centre=False)
    return a * na + b * nb, na + nb


def same_type_fraction(
    grid: np.ndarray, radius: int = 1, torus: bool = False, per_kind: bool = False
) -> np.ndarray:
    """Mean over agents of #same / #occupied neighbours ("percent similar", Mesa's similarity).

    Agents without any neighbour are left out of the mean (``nan`` if no agent has one).
    Returns ``[...]``, or ``[..., 2]`` (kind 0, kind 1) with ``per_kind``. A random layout
    gives about each kind's population share.
    """
    a, b = _kind_layers(grid)
    same, occupied = neighbour_counts(grid, radius, torus)
    has = occupied > 0
    frac = np.where(has, same / np.maximum(occupied, 1), 0.0)
    axes = (-2, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if per_kind:
            out = [(frac * (k * has)).sum(axes) / (k * has).sum(axes) for k in (a, b)]
            return np.stack(out, axis=-1)
        agents = (a + b) * has
        return (frac * agents).sum(axes) / agents.sum(axes)


def fraction_unhappy(
    grid: np.ndarray,
    homophily: float,
    radius: int = 1,
    torus: bool = False,
    threshold: str = "fraction",
) -> np.ndarray:
    """Share of agents whose same-kind neighbours fall below the threshold (Schelling's
    "unhappy"; Mesa 3.3: an agent without neighbours has similarity 0). ``threshold`` is
    ``"fraction"`` (of occupied neighbours) or ``"count"``."""
    if threshold not in ("fraction", "count"):
        raise ValueError(f"threshold={threshold!r} is not allowed; choose 'fraction' or 'count'")
    a, b = _kind_layers(grid)
    same, occupied = neighbour_counts(grid, radius, torus)
    if threshold == "count":
        happy = same >= homophily
    else:
        happy = np.where(occupied > 0, same / np.maximum(occupied, 1), 0.0) >= homophily
    agents = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        return (agents * ~happy).sum((-2, -1)) / agents.sum((-2, -1))


def _block_counts(grid: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each kind in non-overlapping ``block x block`` units ``[..., units]``; a
    last partial row/column of blocks is a unit of its own."""
    if not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block={block!r} must be an integer >= 1")
    a, b = _kind_layers(grid)
    H, W = a.shape[-2:]
    nh, nw = -(-H // block), -(-W // block)
    pad = [(0, 0)] * (a.ndim - 2) + [(0, nh * block - H), (0, nw * block - W)]
    shape = a.shape[:-2] + (nh, block, nw, block)
    ca = np.pad(a, pad).reshape(shape).sum(axis=(-3, -1)).reshape(a.shape[:-2] + (-1,))
    cb = np.pad(b, pad).reshape(shape).sum(axis=(-3, -1)).reshape(a.shape[:-2] + (-1,))
    return ca, cb


def dissimilarity_index(grid: np.ndarray, block: int = 5) -> np.ndarray:
    """Dissimilarity D = 1/2 sum_j |a_j / A - b_j / B| over ``block x block`` units
    (Massey & Denton 1988; equals pysal's sum_j t_j |p_j - P| / (2 T P (1 - P)))."""
    ca, cb = _block_counts(grid, block)
    A, B = ca.sum(-1, keepdims=True), cb.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 0.5 * np.abs(ca / A - cb / B).sum(-1)


def isolation_index(grid: np.ndarray, block: int = 5, kind: int = 0) -> np.ndarray:
    """Isolation xPx* = sum_j (x_j / X)(x_j / t_j) of ``kind`` over ``block x block`` units."""
    return _interaction(grid, block, kind, same=True)


def exposure_index(grid: np.ndarray, block: int = 5, kind: int = 0) -> np.ndarray:
    """Exposure xPy* = sum_j (x_j / X)(y_j / t_j) of ``kind`` to the other kind."""
    return _interaction(grid, block, kind, same=False)


def _interaction(grid: np.ndarray, block: int, kind: int, same: bool) -> np.ndarray:
    if kind not in (0, 1):
        raise ValueError(f"kind={kind!r} is not allowed; choose 0 or 1")
    ca, cb = _block_counts(grid, block)
    x, y = (ca, cb) if kind == 0 else (cb, ca)
    t = x + y
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(t > 0, (x if same else y) / np.maximum(t, 1), 0.0)
        return (x / x.sum(-1, keepdims=True) * share).sum(-1)


def interface_density(grid: np.ndarray, torus: bool = False, moore: bool = True) -> np.ndarray:
    """Fraction of adjacent occupied pairs whose two agents are of different kinds.

    Each unordered pair of neighbouring cells counts once; ``moore`` uses the 8-neighbour
    (Moore) adjacency, else the 4-neighbour one.
    """
    a, b = _kind_layers(grid)
    offsets = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if moore else [])
    unlike = np.zeros(a.shape[:-2], dtype=np.int64)
    pairs = np.zeros(a.shape[:-2], dtype=np.int64)
    H, W = a.shape[-2:]
    for dr, dc in offsets:
        if torus:
            a2 = np.roll(a, (-dr, -dc), axis=(-2, -1))
            b2 = np.roll(b, (-dr, -dc), axis=(-2, -1))
            a1, b1 = a, b
        else:
            r0, r1 = 0, H - dr
            c0, c1 = max(0, -dc), W - max(0, dc)
            a1, b1 = a[..., r0:r1, c0:c1], b[..., r0:r1, c0:c1]
            a2 = a[..., r0 + dr : r1 + dr, c0 + dc : c1 + dc]
            b2 = b[..., r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        occ = (a1 + b1) * (a2 + b2)
        pairs += occ.sum((-2, -1))
        unlike += (a1 * b2 + b1 * a2).sum((-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return unlike / pairs


def _entropy(p: np.ndarray) -> np.ndarray:
    q = 1.0 - p
    with np.errstate(invalid="ignore", divide="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0) - np.where(q > 0, q * np.log(q), 0.0)
    return h


def entropy_index(grid: np.ndarray, block: int = 5) -> np.ndarray:
    """Theil's information-theory index H = sum_j t_j (E - E_j) / (T E) over
    ``block x block`` units, with E the entropy of the overall composition and E_j of
    unit j: 0 when every unit mirrors the whole, 1 when every unit holds one kind."""
    ca, cb = _block_counts(grid, block)
    t = ca + cb
    T = t.sum(-1)
    P = ca.sum(-1) / np.maximum(T, 1)
    E = _entropy(P)
    Ej = _entropy(np.where(t > 0, ca / np.maximum(t, 1), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (t * (E[..., None] - Ej)).sum(-1) / (T * E)


def multiscale_entropy_index(
    grid: np.ndarray, blocks: tuple[int, ...] = (2, 4, 8, 16)
) -> np.ndarray:
    """Theil's H on coarse-grained ``k x k`` blocks for each k in ``blocks``: ``[..., len]``.

    Segregated layouts keep H high up to the size of their clusters; mixed layouts drop
    to 0 already at small k. A reading of the multiscale measure of Sert et al. 2020
    (Fig. 3), whose exact formula we could not confirm; the mean over scales is a
    one-number summary.
    """
    return np.stack([entropy_index(grid, k) for k in blocks], axis=-1)


def window_composition(
    grid: np.ndarray, radius: int = 5, torus: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the same-kind and other-kind agent counts in its (2r+1)^2 window, the
    cell itself left out: ``(same, other)`` each ``int[..., H, W]`` (0 on empty cells)."""
    a, b = _kind_layers(grid)
    na = _window_sum(a, radius, torus, centre=False)
    nb = _window_sum(b, radius, torus, centre=False)
    return a * na + b * nb, a * nb + b * na


def window_mixedness(grid: np.ndarray, radius: int = 5, torus: bool = True) -> np.ndarray:
    """Local mixedness m_i = 1 - |n_same - n_other| / (n_same + n_other) in each agent's
    window: 1 for an even mix, 0 for a window of one kind. ``nan`` on empty cells and for
    agents alone in their window."""
    same, other = window_composition(grid, radius, torus)
    n = same + other
    occupied = np.asarray(grid) != 0
    with np.errstate(invalid="ignore", divide="ignore"):
        m = 1.0 - np.abs(same - other) / n
    return np.where(occupied & (n > 0), m, np.nan)


def mixedness_by_age(
    grid: np.ndarray,
    ages: np.ndarray,
    age_bins: np.ndarray | list[float],
    radius: int = 5,
    torus: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean window mixedness of the agents in each age bin (Sert et al. 2020: older
    agents sit in more segregated windows, i.e. lower mixedness).

    Args:
        grid: ``[..., H, W]`` kinds; ``ages``: same shape, the age of the agent on each
            cell (ignored on empty cells); ``age_bins``: bin edges (``np.digitize``).

    Returns:
        mean: ``[len(age_bins) - 1]`` mean mixedness per bin over all cells of the batch
            (``nan`` for empty bins).
        count: ``[len(age_bins) - 1]`` agents per bin.
    """
    m = window_mixedness(grid, radius, torus).ravel()
    ages = np.broadcast_to(np.asarray(ages), np.shape(grid)).ravel()
    edges = np.asarray(age_bins, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"age_bins={age_bins!r} must be at least 2 increasing edges")
    keep = ~np.isnan(m) & (ages >= edges[0]) & (ages < edges[-1])
    which = np.digitize(ages[keep], edges) - 1
    k = len(edges) - 1
    count = np.bincount(which, minlength=k)[:k]
    total = np.bincount(which, weights=m[keep], minlength=k)[:k]
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count, count


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


def punishment_by_deviation(
    contributions: np.ndarray,
    received: np.ndarray,
    edges: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean punishment received by the deviation of a player's contribution from the mean
    contribution of the other members of its group (Fehr & Gächter 2002, Nature 415:137:
    punishment falls on those who contribute less than the others).

    Args:
        contributions: ``[M, N]`` contributions, one row per group and period.
        received: ``[M, N]`` punishment received in the same period (points or payoff).
        edges: bin edges of the deviation (default: width 6 centred on 0, -21..21, for an
            endowment of 20).

    Returns:
        ``(mean received per bin float64[K], player-periods per bin int64[K])``; ``nan``
        for empty bins.
    """
    c = np.asarray(contributions, dtype=np.float64)
    r = np.asarray(received, dtype=np.float64)
    if c.shape != r.shape or c.ndim != 2 or c.shape[1] < 2:
        raise ValueError(
            f"contributions and received must both be [M, N] with N >= 2; got {c.shape}, {r.shape}"
        )
    edges = np.arange(-21.0, 22.0, 6.0) if edges is None else np.asarray(edges, np.float64)
    n = c.shape[1]
    dev = c - (c.sum(axis=1, keepdims=True) - c) / (n - 1)
    which = np.digitize(dev.ravel(), edges) - 1
    keep = (which >= 0) & (which < len(edges) - 1)
    k = len(edges) - 1
    count = np.bincount(which[keep], minlength=k)[:k]
    total = np.bincount(which[keep], weights=r.ravel()[keep], minlength=k)[:k]
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count, count


def commons_outcomes(
    harvests: np.ndarray,
    thresholds: np.ndarray,
    survived_months: int,
    max_months: int,
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
