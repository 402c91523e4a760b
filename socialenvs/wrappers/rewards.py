"""Reward transforms: zero-sum gifting, inequity aversion (two forms), prosocial reward.

Each transform is written once, as a pure function on reward arrays ``[B, N]`` (``B``
env copies, ``N`` agents), and applied to an environment by a thin wrapper for each view:

* :class:`RewardTransformParallelEnv` wraps a PettingZoo ``ParallelEnv`` (``B = 1``; the
  rewards dict is read and written in ``possible_agents`` order);
* :class:`RewardTransformVectorEnv` wraps a :class:`~socialenvs.core.views.VectorEnv`
  (``[B, N]`` arrays, per-copy state reset when a copy's episode ends).

The convenience constructors :func:`GiftingWrapper`, :func:`InequityAversionWrapper` and
:func:`ProsocialWrapper` pick the right wrapper for the env they are given. Both wrappers
keep the untransformed rewards: ``infos[agent]["extrinsic_reward"]`` in the PettingZoo view,
``infos["extrinsic_rewards"]`` (``[B, N]``) in the vector view, so that social-outcome
metrics are always computed on what the environment paid.

Transforms
----------

**Zero-sum gifting** (Kong et al. 2024, LASE, §3 "gifting"; Lupu & Precup 2020 zero-sum
variant). A row-stochastic weight matrix ``w[i, j]`` (``w >= 0``, ``sum_j w[i, j] = 1``)
says which share of agent ``i``'s reward goes to agent ``j`` (``w[i, i]`` is what ``i``
keeps). The post-gift reward of ``j`` is ``r~_j = sum_i w[i, j] r_i``. Because each row
sums to one, ``sum_j r~_j = sum_i r_i``: gifting moves reward between agents and never
creates or destroys it.

**Inequity aversion** (Hughes, Leibo et al. 2018, "Inequity aversion improves cooperation
in intertemporal social dilemmas", NeurIPS, §3): a Fehr-Schmidt utility on temporally
smoothed rewards ``e_j(t) = gamma * lam * e_j(t-1) + r_j(t)``::

    u_i = r_i - alpha/(N-1) * sum_{j != i} max(e_j - e_i, 0)
              - beta/(N-1)  * sum_{j != i} max(e_i - e_j, 0)

``alpha`` weighs disadvantageous inequity (envy), ``beta`` advantageous inequity (guilt).
The smoothed rewards start at zero at each episode's start. Defaults ``alpha = 5``,
``beta = 0.05`` are the SSD repository's example flags; ``gamma = 0.99``, ``lam = 0.975``
are our choice (the paper's smoothing value is not confirmed by any source we read).

**Fehr-Schmidt utility of accumulated payoffs** (Fehr & Schmidt 1999, "A theory of
fairness, competition, and cooperation", QJE 114:817, §II). Without smoothing or a
per-step charge: with ``x_j`` the material payoff each agent accumulated since the start of
the current *window* (the episode, or every ``window`` steps, e.g. one period of a staged
game), ``U_i(x) = x_i - alpha/(N-1) sum_j max(x_j - x_i, 0) - beta/(N-1) sum_j max(x_i -
x_j, 0)``, and each step pays the change ``U_i(x after) - U_i(x before)``. The rewards of
a window therefore sum to exactly the Fehr-Schmidt utility of its total payoffs, however
the environment splits payoffs into steps (a stage game whose payoffs arrive in bursts
keeps Fehr & Schmidt's weights; Hughes et al.'s form charges the smoothed inequity at
every step, so there the weight grows with the number of steps it persists).

**Prosocial reward**: ``r~_i = (1 - p) r_i + p * mean_j r_j`` with prosociality
``p in [0, 1]``. ``p = 1`` is the fully shared reward (every agent gets the group mean;
LASE's ``prosocial`` control mode, ``w[i, j] = 1/N``); ``p = 0`` is selfish. It is zero-sum
gifting with ``w = (1 - p) I + p/N``, and so also conserves the total.

**Return scaling** (:class:`ReturnScaleTransform`; Engstrom et al. 2020, ICLR,
"Implementation matters in deep policy gradients", §3 reward scaling): rewards, after an
optional inner transform, divided by the running standard deviation of the discounted
return, one scale for all agents. A training aid, not a motive: it keeps large rewards
(Fehr-Schmidt utilities of 20-MU payoffs) from letting PPO's value loss swamp the policy's
share of a clipped gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pettingzoo.utils import BaseParallelWrapper

from socialenvs.core.views import VectorEnv

# ---------------------------------------------------------------------- pure functions


def check_gift_weights(weights: np.ndarray, num_agents: int, atol: float = 1e-5) -> np.ndarray:
    """Validate gift weights ``[N, N]`` or ``[B, N, N]``: non-negative, rows summing to one.

    Returns the weights as float64; raises ``ValueError`` naming the bad value otherwise.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.shape[-2:] != (num_agents, num_agents) or w.ndim not in (2, 3):
        raise ValueError(
            f"gift weights must have shape [N, N] or [B, N, N] with N={num_agents}, got {w.shape}"
        )
    if (w < -atol).any():
        raise ValueError(f"gift weights must be >= 0; got minimum {w.min():.6g}")
    rows = w.sum(axis=-1)
    if not np.allclose(rows, 1.0, atol=atol):
        bad = rows.ravel()[np.argmax(np.abs(rows.ravel() - 1.0))]
        raise ValueError(
            f"each row of the gift weights must sum to 1 (what i keeps + gives); got {bad:.6g}"
        )
    return w


