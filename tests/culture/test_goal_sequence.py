"""Goal Sequence rules, visibility schedule and the noisy oracle."""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs
from socialenvs.culture.goal_sequence import (
    DEMONSTRATOR,
    FORWARD,
    LEARNER,
    TURN_LEFT,
    TURN_RIGHT,
)


def _vec(B, seed=0, **kw):
    venv = socialenvs.make_vec("goal_sequence_v0", num_envs=B, **kw)
    obs, _ = venv.reset(seed=seed)
    return venv, obs


def test_two_embodied_agents_and_obs_layout():
    env = socialenvs.make("goal_sequence_v0")
    obs, _ = env.reset(seed=0)
    assert env.agents == ["learner", "demonstrator"]
    assert obs["learner"].shape == (3 * 3 * 5 + 4 + 4 + 3,)
    sim = env.sim
    assert sim.pos[0].tolist() == [[3, 0], [3, 1]] and sim.ori[0].tolist() == [1, 1]
    # Forced first step: the learner moves onto the demonstrator's start cell.
    env.step({"learner": TURN_LEFT, "demonstrator": FORWARD})
    assert sim.pos[0].tolist() == [[3, 1], [3, 1]]


def test_non_repeating_sequence_and_distinct_goals():
    venv, _ = _vec(500, seed=1)
    seq = venv.sim.sequence
    assert (seq[:, 1:] != seq[:, :-1]).all()
    assert np.bincount(seq.ravel(), minlength=3).min() > 0.3 * seq.size / 3
    gp = venv.sim.goal_pos
    flat = gp[..., 0] * 7 + gp[..., 1]
    assert all(len(set(r)) == 3 for r in flat.tolist())
    assert not np.isin(flat, [3 * 7 + 0, 3 * 7 + 1]).any(), "start cells are kept free"
    code, _ = _vec(500, seed=1, sequence_mode="iid")
    assert (code.sim.sequence[:, 1:] == code.sim.sequence[:, :-1]).any()


def _place(sim, env, goals, seq):
    sim.goal_pos[env] = goals
    sim.sequence[env, : len(seq)] = seq


def test_rewards_for_target_and_wrong_goal():
    env = socialenvs.make("goal_sequence_v0", forced_first_step=False)
    env.reset(seed=2)
    sim = env.sim
    # Learner at (3, 0) facing east: goal 1 at (3, 1), goal 0 at (3, 2).
    _place(sim, 0, [[3, 2], [3, 1], [0, 6]], [0, 1, 2, 0])
    _, r, *_ = env.step({"learner": FORWARD, "demonstrator": TURN_LEFT})
    assert r["learner"] == -1.0, "stepping onto a wrong goal costs the penalty"
    _, r, *_ = env.step({"learner": FORWARD, "demonstrator": TURN_LEFT})
    assert r["learner"] == 1.0 and sim.score[0, LEARNER] == 1
    assert sim.target(LEARNER)[0] == 1
    _, r, *_ = env.step({"learner": TURN_RIGHT, "demonstrator": TURN_LEFT})
    assert r["learner"] == 0.0
    assert sim.trial_scores[0, 0] == 1.0


def test_trials_restart_positions_and_keep_goals():
    env = socialenvs.make("goal_sequence_v0", trial_len=5)
    env.reset(seed=3)
    sim = env.sim
    goals, seq = sim.goal_pos[0].copy(), sim.sequence[0].copy()
    for _ in range(5):
        env.step({"learner": FORWARD, "demonstrator": FORWARD})
    assert sim.trial[0] == 1 and sim.trial_step[0] == 0
    assert sim.pos[0].tolist() == [[3, 0], [3, 1]] and (sim.score[0] == 0).all()
    assert np.array_equal(sim.goal_pos[0], goals) and np.array_equal(sim.sequence[0], seq)
    for _ in range(14):
        _, _, term, _, _ = env.step({"learner": FORWARD, "demonstrator": FORWARD})
    _, _, term, trunc, _ = env.step({"learner": FORWARD, "demonstrator": FORWARD})
    assert term["learner"] and term["demonstrator"] and not trunc["learner"]


def test_visibility_schedule_per_trial_and_per_step():
    B = 2000
    venv, _ = _vec(B, seed=4, trial_len=4)
    freq = []
    per_step = []
    for _k in range(4):
        flags = []
        for _ in range(4):
            flags.append(venv.sim.visible.copy())
            venv.step(np.full((B, 2), TURN_LEFT))
        flags = np.stack(flags, 1)
        freq.append(flags.mean())
        per_step.append((flags == flags[:, :1]).all(1).mean())
    np.testing.assert_allclose(freq, [1, 2 / 3, 1 / 3, 0], atol=0.03)
    # Trial 1: independent draws per step -> flags rarely constant over 4 steps.
    assert per_step[1] < (2 / 3) ** 4 + (1 / 3) ** 4 + 0.05


