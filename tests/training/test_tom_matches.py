"""Matches of games with one co-player (MatchVectorEnv, MatchCoPlayer), the coin-game
co-player types, match evaluation and type identification."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.networks import NetworkConfig
from agents.ppo import PPOConfig
from agents.scripted import CoinChaser, CoinGrudger, Grim, make_scripted
from agents.tom_policy import ToMConditionedPolicy
from socialenvs.core.registry import make_vec
from training.rollout import Matchmaker, RolloutCollector
from training.tom_agents import (
    MatchCoPlayer,
    MatchVectorEnv,
    evaluate_match,
    identification_accuracy,
    train_against_population,
)

PD = dict(game="prisoners_dilemma", max_cycles=3, history=1)


def test_match_env_ends_every_k_games_and_flags_new_games():
    venv = MatchVectorEnv(make_vec("matrix_game_v0", 4, **PD), games=2, reward_scale=0.5)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (4, 2, 8) and venv.single_observation_space.contains(obs[0, 0])
    defect = np.ones((4, 2), dtype=np.int64)  # mutual defection pays P = 1 per round
    done_at, flags, rewards = [], [], []
    for t in range(12):
        obs, r, term, trunc, info = venv.step(defect)
        rewards.append(r[0, 0])
        flags.append(obs[0, 0, -1])
        if info["done_envs"].any():
            assert info["done_envs"].all() and trunc.all()
            np.testing.assert_allclose(info["episode"]["returns"], 6.0)  # unscaled
            np.testing.assert_allclose(info["episode"]["game_returns"], 3.0)
            assert info["final_obs"].shape == obs.shape
            done_at.append(t)
        else:
            assert not trunc.any() and not term.any()  # game ends are not episode ends
        assert venv.single_observation_space.contains(obs[1, 1])
    assert done_at == [5, 11]
    assert flags == [0, 0, 1, 0, 0, 0] * 2  # first observation of the second game only
    np.testing.assert_allclose(rewards, 0.5)  # scaled for learning
    step, game = obs[0, 0, -3], obs[0, 0, -2]
    assert step == 0 and game == 0  # a new match
    plain, new_game = venv.strip(obs[:, 0])
    assert plain.shape == (4, 5) and not new_game.any()


def test_match_env_grid_views_are_scaled_planes():
    venv = MatchVectorEnv(make_vec("coin_game_v0", 2, max_cycles=2), games=3)
    obs, _ = venv.reset(seed=1)
    assert obs.shape == (2, 2, 3, 3, 7) and obs.dtype == np.float32
    plain, flag = venv.strip(obs[:, 0])
    assert plain.dtype == np.uint8 and plain.shape == (2, 3, 3, 4) and not flag.any()
    obs, *_ = venv.step(np.zeros((2, 2), dtype=np.int64))
    obs, *_ = venv.step(np.zeros((2, 2), dtype=np.int64))
    assert (obs[..., -1] == 1).all()  # second game starts
    assert venv.single_observation_space.contains(obs[0, 0])


def test_co_player_memory_restarts_every_game():
    venv = MatchVectorEnv(make_vec("matrix_game_v0", 1, **PD), games=2)
    grim = MatchCoPlayer(Grim(), venv)
    betrayed = (np.array([True, True]),)
    obs = np.zeros((2, 8), dtype=np.float32)
    obs[:, 4] = 1.0  # no round played yet
    obs[1, -1] = 1.0  # row 1: a new game of the same match
    out = grim.act(obs, betrayed, rng=np.random.default_rng(0))
    assert out.actions.tolist() == [1, 0]  # still holding the grudge; forgiven at a new game


def _coin_obs(me, other, own=(), theirs=()):
    obs = np.zeros((1, 3, 3, 4), dtype=np.uint8)
    obs[0, me[0], me[1], 0] = 1
    obs[0, other[0], other[1], 1] = 1
    for r, c in own:
        obs[0, r, c, 2] = 1
    for r, c in theirs:
        obs[0, r, c, 3] = 1
    return obs


def test_coin_types_walk_to_the_coins_they_want():
    rng = np.random.default_rng(0)
    obs = _coin_obs((1, 1), (0, 0), theirs=[(1, 2)])  # the other player's coin, to the east
    assert CoinChaser("any").act(obs, rng=rng).actions[0] == 1  # greedy: right
    assert CoinChaser("own").act(obs, rng=rng).actions[0] == 4  # cooperator: stays
    obs = _coin_obs((0, 1), (2, 2), own=[(2, 1)])  # own coin one step up across the edge
    assert CoinChaser("own").act(obs, rng=rng).actions[0] == 0  # torus: up wraps
    assert CoinChaser("own", torus=False).act(obs, rng=rng).actions[0] == 2  # down
    with pytest.raises(ValueError, match="target"):
        CoinChaser("mine")


def test_coin_grudger_turns_greedy_after_a_taken_coin():
    g = CoinGrudger()
    rng = np.random.default_rng(0)
    state = g.initial_state(1)
    # its own coin at (0, 2); the other player next to it
    out = g.act(_coin_obs((2, 0), (0, 1), own=[(0, 2)]), state, rng=rng)
    assert not out.state[0][0]
    # the other player took it; a new coin of the other's colour appeared at (2, 1)
    out = g.act(_coin_obs((2, 0), (0, 2), theirs=[(2, 1)]), out.state, rng=rng)
    assert out.state[0][0] and out.actions[0] == 1  # betrayed: goes for any coin
    calm = g.act(_coin_obs((2, 0), (0, 2), theirs=[(2, 1)]), g.initial_state(1), rng=rng)
    assert calm.actions[0] == 4  # not betrayed: leaves the other's coin alone
    venv = make_vec("coin_game_v0", 1)
    assert make_scripted("coin_grudger", venv).name == "coin_grudger"
    with pytest.raises(ValueError, match="coin_game_v0"):
        make_scripted("coin_greedy", make_vec("coin_game_v0", 1, obs_type="rgb"))


def test_scripted_coin_replies_pay_as_designed():
    """In 10-step games greedy play exploits the cooperator, and cooperating pays more
    against the grudger (the best reply depends on the type)."""
    venv = make_vec("coin_game_v0", 1, max_cycles=10)

    def mean_return(learner, co):
        mv = MatchVectorEnv(make_vec("coin_game_v0", 256, max_cycles=10), games=1)
        pols = [MatchCoPlayer(make_scripted(learner, venv), mv), MatchCoPlayer(co, mv)]
        ro = RolloutCollector(mv, pols, Matchmaker([0, 1]), seed=0).collect(10)
        return ro.episodes[-1]["returns"][:, 0].mean()

    coop, grudger = make_scripted("coin_cooperator", venv), make_scripted("coin_grudger", venv)
    assert mean_return("coin_greedy", coop) > mean_return("coin_cooperator", coop) + 2
    assert mean_return("coin_cooperator", grudger) > mean_return("coin_greedy", grudger) + 0.4


def test_match_training_and_evaluation_run():
    torch.manual_seed(0)
    venv = make_vec("matrix_game_v0", 1, **PD)
    space = MatchVectorEnv(venv, 2).single_observation_space
    pol = ToMConditionedPolicy(space, 2, NetworkConfig(hidden_sizes=(16,)), game_flag=True)
    co = [make_scripted(n, venv) for n in ("always_defect", "grim")]
    rows = train_against_population(
        "matrix_game_v0", PD, pol, co, 480, 8, 0, PPOConfig(num_steps=30), games=2
    )
    assert rows and "opponent_loss" in rows[-1] and rows[-1]["learner_return"] <= 6 * 4
    res = evaluate_match("matrix_game_v0", PD, 2, pol, co[0], episodes=5)
    assert res["e_char"].shape == (2, 5, 8) and res["e_mental_end"].shape == (5, 8)
    assert not res["e_char"][0].any() and res["e_char"][1].any()  # one past game
    assert len(res["game_returns"]) == 2 and 0 <= res["return"] <= 6  # S or P per round


def test_identification_accuracy():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 50)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    x = centres[y] + rng.normal(size=(150, 2))
    x2 = centres[y] + rng.normal(size=(150, 2))
    acc = identification_accuracy(x, y, x2, y)
    assert acc["centroid"] > 0.95 and acc["probe"] > 0.95
    noise = identification_accuracy(rng.normal(size=(150, 2)), y, rng.normal(size=(150, 2)), y)
    assert noise["centroid"] < 0.6 and noise["probe"] < 0.6
