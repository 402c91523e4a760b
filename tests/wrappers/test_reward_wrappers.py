import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import socialenvs
from socialenvs.wrappers.rewards import (
    GiftingWrapper,
    InequityAversionWrapper,
    ProsocialWrapper,
    check_gift_weights,
    gift_rewards,
    inequity_aversion_rewards,
    prosocial_rewards,
)


def random_row_stochastic(rng, b, n):
    w = rng.random((b, n, n))
    return w / w.sum(axis=-1, keepdims=True)


def test_gifting_conserves_total_reward():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5):
        r = rng.normal(size=(64, n)).astype(np.float32) * 10
        w = random_row_stochastic(rng, 64, n)
        out = gift_rewards(r, w)
        np.testing.assert_allclose(out.sum(axis=1), r.sum(axis=1), rtol=1e-5, atol=1e-4)
        # and it is not the identity: reward actually moved
        assert np.abs(out - r).max() > 0.1


def test_gifting_rule_matches_definition():
    r = np.array([[4.0, 0.0]])
    w = np.array([[0.75, 0.25], [0.0, 1.0]])  # agent 0 gives a quarter to agent 1
    np.testing.assert_allclose(gift_rewards(r, w), [[3.0, 1.0]])
    np.testing.assert_allclose(gift_rewards(r, np.eye(2)), r)


def test_gift_weights_validation():
    with pytest.raises(ValueError, match="sum to 1"):
        check_gift_weights(np.array([[0.5, 0.0], [0.0, 1.0]]), 2)
    with pytest.raises(ValueError, match=">= 0"):
        check_gift_weights(np.array([[1.5, -0.5], [0.0, 1.0]]), 2)
    with pytest.raises(ValueError, match="shape"):
        check_gift_weights(np.eye(3), 2)


def test_prosocial_is_shared_mean_and_conserves():
    r = np.array([[6.0, 0.0, 3.0]])
    np.testing.assert_allclose(prosocial_rewards(r, 1.0), [[3.0, 3.0, 3.0]])
    np.testing.assert_allclose(prosocial_rewards(r, 0.0), r)
    half = prosocial_rewards(r, 0.5)
    np.testing.assert_allclose(half, [[4.5, 1.5, 3.0]])
    assert np.isclose(half.sum(), r.sum())


def test_inequity_aversion_closed_form():
    # two agents, e starts at 0: agent 0 earns 1, agent 1 earns 0
    r = np.array([[1.0, 0.0]])
    u, e = inequity_aversion_rewards(r, np.zeros((1, 2)), alpha=5.0, beta=0.05, gamma=1.0, lam=0.5)
    np.testing.assert_allclose(e, [[1.0, 0.0]])
    np.testing.assert_allclose(u, [[1.0 - 0.05, 0.0 - 5.0]])
    # next step, nobody earns: smoothed rewards decay by gamma*lam, utility follows e
    u2, e2 = inequity_aversion_rewards(np.zeros((1, 2)), e, 5.0, 0.05, 1.0, 0.5)
    np.testing.assert_allclose(e2, [[0.5, 0.0]])
    np.testing.assert_allclose(u2, [[-0.025, -2.5]], rtol=1e-6)


def test_inequity_aversion_three_agents_normalised_by_n_minus_1():
    r = np.array([[3.0, 1.0, 0.0]])
    u, _ = inequity_aversion_rewards(r, np.zeros((1, 3)), alpha=1.0, beta=1.0, gamma=0.0, lam=0.0)
    # agent 0: guilt (2 + 3)/2; agent 1: envy 2/2, guilt 1/2; agent 2: envy (3 + 1)/2
    np.testing.assert_allclose(u, [[3.0 - 2.5, 1.0 - 1.0 - 0.5, 0.0 - 2.0]])


def _play(env, steps, seed=0):
    env.reset(seed=seed)
    out = []
    for t in range(steps):
        if not env.agents:
            break
        acts = {a: t % 2 for a in env.agents}
        _, rew, _, _, infos = env.step(acts)
        out.append(
            (
                [rew[a] for a in env.possible_agents],
                [infos[a]["extrinsic_reward"] for a in env.possible_agents],
            )
        )
    return out


