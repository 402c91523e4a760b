"""Observed past games of the co-player (ObservedPastMatchEnv, PopulationCoPlayer) and the
character net over them (ToMActorCritic with observed_pasts)."""

from __future__ import annotations

import numpy as np
import torch

from agents.networks import NetworkConfig
from agents.ppo import PPOConfig
from agents.scripted import make_scripted
from agents.tom_policy import OpponentModelLearner, ToMConditionedPolicy
from socialenvs.core.registry import make_vec
from training.rollout import Matchmaker, RolloutCollector
from training.tom_agents import (
    ObservedPastMatchEnv,
    PopulationCoPlayer,
    evaluate_match,
    train_against_population,
)

PD = dict(game="prisoners_dilemma", max_cycles=4, history=1)
TYPES = ("always_cooperate", "always_defect", "tit_for_tat")


def _env(num_envs=12, games=2, past=3, types=TYPES):
    co = [make_scripted(n, make_vec("matrix_game_v0", 1, **PD)) for n in types]
    return ObservedPastMatchEnv("matrix_game_v0", PD, num_envs, games, co, past)


def _observer(env, **kw):
    """A small ToM-conditioned policy that reads ``env``'s observed pasts."""
    kw = {"past_layout": env.past_layout, "observed_pasts": True, **kw}
    return ToMConditionedPolicy(
        env.single_observation_space, 2, NetworkConfig(hidden_sizes=(16,)), game_flag=True, **kw
    )


def _blocks(env, obs):
    P, L, F = env.past_layout
    blk = obs[:, 0, env.current_size :].reshape(len(obs), P, L, F)
    return blk[..., 5:7].argmax(-1), blk[..., 7:9].argmax(-1)  # co-player, partner


def test_pasts_are_the_co_players_games_against_the_partner_and_reproducible():
    env = _env()
    obs, _ = env.reset(seed=3)
    assert env.past_layout == (3, 4, 5 + 2 + 2)
    assert env.single_observation_space.contains(obs[0, 0])
    assert not obs[:, 1, env.current_size :].any()  # only the learner sees the pasts
    co, partner = _blocks(env, obs)
    for b, k in enumerate(env.co_type):
        if TYPES[k] == "always_cooperate":
            assert (co[b] == 0).all()
        elif TYPES[k] == "always_defect":
            assert (co[b] == 1).all()
        else:  # tit for tat: cooperate first, then the partner's last move
            assert (co[b, :, 0] == 0).all() and (co[b, :, 1:] == partner[b, :, :-1]).all()
    assert set(env.co_type) == {0, 1, 2} and partner.std() > 0  # a random partner
    again = _env()
    obs2, _ = again.reset(seed=3)
    np.testing.assert_array_equal(obs, obs2)
    np.testing.assert_array_equal(env.co_type, again.co_type)
    obs3, _ = _env().reset(seed=4)
    assert not np.array_equal(obs[:, 0, 8:], obs3[:, 0, 8:])


def test_population_co_player_plays_the_drawn_type_and_new_matches_draw_anew():
    env = _env(num_envs=16, games=2, types=("always_cooperate", "always_defect"))
    seat1 = PopulationCoPlayer(env)
    learner = make_scripted("random", make_vec("matrix_game_v0", 1, **PD))
    col = RolloutCollector(env, [learner, seat1], Matchmaker([0, 1]), seed=0)
    first = env.co_type.copy()
    ro = col.collect(2 * 4)  # one match
    np.testing.assert_array_equal(ro.actions[:, :, 1], np.broadcast_to(first, (8, 16)))
    assert ro.dones[-1].all() and not ro.dones[:-1].any()
    # the finished match's final observation still shows its pasts; the next match has new ones
    co, _ = _blocks(env, col.obs)
    np.testing.assert_array_equal(co.reshape(16, -1).mean(1), env.co_type)
    assert not np.array_equal(first, env.co_type)


