import numpy as np
import pytest

from training.gae import gae


def test_gae_matches_hand_computation_with_episode_cut():
    # One slot, 4 steps; the episode ends at t=1 (terminated: bootstrap 0).
    r = np.array([1.0, 2.0, 0.5, -1.0])
    v = np.array([0.5, 1.0, 0.2, 0.3])
    nv = np.array([1.0, 0.0, 0.3, 0.7])  # V(s_{t+1}); 0 at the terminal step
    d = np.array([0, 1, 0, 0], dtype=bool)
    g, lam = 0.9, 0.8
    deltas = r + g * nv - v
    a3 = deltas[3]
    a2 = deltas[2] + g * lam * a3
    a1 = deltas[1]  # trace cut by the episode end
    a0 = deltas[0] + g * lam * a1
    adv, ret = gae(r, v, nv, d, g, lam)
    np.testing.assert_allclose(adv, [a0, a1, a2, a3], rtol=1e-6)
    np.testing.assert_allclose(ret, adv + v, rtol=1e-6)


def test_gae_lambda_one_is_discounted_return_minus_value():
    r = np.ones((5, 2), dtype=np.float32)
    v = np.zeros((5, 2), dtype=np.float32)
    nv = np.zeros((5, 2), dtype=np.float32)
    adv, _ = gae(r, v, nv, np.zeros((5, 2), bool), 0.5, 1.0)
    expected = [sum(0.5**k for k in range(5 - t)) for t in range(5)]
    np.testing.assert_allclose(adv[:, 0], expected, rtol=1e-6)


def test_gae_rejects_bad_arguments():
    with pytest.raises(ValueError, match="gamma"):
        gae(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 1.5, 0.9)
    with pytest.raises(ValueError, match="same shape"):
        gae(np.zeros(2), np.zeros(3), np.zeros(2), np.zeros(2), 0.9, 0.9)
