"""Return scaling (``ReturnScaleTransform``, Engstrom et al. 2020 reward scaling)."""

import numpy as np
import pytest

from socialenvs.wrappers.rewards import FehrSchmidtTransform, ReturnScaleTransform


def test_divides_by_the_running_std_of_the_discounted_return():
    rng = np.random.default_rng(0)
    B, N, T, gamma = 3, 2, 40, 0.9
    tr = ReturnScaleTransform(gamma=gamma)
    tr.reset(B, N)
    r = rng.normal(5.0, 20.0, size=(T, B, N))
    returns, R = [], np.zeros((B, N))
    for t in range(T):
        out = tr.apply(r[t])
        R = gamma * R + r[t]
        returns.append(R.copy())
        std = np.std(np.stack(returns))  # every return seen so far, all copies and agents
        np.testing.assert_allclose(out, r[t] / std, rtol=1e-4)
    assert tr.std == pytest.approx(np.std(np.stack(returns)))
    # one scale for every agent: ratios and signs of a step's rewards are kept
    out = tr.apply(np.array([[2.0, -4.0]] * B))
    np.testing.assert_allclose(out[:, 1] / out[:, 0], -2.0, rtol=1e-5)


def test_episode_end_resets_the_return_and_the_inner_transform():
    inner = FehrSchmidtTransform(alpha=5.0, beta=0.05, window=None)
    tr = ReturnScaleTransform(inner, gamma=0.99)
    tr.reset(2, 4)
    r = np.array([[10.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    u = tr.apply(r)
    # the inner transform ran first: the rich player's guilt, the others' envy, scaled
    raw = inner.totals.copy()
    assert (raw == r).all() and u[0, 1] < 0 < u[0, 0]
    tr.end_episode(np.array([0]))
    assert (tr.returns[0] == 0).all() and (tr.returns[1] != 0).all()
    assert (inner.totals[0] == 0).all() and (inner.totals[1] == 1).all()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="gamma"):
        ReturnScaleTransform(gamma=1.5)
    with pytest.raises(ValueError, match="eps"):
        ReturnScaleTransform(eps=0.0)
    with pytest.raises(ValueError, match="inner"):
        ReturnScaleTransform(inner="fehr_schmidt")


def test_reward_scale_is_what_the_transform_divides_by():
    tr = ReturnScaleTransform()
    tr.reset(2, 3)
    r = np.arange(6, dtype=np.float64).reshape(2, 3) + 1.0
    out = tr.apply(r)
    np.testing.assert_allclose(out, r / tr.reward_scale, rtol=1e-6)
    assert tr.reward_scale == tr.std + tr.eps
    assert FehrSchmidtTransform().reward_scale == 1.0  # no rescaling
