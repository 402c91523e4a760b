"""Fehr & Schmidt 1999 inequity aversion on accumulated payoffs (``FehrSchmidtTransform``),
and the reward-transform hook of ``training.cnm.train_cnm``."""

import numpy as np
import pytest

import socialenvs
from socialenvs.wrappers.rewards import (
    FehrSchmidtTransform,
    FehrSchmidtWrapper,
    RewardTransform,
    fehr_schmidt_utility,
)


def test_utility_closed_form():
    # one free rider earning 10, three earning 4; alpha 2, beta 0.5, N - 1 = 3
    u = fehr_schmidt_utility(np.array([[10.0, 4.0, 4.0, 4.0]]), alpha=2.0, beta=0.5)
    np.testing.assert_allclose(u, [[10.0 - 0.5 * 18 / 3, 4.0 - 2.0 * 6 / 3, 0.0, 0.0]])
    np.testing.assert_allclose(fehr_schmidt_utility(np.array([[3.0]]), 2.0, 0.5), [[3.0]])


def test_window_rewards_sum_to_the_utility_of_window_totals():
    rng = np.random.default_rng(0)
    B, N, W = 5, 4, 4
    tr = FehrSchmidtTransform(alpha=3.0, beta=0.4, window=W)
    tr.reset(B, N)
    r = rng.normal(size=(3 * W, B, N)) * 5
    u = np.stack([tr.apply(r[t]) for t in range(3 * W)])
    for w in range(3):  # each window is judged on its own totals
        span = slice(w * W, (w + 1) * W)
        np.testing.assert_allclose(
            u[span].sum(0), fehr_schmidt_utility(r[span].sum(0), 3.0, 0.4), rtol=1e-4, atol=1e-4
        )
    # the shaped reward is not the material one: inequity is charged
    assert np.abs(u - r).max() > 1.0
    # episode end clears a copy's totals (and its window clock)
    tr.apply(r[0])
    tr.end_episode(np.array([1]))
    assert (tr.totals[1] == 0).all() and tr.steps[1] == 0 and (tr.totals[0] != 0).any()


def test_per_agent_weights():
    # a mixed group: two inequity-averse players and a selfish one (alpha = beta = 0)
    tr = FehrSchmidtTransform(alpha=np.array([5.0, 5.0, 0.0]), beta=np.array([0.05, 0.05, 0.0]))
    tr.reset(1, 3)
    r = np.array([[1.0, 4.0, 10.0]])
    u = tr.apply(r)
    assert u[0, 2] == pytest.approx(10.0)
    np.testing.assert_allclose(u[0, :2], fehr_schmidt_utility(r, 5.0, 0.05)[0, :2], rtol=1e-6)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="alpha"):
        FehrSchmidtTransform(alpha=-1.0)
    with pytest.raises(ValueError, match="beta"):
        FehrSchmidtTransform(beta=np.array([0.1, -0.2]))
    with pytest.raises(ValueError, match="window"):
        FehrSchmidtTransform(window=0)


def _period_return(alpha, beta, punish_points):
    """Player 0's summed (shaped) reward over one public-goods period: players 0-2
    contribute 20, player 3 free-rides, and players 0-2 each assign ``punish_points`` to
    player 3 (each reaches player 3 at a different punishment step)."""
    venv = socialenvs.make_vec("public_goods_v0", num_envs=1, preset="fehr_gaechter_2002")
    if alpha is not None:
        venv = FehrSchmidtWrapper(venv, alpha=alpha, beta=beta, window=4)
    venv.reset(seed=0)
    total = np.zeros(4)
    _, r, *_ = venv.step(np.array([[20, 20, 20, 0]]))
    total += r[0]
    for s in (1, 2, 3):  # at step s player i targets player (i + s) % 4
        a = np.zeros((1, 4), dtype=np.int64)
        a[0, 3 - s] = punish_points
        _, r, *_ = venv.step(a)
        total += r[0]
    return total


def test_punishing_a_richer_free_rider_pays_only_for_inequity_averse_players():
    # Selfish: the 1:3 punishment only costs the punisher (second-order free riding).
    assert _period_return(None, None, 2)[0] == pytest.approx(_period_return(None, None, 0)[0] - 2)
    # Fehr-Schmidt with alpha + beta > 1.5: joint punishment closes the gap to the free
    # rider (44 vs 24 before punishment) and is worth its cost.
    with_p, without = _period_return(5.0, 0.05, 2), _period_return(5.0, 0.05, 0)
    assert with_p[0] > without[0] + 10
    assert with_p[3] < without[3]  # the free rider's utility falls


