import numpy as np
import pytest

from socialenvs import metrics


def test_efficiency_is_total_reward_per_step():
    rewards = np.array([[1, 0], [0, 0], [1, 2], [0, 0]], dtype=float)  # T=4, N=2
    m = metrics.episode_metrics(rewards)
    assert m["efficiency"] == pytest.approx(4 / 4)
    assert m["collective_return"] == 4
    assert m["per_capita_return"] == 2


def test_equality_known_values():
    assert metrics.equality(np.array([5.0, 5.0, 5.0])) == pytest.approx(1.0)
    # One agent has everything: Gini = (N - 1) / N.
    assert metrics.equality(np.array([0.0, 0.0, 0.0, 8.0])) == pytest.approx(1 - 3 / 4)
    # Hand computation: x = (1, 3): sum |xi - xj| = 4, 2 N sum = 2*2*4 = 16 -> G = 0.25.
    assert metrics.gini(np.array([1.0, 3.0])) == pytest.approx(0.25)
    # Nobody has anything: equal.
    assert metrics.equality(np.zeros(3)) == pytest.approx(1.0)
    # Negative returns are shifted: (-1, 1) -> (0, 2) -> G = 0.5.
    assert metrics.gini(np.array([-1.0, 1.0])) == pytest.approx(0.5)
    # Batched over leading dims.
    np.testing.assert_allclose(metrics.gini(np.array([[1.0, 3.0], [2.0, 2.0]])), [0.25, 0.0])


def test_sustainability_is_mean_time_of_positive_reward():
    rewards = np.zeros((10, 2))
    rewards[[1, 3], 0] = 1  # times 2 and 4 -> mean 3
    rewards[9, 1] = 1  # time 10
    assert metrics.episode_metrics(rewards)["sustainability"] == pytest.approx((3 + 10) / 2)
    # An agent that never earns is left out; nobody earning -> nan.
    rewards[:, 1] = 0
    assert metrics.episode_metrics(rewards)["sustainability"] == pytest.approx(3)
    assert np.isnan(metrics.episode_metrics(np.zeros((5, 2)))["sustainability"])


def test_peace_counts_untagged_agents():
    inactive = np.zeros((4, 3), dtype=bool)
    assert metrics.episode_metrics(np.zeros((4, 3)), inactive)["peace"] == 3
    inactive[:2, 0] = True  # agent 0 tagged out half the time
    assert metrics.episode_metrics(np.zeros((4, 3)), inactive)["peace"] == pytest.approx(2.5)


def test_streaming_accumulator_matches_full_trajectory():
    import socialenvs

    venv = socialenvs.make_vec("matrix_game_v0", num_envs=4, max_cycles=9)
    venv.reset(seed=0)
    rng = np.random.default_rng(0)
    rewards = []
    for _ in range(9):
        _, r, *_, infos = venv.step(rng.integers(2, size=(4, 2)))
        rewards.append(r)
    rewards = np.stack(rewards)  # [T, B, N]
    ep = infos["episode"]
    for b in range(4):
        ref = metrics.episode_metrics(rewards[:, b])
        for key, value in ref.items():
            np.testing.assert_allclose(ep[key][b], value, err_msg=key)


def test_bad_shape_raises():
    with pytest.raises(ValueError, match="shape"):
        metrics.summarize(np.zeros(5))