def test_demonstrator_drawn_in_learner_view_only_when_visible():
    B = 400
    venv, obs = _vec(B, seed=5, forced_first_step=False, trial_len=8)
    sim = venv.sim
    # Both start facing east, demonstrator one cell ahead of the learner: in view.
    agent_channel = obs[:, LEARNER, :45].reshape(B, 3, 3, 5)[..., 4]
    assert (agent_channel[:, 1, 1] == sim.visible).all()  # 1 ahead, centre column
    assert agent_channel.sum() == sim.visible.sum()
    demo_channel = obs[:, DEMONSTRATOR, :45].reshape(B, 3, 3, 5)[..., 4]
    assert demo_channel.sum() == 0, "the learner is masked out of the demonstrator's view"
    venv.step(np.full((B, 2), TURN_LEFT))  # trial 0, p = 1
    obs, *_ = venv.step(np.full((B, 2), TURN_RIGHT))
    agent_channel = obs[:, LEARNER, :45].reshape(B, 3, 3, 5)[..., 4]
    assert agent_channel[:, 1, 1].all()


def test_oracle_view_highlights_displayed_target():
    env = socialenvs.make("goal_sequence_v0", forced_first_step=False)
    obs, _ = env.reset(seed=6)
    sim = env.sim
    _place(sim, 0, [[1, 1], [3, 2], [5, 5]], [1, 0, 2])
    obs = {a: o for a, o in zip(env.agents, sim.observe()[0])}
    img = obs["demonstrator"][:45].reshape(3, 3, 5)
    # Demonstrator at (3, 1) facing east: (3, 2) is one ahead, centre column.
    assert img[1, 1, 1] == 1 and img[1, 1, 2] == 1, "goal 1 is its target"
    limg = obs["learner"][:45].reshape(3, 3, 5)
    assert limg[0, 1, 2] == 1, "the learner sees goal identity 1 two cells ahead"


def test_scripted_oracle_accuracy():
    """Without noise the scripted oracle never steps on a wrong goal's cell... unless it
    lies on its path; it scores steadily; noise lowers its score and adds penalties."""
    B = 1000
    clean, _ = _vec(B, seed=7, demonstrator="oracle", oracle_noise=0.0)
    noisy, _ = _vec(B, seed=7, demonstrator="oracle", oracle_noise=0.5)
    out = {}
    for name, venv in (("clean", clean), ("noisy", noisy)):
        hits = wrong = 0
        for _ in range(29):
            _, r, *_ = venv.step(np.zeros((B, 2), dtype=int))
            hits += (r[:, DEMONSTRATOR] > 0).sum()
            wrong += (r[:, DEMONSTRATOR] < 0).sum()
        out[name] = (hits / B, wrong / (hits + wrong))
    assert out["clean"][0] > 3.0, out
    assert out["clean"][1] < 0.25, out
    assert out["noisy"][0] < out["clean"][0] and out["noisy"][1] > out["clean"][1], out


def test_oracle_noise_scramble_rate():
    B = 4000
    venv, _ = _vec(B, seed=8, demonstrator="oracle", oracle_noise=0.2)
    sim = venv.sim
    scrambled = total = 0
    for _ in range(20):
        before = sim.score[:, DEMONSTRATOR].copy()
        venv.step(np.zeros((B, 2), dtype=int))
        hit = sim.score[:, DEMONSTRATOR] > before
        scrambled += (sim.shown_target[hit] >= 0).sum()
        total += hit.sum()
    assert abs(scrambled / total - 0.2) < 0.03


def test_in_weights_preset():
    venv, obs = _vec(300, seed=9, preset="in_weights")
    sim = venv.sim
    assert (sim.sequence == sim.sequence[:1]).all(), "sequence fixed across training"
    assert len({tuple(p) for p in sim.goal_pos.reshape(300, -1).tolist()}) > 200
    venv.sim.set_visibility(0.0)
    for t in range(50):
        obs, r, term, *_ = venv.step(np.full((300, 2), FORWARD))
        assert term.all() == (t == 49)
    assert obs[:, LEARNER, :45].reshape(300, 3, 3, 5)[..., 4].sum() == 0


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(view_size=4), "view_size"),
        (dict(demonstrator="teacher"), "demonstrator"),
        (dict(sequence_mode="cyclic"), "sequence_mode"),
        (dict(oracle_noise=2.0), "oracle_noise"),
        (dict(num_trials=1), "num_trials"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        socialenvs.make("goal_sequence_v0", **kwargs)
