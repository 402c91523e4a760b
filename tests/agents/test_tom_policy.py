"""ToM-conditioned policies, the opponent model, trembling co-players and RL species."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import torch

from agents.actor_critic import ActorCriticPolicy
from agents.networks import NetworkConfig
from agents.ppo import PPOConfig
from agents.scripted import make_scripted
from agents.tom_policy import OpponentModelLearner, ToMConditionedPolicy
from socialenvs.core.registry import make_vec
from socialenvs.tom.dataset import TomDataset
from training.rollout import Matchmaker, RolloutCollector
from training.tom_agents import (
    PolicySpecies,
    TremblingPolicy,
    evaluate_against,
    train_against_population,
    train_rl_species,
)

PD = dict(game="prisoners_dilemma", max_cycles=10, history=1)


def _policy(seed=0) -> ToMConditionedPolicy:
    torch.manual_seed(seed)
    venv = make_vec("matrix_game_v0", 1, **PD)
    return ToMConditionedPolicy(venv.single_observation_space, 2, NetworkConfig(hidden_sizes=(16,)))


@pytest.mark.parametrize("past", ["sum", "none", "carry"])
def test_step_and_sequence_agree(past):
    torch.manual_seed(0)
    space = gymnasium.spaces.Box(0.0, 1.0, (6,), np.float32)
    net = ToMConditionedPolicy(
        space, 2, NetworkConfig(hidden_sizes=(16,)), past=past, game_flag=True
    ).net
    obs = torch.rand(6, 3, 6)
    obs[..., -1] = 0.0
    obs[2, :, -1] = 1.0  # a new game of the same match starts at t = 2 ...
    obs[4, 0, -1] = 1.0  # ... and again at t = 4 in column 0
    starts = torch.zeros(6, 3, dtype=torch.bool)
    starts[0] = True
    starts[3, 1] = True  # a new match in column 1
    logits_seq, values_seq = net.sequence(obs, net.initial_state(3), starts)
    state = net.initial_state(3)
    for t in range(6):
        keep = (~starts[t]).float()[:, None]
        state = tuple(s * keep for s in state)
        logits, values, state = net.step(obs[t], state)
        torch.testing.assert_close(logits, logits_seq[t])
        torch.testing.assert_close(values, values_seq[t])


def _games(net, games):
    """Run ``net.embed`` over a list of game observation tensors ``[T_g, 1, D]``,
    flagging the first step of every game after the first."""
    state, chars, mentals = net.initial_state(1), [], []
    for g, obs in enumerate(games):
        for t in range(obs.shape[0]):
            x = obs[t].clone()
            x[:, -1] = float(g > 0 and t == 0)
            e_char, e_mental, state = net.embed(x, state)
            chars.append(e_char)
            mentals.append(e_mental)
    return chars, mentals


def test_character_net_sums_past_games_and_mental_net_reads_the_current_one():
    torch.manual_seed(0)
    space = gymnasium.spaces.Box(0.0, 1.0, (6,), np.float32)
    games = [torch.rand(3, 1, 6), torch.rand(4, 1, 6), torch.rand(2, 1, 6)]
    for g in games:
        g[..., -1] = 0.0
    net = ToMConditionedPolicy(space, 2, past="sum", game_flag=True).net
    chars, mentals = _games(net, games)

    def game_embedding(obs, flagged):  # the character net on one game alone
        h = torch.zeros(1, net.char_hidden)
        for t in range(obs.shape[0]):
            x = obs[t].clone()
            x[:, -1] = float(flagged and t == 0)
            h = net.char_gru(net.char_encoder(x), h)
        return net.char_out(h), net.mental_out(h)

    (c0, _), (c1, _), (_, m2) = (game_embedding(g, k > 0) for k, g in enumerate(games))
    with torch.no_grad():
        torch.testing.assert_close(chars[0], torch.zeros_like(chars[0]))  # no past game yet
        torch.testing.assert_close(chars[3], c0)  # first step of game 2: one past game
        torch.testing.assert_close(chars[7], c0 + c1)  # game 3: the sum of both
        torch.testing.assert_close(mentals[-1], m2)  # mental net: current game only
    none = ToMConditionedPolicy(space, 2, past="none", game_flag=True).net
    none.load_state_dict(net.state_dict())
    chars_n, mentals_n = _games(none, games)
    assert all(float(c.abs().max()) == 0.0 for c in chars_n)  # no memory of past games
    torch.testing.assert_close(mentals_n[-1], mentals[-1])
    carry = ToMConditionedPolicy(space, 2, past="carry", game_flag=True).net
    carry.load_state_dict(net.state_dict())
    _, mentals_c = _games(carry, games)
    assert not torch.allclose(mentals_c[-1], mentals[-1])  # one state over the match


def test_opponent_model_learns_to_tell_defectors_from_cooperators():
    pol = _policy()
    venv = make_vec("matrix_game_v0", 16, **PD)
    co = [make_scripted(n, venv) for n in ("always_cooperate", "always_defect")]
    collector = RolloutCollector(venv, [pol, *co], Matchmaker([0, [1, 2]]), learners=[0], seed=0)
    om = OpponentModelLearner(pol, lr=1e-2, epochs=5)
    first = om.update(collector.collect(20))
    for _ in range(10):
        last = om.update(collector.collect(20))
    assert last["opponent_loss"] < first["opponent_loss"]
    assert last["opponent_accuracy"] > 0.85  # only the first round is unknowable


def test_trembling_policy_and_population_training_run():
    venv = make_vec("matrix_game_v0", 1, **PD)
    tft = make_scripted("tit_for_tat", venv)
    rng = np.random.default_rng(0)
    obs = np.zeros((2000, 5), dtype=np.float32)
    obs[:, 4] = 1  # before the first round
    assert (TremblingPolicy(tft, 2, 0.0).act(obs, rng=rng).actions == 0).all()
    frac = TremblingPolicy(tft, 2, 1.0).act(obs, rng=rng).actions.mean()
    assert 0.45 < frac < 0.55
    pol = _policy()
    co = [make_scripted("always_defect", venv), tft]
    rows = train_against_population(
        "matrix_game_v0", PD, pol, co, steps=640, num_envs=8, ppo=PPOConfig(num_steps=40)
    )
    assert len(rows) == 2 and "opponent_loss" in rows[-1] and "policy_loss" in rows[-1]
    res = evaluate_against("matrix_game_v0", PD, pol, co[0], episodes=4)
    assert res["e_char"].shape == (4, 8) and res["e_mental"].shape == (4, 8)
    assert -1e-6 <= res["return"] / 10 <= 1.0 + 1e-6  # vs always-defect: P or S per round
    base = ActorCriticPolicy(venv.single_observation_space, 2)
    assert "e_char" not in evaluate_against("matrix_game_v0", PD, base, co[0], episodes=2)


def test_rl_species_feeds_the_dataset():
    policy, rows = train_rl_species("sighted", "lstm", steps=256, num_envs=4)
    assert rows and policy.recurrent
    species = PolicySpecies(policy, {"preset": "deep_rl", "observability": "sighted"})
    ds = TomDataset(species, n_past_max=1, episode_steps=5, seed=0)
    batch = ds.batch(3)
    assert batch.query_state.shape == (3, 11, 11, 7)  # walls, 4 objects, agent, subgoal
    assert set(batch.labels) <= {0, 1, 2, 3}
    again = TomDataset(species, n_past_max=1, episode_steps=5, seed=0).batch(3)
    assert np.array_equal(again.past_states, batch.past_states)  # reproducible by seed
    assert np.array_equal(again.target_action, batch.target_action)