def test_parallel_gifting_wrapper_conserves_and_passes_api():
    w = np.array([[0.6, 0.4], [0.1, 0.9]])
    env = GiftingWrapper(socialenvs.make("matrix_game_v0", max_cycles=20), w)
    for shaped, extrinsic in _play(env, 20):
        assert np.isclose(sum(shaped), sum(extrinsic), atol=1e-5)
        np.testing.assert_allclose(shaped, np.array(extrinsic) @ w, rtol=1e-6)
    parallel_api_test(
        GiftingWrapper(socialenvs.make("matrix_game_v0", max_cycles=20), w), num_cycles=30
    )


def test_parallel_ia_and_prosocial_wrappers_api():
    parallel_api_test(
        InequityAversionWrapper(socialenvs.make("matrix_game_v0", max_cycles=10)), num_cycles=30
    )
    parallel_api_test(
        ProsocialWrapper(socialenvs.make("matrix_game_v0", max_cycles=10)), num_cycles=30
    )


def test_vector_and_parallel_views_agree_for_inequity_aversion():
    """Copy i of the vector view equals a ParallelEnv seeded with seed + i, rewards included."""
    B, T = 3, 25  # T > max_cycles: crosses an auto-reset, which must clear the smoothing
    venv = InequityAversionWrapper(
        socialenvs.make_vec("matrix_game_v0", num_envs=B, max_cycles=10), alpha=2.0, beta=0.5
    )
    venv.reset(seed=7)
    rng = np.random.default_rng(1)
    actions = rng.integers(0, 2, size=(T, B, 2))
    vec_rewards = []
    for t in range(T):
        _, r, _, _, infos = venv.step(actions[t])
        vec_rewards.append(r)
        assert "extrinsic_rewards" in infos
    vec_rewards = np.stack(vec_rewards)
    for b in range(B):
        env = InequityAversionWrapper(
            socialenvs.make("matrix_game_v0", max_cycles=10), alpha=2.0, beta=0.5
        )
        env.reset(seed=7 + b)
        for t in range(T):
            if not env.agents:
                env.reset()
            _, rew, _, _, _ = env.step(
                {a: int(actions[t, b, i]) for i, a in enumerate(env.possible_agents)}
            )
            np.testing.assert_allclose(
                [rew[a] for a in env.possible_agents], vec_rewards[t, b], rtol=1e-5, atol=1e-6
            )


def test_vector_gifting_with_per_copy_weights_and_callable():
    B = 4
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=B, max_cycles=5)
    rng = np.random.default_rng(3)
    state = {"w": random_row_stochastic(rng, B, 2)}
    wrapped = GiftingWrapper(venv, lambda: state["w"])
    wrapped.reset(seed=0)
    for _ in range(12):
        state["w"] = random_row_stochastic(rng, B, 2)
        _, shaped, _, _, infos = wrapped.step(rng.integers(0, 2, size=(B, 2)))
        ext = infos["extrinsic_rewards"]
        np.testing.assert_allclose(shaped.sum(1), ext.sum(1), rtol=1e-5)
        np.testing.assert_allclose(shaped, np.einsum("bi,bij->bj", ext, state["w"]), rtol=1e-5)


def test_bad_arguments_raise():
    env = socialenvs.make("matrix_game_v0")
    with pytest.raises(ValueError, match="prosociality"):
        ProsocialWrapper(env, 1.5)
    with pytest.raises(ValueError, match="alpha"):
        InequityAversionWrapper(env, alpha=-1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        GiftingWrapper(env, np.ones((2, 2)))


def test_exported_from_the_wrappers_package():
    import socialenvs.wrappers as w

    for name in ("GiftingWrapper", "InequityAversionWrapper", "ProsocialWrapper", "gift_rewards"):
        assert name in w.__all__ and callable(getattr(w, name))