def test_the_ppo_arm_cannot_see_the_pasts_and_the_tom_arm_does():
    env = _env(num_envs=6)
    obs, _ = env.reset(seed=0)
    x = torch.from_numpy(obs[:, 0])
    y = x.clone()
    y[:, env.current_size :] = torch.from_numpy(
        np.random.default_rng(1).random((6, y.shape[1] - env.current_size)).astype(np.float32)
    )
    for observed, past in ((False, "none"), (True, "sum")):
        torch.manual_seed(0)
        pol = _observer(env, past=past, observed_pasts=observed)
        s = pol.initial_state(6)
        a, b = pol.net.step(x, s)[0], pol.net.step(y, s)[0]
        assert torch.allclose(a, b) != observed
        names = {n.split(".")[0] for n, _ in pol.net.named_parameters()}
        assert ("past_gru" in names) == observed


def test_step_and_sequence_agree_with_observed_pasts_and_the_observer_trains_them():
    env = _env(num_envs=4, games=2)
    torch.manual_seed(0)
    pol = _observer(env)
    col = RolloutCollector(env, [pol, PopulationCoPlayer(env)], Matchmaker([0, 1]), [0], seed=0)
    ro = col.collect(12)
    obs = torch.from_numpy(ro.obs[:, :, 0])
    starts = torch.from_numpy(ro.episode_start[:, :, 0])
    logits, _ = pol.net.sequence(obs, pol.initial_state(4), starts)
    state, stepped = pol.initial_state(4), []
    for t in range(12):
        keep = (~starts[t]).float().unsqueeze(-1)
        state = tuple(s * keep for s in state)
        out, _, state = pol.net.step(obs[t], state)
        stepped.append(out)
    torch.testing.assert_close(logits, torch.stack(stepped), rtol=1e-5, atol=1e-5)
    om = OpponentModelLearner(pol)
    before = pol.net.past_gru.weight_ih_l0.detach().clone()
    row = om.update(ro)
    assert not torch.equal(before, pol.net.past_gru.weight_ih_l0)
    assert 0 < row["query_loss"] and 0 <= row["query_accuracy"] <= 1


def test_the_query_on_observed_games_learns_the_types():
    # always-C, always-D and TFT against a random partner, views blanked: the query must
    # read the other observed games (e_char) to beat the marginal (about 0.55); with them
    # it gets C and D right and TFT's first move (about 0.87 in all)
    env = _env(num_envs=64, games=1, past=3)
    obs, _ = env.reset(seed=0)
    P, L, F = env.past_layout
    block = obs[:, 0, env.current_size :].reshape(64, P, L, F)
    block[..., :5] = 0.0
    obs[:, 0, env.current_size :] = block.reshape(64, -1)
    torch.manual_seed(0)
    pol = _observer(env)
    x = torch.from_numpy(obs[:, 0])
    opt = torch.optim.Adam(pol.net.parameters(), lr=3e-3)
    for _ in range(150):
        loss, acc = pol.net.observed_query_loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert acc > 0.8


def test_training_and_evaluation_with_observed_pasts_run():
    torch.manual_seed(0)
    env = _env(num_envs=1, games=2, past=2)
    pol = _observer(env)
    co = env.co_players
    rows = train_against_population(
        "matrix_game_v0",
        PD,
        pol,
        co,
        2 * 8 * 8,
        8,
        0,
        PPOConfig(num_steps=8),
        games=2,
        observed_pasts=2,
    )
    assert rows and "opponent_loss" in rows[-1]
    res = evaluate_match("matrix_game_v0", PD, 2, pol, co[1], episodes=5, observed_pasts=2)
    assert res["e_char"].shape == (2, 5, 8) and res["e_char"][0].any()  # pasts from game 1
    assert 0 <= res["return"] <= 2 * 4  # S or P per round against always-defect


def test_each_observed_game_draws_its_partner_from_the_given_ones():
    v = make_vec("matrix_game_v0", 1, **PD)
    co = [make_scripted("tit_for_tat", v)]
    partners = [make_scripted("always_cooperate", v), make_scripted("always_defect", v)]
    env = ObservedPastMatchEnv("matrix_game_v0", PD, 20, 2, co, 3, partners)
    obs, _ = env.reset(seed=0)
    moves, partner = _blocks(env, obs)
    constant = (partner == partner[..., :1]).all(-1)  # each game: one partner, whole game
    assert constant.all() and 0 < partner[..., 0].mean() < 1
    np.testing.assert_array_equal(moves[..., 1:], partner[..., :-1])  # TFT copies it