class _Constant(RewardTransform):
    """Pays every agent 7 at every step and counts its calls."""

    calls = 0

    def apply(self, rewards):
        self.calls += 1
        return np.full_like(rewards, 7.0, dtype=np.float32)


def test_train_cnm_applies_the_reward_transform():
    from agents.ppo import PPOConfig
    from training.cnm import train_cnm

    tr = _Constant()
    ppo = PPOConfig(num_steps=12, epochs=1, minibatches=1)
    run = train_cnm("public_goods_v0", {}, None, ppo=ppo, num_envs=2, steps=48, reward_transform=tr)
    assert tr.calls == 24 and tr.num_envs == 2 and tr.num_agents == 4
    assert all(h["reward_per_step"] == pytest.approx(7.0) for h in run.history)
    # episode statistics stay the env's own payoffs (6 contribution steps, 12..44 each)
    assert 6 * 12 <= run.history[-1]["episode_per_capita_return"] <= 6 * 44


def test_reciprocal_envy_only_towards_those_who_got_ahead_first():
    # first step: player 3 is ahead (it kept its endowment); then punishment leaves
    # player 0 behind the other two cooperators as well
    first = np.array([[24.0, 24.0, 24.0, 44.0]])
    later = np.array([[-4.0, 0.0, 0.0, -12.0]])
    for envy in ("all", "reciprocal"):
        tr = FehrSchmidtTransform(alpha=5.0, beta=0.05, window=2, envy=envy)
        tr.reset(1, 4)
        u = tr.apply(first) + tr.apply(later)
        x = first + later  # 20, 24, 24, 32
        envies = None
        if envy == "reciprocal":
            envies = np.zeros((1, 4, 4), dtype=bool)
            envies[0, :3, 3] = True  # cooperators may envy the free rider, nobody else
        np.testing.assert_allclose(u, fehr_schmidt_utility(x, 5.0, 0.05, envies), rtol=1e-5)
    # player 0 envies players 1 and 2 only under "all": 4 + 4 MU at alpha / 3
    tr_all = FehrSchmidtTransform(alpha=5.0, beta=0.05, window=2)
    tr_rec = FehrSchmidtTransform(alpha=5.0, beta=0.05, window=2, envy="reciprocal")
    for tr in (tr_all, tr_rec):
        tr.reset(1, 4)
    u_all = tr_all.apply(first) + tr_all.apply(later)
    u_rec = tr_rec.apply(first) + tr_rec.apply(later)
    assert u_rec[0, 0] - u_all[0, 0] == pytest.approx(5.0 * 8 / 3, rel=1e-5)
    with pytest.raises(ValueError, match="envy"):
        FehrSchmidtTransform(envy="some")


def _period_return_reciprocal(punish_points, lone=True):
    """Player 0's Fehr-Schmidt return (alpha 5, beta 0.05) over one period in which player
    3 free-rides and player 0 (alone, or with players 1 and 2) punishes it."""
    venv = socialenvs.make_vec("public_goods_v0", num_envs=1, preset="fehr_gaechter_2002")
    venv = FehrSchmidtWrapper(venv, alpha=5.0, beta=0.05, window=4, envy="reciprocal")
    venv.reset(seed=0)
    _, total, *_ = venv.step(np.array([[20, 20, 20, 0]]))
    for s in (1, 2, 3):
        a = np.zeros((1, 4), dtype=np.int64)
        if 3 - s == 0 or not lone:
            a[0, 3 - s] = punish_points
        _, r, *_ = venv.step(a)
        total = total + r
    return float(total[0, 0])


def test_a_reciprocal_punisher_gains_alone_until_the_gap_is_closed():
    # a lone point closes player 0's gap to the free rider (44 vs 24) by 2 MU: 2 alpha / 3
    # - 1; falling behind the two other cooperators costs nothing (they gave as much),
    # where the Fehr-Schmidt punisher's envy of them cancels the gain (the -1 per point of
    # the diagnostics tests)
    base = _period_return_reciprocal(0)
    assert _period_return_reciprocal(1) - base == pytest.approx(2 * 5.0 / 3 - 1, rel=1e-5)
    # three punishers close the 20 MU gap at 2.5 points each; beyond it a point costs its
    # price and the guilt of the new gap
    assert _period_return_reciprocal(3, lone=False) > _period_return_reciprocal(2, lone=False)
    assert _period_return_reciprocal(4, lone=False) < _period_return_reciprocal(3, lone=False)