def gift_rewards(rewards: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Zero-sum gifting: ``r~[b, j] = sum_i w[b, i, j] * r[b, i]``.

    Args:
        rewards: ``[B, N]`` rewards paid by the environment.
        weights: ``[N, N]`` or ``[B, N, N]`` row-stochastic gift weights (row ``i`` = how
            agent ``i`` splits its reward; ``w[i, i]`` is kept). Not re-validated here;
            see :func:`check_gift_weights`.

    Returns:
        ``float32[B, N]`` post-gift rewards with the same per-copy total.
    """
    r = np.asarray(rewards, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    out = np.einsum("bi,bij->bj", r, np.broadcast_to(w, (r.shape[0], *w.shape[-2:])))
    return out.astype(np.float32)


def prosocial_rewards(rewards: np.ndarray, prosociality: float = 1.0) -> np.ndarray:
    """Prosocial reward ``(1 - p) r_i + p * mean_j r_j`` over the last axis (``[B, N]``)."""
    r = np.asarray(rewards, dtype=np.float64)
    return ((1.0 - prosociality) * r + prosociality * r.mean(axis=-1, keepdims=True)).astype(
        np.float32
    )


def inequity_aversion_rewards(
    rewards: np.ndarray,
    smoothed: np.ndarray,
    alpha: float,
    beta: float,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of Hughes et al. 2018's inequity-averse utility.

    Args:
        rewards: ``[B, N]`` this step's extrinsic rewards.
        smoothed: ``[B, N]`` smoothed rewards ``e(t-1)`` (zeros at an episode's start).
        alpha, beta: disadvantageous / advantageous inequity weights.
        gamma, lam: the smoothing factor is ``gamma * lam``.

    Returns:
        ``(utilities float32[B, N], e(t) float64[B, N])``.
    """
    r = np.asarray(rewards, dtype=np.float64)
    e = gamma * lam * np.asarray(smoothed, dtype=np.float64) + r
    n = r.shape[-1]
    if n < 2:
        return r.astype(np.float32), e
    diff = e[:, None, :] - e[:, :, None]  # diff[b, i, j] = e_j - e_i (zero on the diagonal)
    envy = np.maximum(diff, 0.0).sum(axis=-1)
    guilt = np.maximum(-diff, 0.0).sum(axis=-1)
    u = r - (alpha * envy + beta * guilt) / (n - 1)
    return u.astype(np.float32), e


def fehr_schmidt_utility(
    payoffs: np.ndarray,
    alpha: float | np.ndarray,
    beta: float | np.ndarray,
    envies: np.ndarray | None = None,
) -> np.ndarray:
    """Fehr & Schmidt 1999 utility of material payoffs ``[B, N]`` (float64 ``[B, N]``);
    ``alpha`` and ``beta`` are numbers or one weight per agent (``[N]``).

    ``U_i = x_i - alpha/(N-1) sum_{j != i} max(x_j - x_i, 0)
    - beta/(N-1) sum_{j != i} max(x_i - x_j, 0)``; with one agent ``U = x``.
    ``envies`` (bool ``[B, N, N]``, ``envies[b, i, j]``: i may envy j) restricts the
    disadvantageous term to the marked pairs (:class:`FehrSchmidtTransform`'s
    ``envy="reciprocal"``); ``None``: every pair.
    """
    x = np.asarray(payoffs, dtype=np.float64)
    n = x.shape[-1]
    if n < 2:
        return x.copy()
    diff = x[:, None, :] - x[:, :, None]  # diff[b, i, j] = x_j - x_i
    envy = np.maximum(diff, 0.0)
    if envies is not None:
        envy = envy * envies
    guilt = np.maximum(-diff, 0.0).sum(axis=-1)
    return x - (alpha * envy.sum(axis=-1) + beta * guilt) / (n - 1)


# ---------------------------------------------------------------------- stateful transforms


class RewardTransform:
    """A reward transform with per-copy state; subclasses implement :meth:`apply`.

    ``reset(num_envs, num_agents)`` allocates state for ``B`` copies; ``apply(rewards)``
    maps ``[B, N]`` extrinsic rewards to ``[B, N]`` transformed rewards (after the step);
    ``end_episode(idx)`` clears the state of copies whose episode ended.
    """

    num_envs: int = 0
    num_agents: int = 0

    def reset(self, num_envs: int, num_agents: int) -> None:
        self.num_envs, self.num_agents = num_envs, num_agents

    def end_episode(self, idx: np.ndarray) -> None:
        pass

    def apply(self, rewards: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def reward_scale(self) -> float:
        """What the transform currently divides rewards by (1: it does not rescale).
        Extra rewards added after the transform (e.g. CNM pseudo-rewards) divide by it
        to stay in the env's units."""
        return 1.0


class GiftingTransform(RewardTransform):
    """Zero-sum gifting with given weights.

    Args:
        weights: ``[N, N]`` or ``[B, N, N]`` row-stochastic weights, or a callable returning
            them (called once per step, before the rewards are split; e.g. a learner's
            current gift weights). :meth:`set_weights` replaces them between steps.
    """

    def __init__(self, weights: np.ndarray | Callable[[], np.ndarray]):
        self._weights = weights
        if not callable(weights):
            w = np.asarray(weights, dtype=np.float64)
            check_gift_weights(w, w.shape[-1])

    def set_weights(self, weights: np.ndarray | Callable[[], np.ndarray]) -> None:
        self._weights = weights

    def current_weights(self) -> np.ndarray:
        w = self._weights() if callable(self._weights) else self._weights
        return check_gift_weights(w, self.num_agents)

    def apply(self, rewards: np.ndarray) -> np.ndarray:
        return gift_rewards(rewards, self.current_weights())


class InequityAversionTransform(RewardTransform):
    """Hughes et al. 2018 inequity aversion (see :func:`inequity_aversion_rewards`)."""

    def __init__(
        self, alpha: float = 5.0, beta: float = 0.05, gamma: float = 0.99, lam: float = 0.975
    ):
        for name, v in (("alpha", alpha), ("beta", beta)):
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{name}={v!r} must be a finite number >= 0")
        for name, v in (("gamma", gamma), ("lam", lam)):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name}={v!r} is out of range; allowed: [0, 1]")
        self.alpha, self.beta, self.gamma, self.lam = alpha, beta, gamma, lam
        self.smoothed = np.zeros((0, 0))

    def reset(self, num_envs: int, num_agents: int) -> None:
        super().reset(num_envs, num_agents)
        self.smoothed = np.zeros((num_envs, num_agents))

    def end_episode(self, idx: np.ndarray) -> None:
        self.smoothed[idx] = 0.0

    def apply(self, rewards: np.ndarray) -> np.ndarray:
        u, self.smoothed = inequity_aversion_rewards(
            rewards, self.smoothed, self.alpha, self.beta, self.gamma, self.lam
        )
        return u


FEHR_SCHMIDT_ENVY = ("all", "reciprocal")


class FehrSchmidtTransform(RewardTransform):
    """Fehr & Schmidt 1999 utility of the payoffs accumulated in the current window.

    Each step pays ``U(x + r) - U(x)`` (:func:`fehr_schmidt_utility`), where ``x`` is
    what every agent earned since the window started, so a window's rewards sum to the
    Fehr-Schmidt utility of its total payoffs.

    Args:
        alpha, beta: disadvantageous / advantageous inequity weights (>= 0), one number
            for every agent or one per agent (``[N]``; a group of mixed types, as in Fehr
            & Schmidt's §IV, where selfish players have ``alpha = beta = 0``).
        window: steps after which the accumulated payoffs restart (e.g. the steps of one
            period of a staged game, so that each period is judged on its own, as in
            Fehr & Schmidt's stage-game analysis); ``None``: the whole episode. Windows
            count from each copy's episode start.
        envy: ``"all"`` (Fehr & Schmidt): every agent who earns more is envied.
            ``"reciprocal"``: agent i envies only the agents whose reward at the first
            step of the window exceeded its own, i.e. who got ahead of it by their own
            first move; in ``public_goods_v0``, whose first step of a period pays
            ``E - g_i + mpcr sum g``, exactly those who contributed less than i. An
            intention-based variant of our choice (a learner resents a free rider's
            advantage, not a fellow contributor's): Falk, Fehr & Fischbacher 2008 (GEB
            62:287, "Testing theories of fairness: intentions matter") find that the
            same unequal offer is rejected far more often when the proposer could have
            made a fair one; Falk & Fischbacher 2006 (GEB 54:293) model reciprocity as
            outcomes plus intentions.
            Guilt (``beta``) is unchanged.

    The defaults are :class:`InequityAversionTransform`'s (Hughes et al.'s example flags);
    Fehr & Schmidt give a distribution of types, not one pair.
    """

    def __init__(
        self,
        alpha: float | np.ndarray = 5.0,
        beta: float | np.ndarray = 0.05,
        window: int | None = None,
        envy: str = "all",
    ):
        if envy not in FEHR_SCHMIDT_ENVY:
            raise ValueError(f"envy={envy!r}; allowed: {FEHR_SCHMIDT_ENVY}")
        for name, v in (("alpha", alpha), ("beta", beta)):
            a = np.asarray(v, dtype=np.float64)
            if a.ndim > 1 or not np.isfinite(a).all() or (a < 0).any():
                raise ValueError(
                    f"{name}={v!r} must be a finite number >= 0, or one per agent ([N])"
                )
        if window is not None and (not isinstance(window, (int, np.integer)) or window < 1):
            raise ValueError(f"window={window!r} must be a positive integer or None")
        self.alpha = float(alpha) if np.ndim(alpha) == 0 else np.asarray(alpha, np.float64)
        self.beta = float(beta) if np.ndim(beta) == 0 else np.asarray(beta, np.float64)
        self.window = None if window is None else int(window)
        self.envy = envy
        self.totals = np.zeros((0, 0))
        self.first = np.zeros((0, 0))  # reward at the window's first step
        self.steps = np.zeros(0, dtype=np.int64)

    def reset(self, num_envs: int, num_agents: int) -> None:
        super().reset(num_envs, num_agents)
        self.totals = np.zeros((num_envs, num_agents))
        self.first = np.zeros((num_envs, num_agents))
        self.steps = np.zeros(num_envs, dtype=np.int64)

    def end_episode(self, idx: np.ndarray) -> None:
        self.totals[idx] = 0.0
        self.first[idx] = 0.0
        self.steps[idx] = 0

    def apply(self, rewards: np.ndarray) -> np.ndarray:
        r = np.asarray(rewards, dtype=np.float64)
        before = self.totals
        after = before + r
        envies = None
        if self.envy == "reciprocal":
            starts = self.steps == 0 if self.window is None else self.steps % self.window == 0
            self.first[starts] = r[starts]
            envies = self.first[:, None, :] > self.first[:, :, None]  # j got ahead of i
        u = fehr_schmidt_utility(after, self.alpha, self.beta, envies)
        u -= fehr_schmidt_utility(before, self.alpha, self.beta, envies)
        self.totals = after
        self.steps += 1
        if self.window is not None:
            self.totals[self.steps % self.window == 0] = 0.0
        return u.astype(np.float32)


class ProsocialTransform(RewardTransform):
    """Prosocial reward with prosociality ``p`` in [0, 1] (``1``: fully shared)."""

    def __init__(self, prosociality: float = 1.0):
        if not 0.0 <= prosociality <= 1.0:
            raise ValueError(f"prosociality={prosociality!r} is out of range; allowed: [0, 1]")
        self.prosociality = float(prosociality)

    def apply(self, rewards: np.ndarray) -> np.ndarray:
        return prosocial_rewards(rewards, self.prosociality)


class ReturnScaleTransform(RewardTransform):
    """Rewards divided by a running standard deviation of the discounted return.

    The "reward scaling" of Engstrom et al. 2020 (ICLR, "Implementation matters in deep
    policy gradients: a case study on PPO and TRPO", §3): each copy and agent keeps
    ``R <- gamma R + r`` (reset at episode end); rewards are divided by the standard
    deviation of every ``R`` seen so far (one running estimate for all copies and agents, so
    the agents' rewards keep their ratios; not re-centred, so signs are kept). It changes the
    scale the learners see, not which policies are optimal. Use it when rewards are large
    (e.g. tens of payoff units per step): PPO's unnormalised value loss then dominates a
    shared network's clipped gradient and the policy barely moves.

    Args:
        inner: a transform applied first (e.g. :class:`FehrSchmidtTransform`); ``None``:
            the environment's rewards.
        gamma: discount of the running return (the learner's).
        eps: added to the standard deviation.
    """

    def __init__(
        self, inner: RewardTransform | None = None, gamma: float = 0.99, eps: float = 1e-8
    ):
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma={gamma!r} is out of range; allowed: [0, 1]")
        if not eps > 0:
            raise ValueError(f"eps={eps!r} must be > 0")
        if inner is not None and not isinstance(inner, RewardTransform):
            raise ValueError(f"inner={inner!r} must be a RewardTransform or None")
        self.inner, self.gamma, self.eps = inner, float(gamma), float(eps)
        self.returns = np.zeros((0, 0))
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def reset(self, num_envs: int, num_agents: int) -> None:
        super().reset(num_envs, num_agents)
        if self.inner is not None:
            self.inner.reset(num_envs, num_agents)
        self.returns = np.zeros((num_envs, num_agents))

    def end_episode(self, idx: np.ndarray) -> None:
        if self.inner is not None:
            self.inner.end_episode(idx)
        self.returns[idx] = 0.0

    @property
    def std(self) -> float:
        """Current running standard deviation of the discounted return (1 before data)."""
        return float(np.sqrt(self.m2 / self.count)) if self.count else 1.0

    @property
    def reward_scale(self) -> float:
        return self.std + self.eps

    def apply(self, rewards: np.ndarray) -> np.ndarray:
        r = np.asarray(rewards if self.inner is None else self.inner.apply(rewards), np.float64)
        self.returns = self.gamma * self.returns + r
        x = self.returns.reshape(-1)
        # Chan et al. parallel update of the running mean and sum of squared deviations.
        n, k = self.count, x.size
        delta = x.mean() - self.mean
        self.mean += delta * k / (n + k)
        self.m2 += x.var() * k + delta * delta * n * k / (n + k)
        self.count = n + k
        return (r / (self.std + self.eps)).astype(np.float32)


# ---------------------------------------------------------------------- view wrappers


class RewardTransformParallelEnv(BaseParallelWrapper):
    """A PettingZoo ``ParallelEnv`` whose rewards pass through a :class:`RewardTransform`.

    ``infos[agent]["extrinsic_reward"]`` keeps the environment's own reward.
    """

    def __init__(self, env, transform: RewardTransform):
        super().__init__(env)
        self.transform = transform
        self._order = list(env.possible_agents)

    @property
    def possible_agents(self):
        return self.env.possible_agents

    @property
    def agents(self):
        return self.env.agents

    def reset(self, seed: int | None = None, options: dict | None = None):
        out = self.env.reset(seed=seed, options=options)
        self.transform.reset(1, len(self._order))
        return out

    def step(self, actions: dict[str, Any]):
        obs, rew, term, trunc, infos = self.env.step(actions)
        r = np.array([[rew.get(a, 0.0) for a in self._order]], dtype=np.float32)
        shaped = self.transform.apply(r)[0]
        new_rew = {}
        for k, a in enumerate(self._order):
            if a in rew:
                new_rew[a] = float(shaped[k])
                infos[a] = {**infos.get(a, {}), "extrinsic_reward": rew[a]}
        if not self.env.agents:
            self.transform.end_episode(np.array([0]))
        return obs, new_rew, term, trunc, infos


class RewardTransformVectorEnv:
    """A :class:`VectorEnv` whose rewards pass through a :class:`RewardTransform`.

    ``infos["extrinsic_rewards"]`` keeps the environment's rewards ``[B, N]``; episode
    statistics in ``infos["episode"]`` stay those of the extrinsic rewards.
    """

    def __init__(self, venv: VectorEnv, transform: RewardTransform):
        self.venv = venv
        self.transform = transform

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.venv, name)

    def reset(self, seed: int | None = None):
        out = self.venv.reset(seed=seed)
        self.transform.reset(self.venv.num_envs, self.venv.num_agents)
        return out

    def step(self, actions: np.ndarray):
        obs, rewards, terminated, truncated, infos = self.venv.step(actions)
        infos["extrinsic_rewards"] = rewards
        shaped = self.transform.apply(rewards)
        done = infos["done_envs"]
        if done.any():
            self.transform.end_episode(np.flatnonzero(done))
        return obs, shaped, terminated, truncated, infos


def wrap_rewards(env, transform: RewardTransform):
    """Apply ``transform`` to a PettingZoo ``ParallelEnv`` or a :class:`VectorEnv`."""
    if isinstance(env, (VectorEnv, RewardTransformVectorEnv)):
        return RewardTransformVectorEnv(env, transform)
    if hasattr(env, "possible_agents") and hasattr(env, "step"):
        return RewardTransformParallelEnv(env, transform)
    raise ValueError(
        f"cannot wrap {type(env).__name__}: expected a PettingZoo ParallelEnv or a VectorEnv"
    )


def GiftingWrapper(env, weights: np.ndarray | Callable[[], np.ndarray]):  # noqa: N802
    """Zero-sum gifting with ``weights`` (array or callable) on either view."""
    return wrap_rewards(env, GiftingTransform(weights))


def InequityAversionWrapper(  # noqa: N802
    env, alpha: float = 5.0, beta: float = 0.05, gamma: float = 0.99, lam: float = 0.975
):
    """Hughes et al. 2018 inequity-averse rewards on either view."""
    return wrap_rewards(env, InequityAversionTransform(alpha, beta, gamma, lam))


def FehrSchmidtWrapper(  # noqa: N802
    env, alpha: float = 5.0, beta: float = 0.05, window: int | None = None, envy: str = "all"
):
    """Fehr & Schmidt 1999 utility of accumulated payoffs on either view."""
    return wrap_rewards(env, FehrSchmidtTransform(alpha, beta, window, envy))


def ProsocialWrapper(env, prosociality: float = 1.0):  # noqa: N802
    """Prosocial / shared reward on either view."""
    return wrap_rewards(env, ProsocialTransform(prosociality))
