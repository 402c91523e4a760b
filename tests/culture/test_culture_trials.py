"""Visibility schedules, oracle accuracies and rules of Memory Sequence and TSP."""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs
from socialenvs.culture import annealed_visibility, trial_visibility
from socialenvs.culture.memory_sequence import oracle_accuracies


def _memseq(num_envs: int, seed: int = 0, **kw):
    venv = socialenvs.make_vec("memory_sequence_v0", num_envs=num_envs, **kw)
    obs, _ = venv.reset(seed=seed)
    return venv, obs


def _vis(venv, obs):
    return obs[:, 0, venv.sim.slices["visible"].start]


# ---------------------------------------------------------------- visibility schedules
def test_trial_visibility_values():
    np.testing.assert_allclose(trial_visibility(np.arange(4), 4), [1, 2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(trial_visibility(np.arange(8), 8), 1 - np.arange(8) / 7)
    with pytest.raises(ValueError, match="num_trials"):
        trial_visibility(0, 1)


def test_annealed_visibility_values():
    np.testing.assert_allclose(annealed_visibility([0, 50, 99], 100), [1.0, 1 - 50 / 99, 0.0])
    assert annealed_visibility(150, 100) == 0.0


def test_in_context_visibility_frequency_per_trial():
    """Always wrong -> one step per trial; visible frequency in trial k ~ 1 - k/3."""
    B = 4000
    venv, obs = _memseq(B, seed=1)
    seq = venv.sim.sequence
    freqs = []
    for _ in range(4):
        freqs.append(_vis(venv, obs).mean())
        wrong = (venv.sim.correct_digit() + 1) % 3
        obs, *_ = venv.step(wrong[:, None])
        assert np.array_equal(venv.sim.sequence, seq) or venv.sim.t.max() == 0
    np.testing.assert_allclose(freqs, [1, 2 / 3, 1 / 3, 0], atol=0.03)


def test_in_context_visibility_is_drawn_per_step():
    """Within trial 1 (p = 2/3) the flag changes from step to step within one copy."""
    B = 500
    venv, obs = _memseq(B, seed=2)
    venv.step(((venv.sim.correct_digit() + 1) % 3)[:, None])  # end trial 0
    flags = []
    for _ in range(10):
        obs, *_ = venv.step(venv.sim.correct_digit()[:, None])
        flags.append(_vis(venv, obs))
    flags = np.stack(flags, axis=1)
    assert (venv.sim.trial == 1).all()
    constant = (flags == flags[:, :1]).all(axis=1).mean()
    assert constant < 0.1  # (2/3)^10 + (1/3)^10 ~ 0.017 if independent per step
    assert abs(flags.mean() - 2 / 3) < 0.03


def test_hidden_demonstrators_are_zeroed():
    venv, obs = _memseq(300, seed=3)
    venv.step(((venv.sim.correct_digit() + 1) % 3)[:, None])
    obs, *_ = venv.step(((venv.sim.correct_digit() + 1) % 3)[:, None])  # trial 2: p = 1/3
    block = obs[:, 0, venv.sim.slices["demonstrators"]]
    vis = _vis(venv, obs).astype(bool)
    assert 0 < vis.mean() < 1
    assert (block[~vis] == 0).all()
    assert (block[vis].reshape(-1, 3, 3).sum(-1) == 1).all()


def test_external_visibility_is_set_by_trainer():
    venv, _ = _memseq(3000, seed=4, preset="in_weights")
    venv.sim.set_visibility(0.25)
    obs, *_ = venv.step(np.zeros((3000, 1), dtype=int))
    assert abs(_vis(venv, obs).mean() - 0.25) < 0.03
    venv.sim.set_visibility(0.0)
    obs, *_ = venv.step(np.zeros((3000, 1), dtype=int))
    assert _vis(venv, obs).sum() == 0
    with pytest.raises(ValueError, match="out of range"):
        venv.sim.set_visibility(1.5)


def test_rl2_never_shows_demonstrators():
    venv, obs = _memseq(200, seed=5, preset="rl2")
    assert _vis(venv, obs).sum() == 0
    assert obs[:, 0, venv.sim.slices["demonstrators"]].sum() == 0


# ---------------------------------------------------------------- oracle accuracies
@pytest.mark.parametrize("m", [0.5, 2.0, 6.0])
def test_oracle_accuracy_distribution(m):
    venv, _ = _memseq(3000, seed=6, oracle_m=m)
    acc = venv.sim.oracle_acc
    bound = 1 - 1 / (1 + m)
    assert (np.diff(acc, axis=1) >= 0).all(), "accuracies are sorted ascending"
    assert acc.min() >= 0 and acc.max() <= bound + 1e-12
    # E[1 - 1/(1 + U m)] = 1 - ln(1 + m)/m for U ~ U(0, 1).
    assert abs(acc.mean() - (1 - np.log1p(m) / m)) < 0.01
    assert acc[:, -1].max() > bound - 0.01


def test_oracle_accuracies_formula():
    np.testing.assert_allclose(
        oracle_accuracies(np.array([[1.0, 0.0, 0.5]]), 2.0), [[0.0, 0.5, 2 / 3]]
    )


def test_fixed_oracle_accuracy_gives_that_hit_rate():
    """Correct with prob p, else uniform (which is right 1/3): P(correct) = p + (1-p)/3."""
    B = 3000
    venv, obs = _memseq(B, seed=7, oracle_accuracy=(0.0, 0.5, 1.0))
    hits = []
    for _ in range(6):
        hits.append(venv.sim.demo_actions == venv.sim.correct_digit()[:, None])
        obs, *_ = venv.step(venv.sim.correct_digit()[:, None])
    rate = np.concatenate(hits).mean(axis=0)
    np.testing.assert_allclose(rate, [1 / 3, 2 / 3, 1.0], atol=0.02)


def test_sampled_oracle_hit_rate_matches_its_accuracy():
    venv, _ = _memseq(4000, seed=8)
    acc = venv.sim.oracle_acc.copy()
    hit = venv.sim.demo_actions == venv.sim.correct_digit()[:, None]
    np.testing.assert_allclose(hit.mean(0), (acc + (1 - acc) / 3).mean(0), atol=0.025)


# ---------------------------------------------------------------- memory sequence rules
def test_memory_sequence_trial_rules():
    env = socialenvs.make("memory_sequence_v0")
    env.reset(seed=9)
    sim = env.sim
    seq = sim.sequence[0].copy()
    for p in range(5):
        _, r, term, _, _ = env.step({"learner": int(seq[p])})
        assert r["learner"] == 1.0 and not term["learner"]
    _, r, _, _, _ = env.step({"learner": int((seq[5] + 1) % 3)})
    assert r["learner"] == -1.0
    assert sim.trial[0] == 1 and sim.position[0] == 0
    assert sim.trial_scores[0, 0] == 5
    assert np.array_equal(sim.sequence[0], seq), "same sequence across trials"
    # A perfect trial: 24 correct digits, then the next trial starts.
    for p in range(24):
        env.step({"learner": int(seq[p])})
    assert sim.trial[0] == 2 and sim.trial_scores[0, 1] == 24
    env.step({"learner": int((seq[0] + 1) % 3)})
    obs, _, term, trunc, _ = env.step({"learner": int((seq[0] + 1) % 3)})
    assert term["learner"] and not trunc["learner"]
    env.reset()
    assert not np.array_equal(sim.sequence[0], seq), "a new sequence each episode"


def test_memory_sequence_observation_feedback():
    env = socialenvs.make("memory_sequence_v0")
    env.reset(seed=10)
    sim = env.sim
    wrong = int((sim.sequence[0, 0] + 2) % 3)
    obs, *_ = env.step({"learner": wrong})
    o = obs["learner"]
    assert o[sim.slices["own_action"]][wrong] == 1 and o[sim.slices["own_action"]].sum() == 1
    assert o[sim.slices["trial_ended"]][0] == 1 and o[sim.slices["reward"]][0] == -1
    assert o[sim.slices["trial"]].tolist() == [0, 1, 0, 0]


def test_memory_sequence_in_weights_rules():
    B = 2000
    venv, obs = _memseq(B, seed=11, preset="in_weights")
    assert obs.shape == (B, 1, 51)
    seq = venv.sim.sequence
    assert (seq == seq[:1]).all(), "one fixed sequence for every copy"
    rng = np.random.default_rng(0)
    total = np.zeros(B)
    for t in range(23):
        obs, r, term, trunc, infos = venv.step(rng.integers(10, size=(B, 1)))
        total += r[:, 0]
        assert term.all() == (t == 22), "23 actions, no reset on mistakes"
    assert abs(total.mean() - 23 * (0.1 - 0.9)) < 0.3
    assert (venv.sim.sequence == seq).all(), "the sequence survives episodes"


def test_external_hook_drives_proposals_and_sees_trial_starts():
    calls = []

    def hook(idx, demo_obs, trial_start):
        calls.append((idx.copy(), demo_obs.copy(), trial_start.copy()))
        return np.full((len(idx), 3), 2)

    env = socialenvs.make("memory_sequence_v0", demonstrators="external")
    env.sim.set_demonstrator(hook)
    obs, _ = env.reset(seed=12)
    sim = env.sim
    assert calls[-1][2].all()
    block = obs["learner"][sim.slices["demonstrators"]].reshape(3, 3)
    assert (block[:, 2] == 1).all()
    seq = sim.sequence[0]
    env.step({"learner": int(seq[0])})
    assert not calls[-1][2].any()
    demo_obs = calls[-1][1][0]
    # Own feedback: each demonstrator saw its own proposal (2) and its own reward.
    assert (demo_obs[:, sim.slices["own_action"]][:, 2] == 1).all()
    assert (demo_obs[:, sim.slices["reward"]][:, 0] == (1.0 if seq[0] == 2 else -1.0)).all()
    assert (demo_obs[:, sim.slices["visible"]] == 0).all()
    env.step({"learner": int((seq[1] + 1) % 3)})
    assert calls[-1][2].all(), "a mistake opens a new trial"
    with pytest.raises(ValueError, match="external"):
        socialenvs.make("memory_sequence_v0").sim.set_demonstrator(hook)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(num_digits=1), "num_digits"),
        (dict(trial_len=30), "trial_len"),
        (dict(demonstrators="teacher"), "demonstrators"),
        (dict(visibility="sometimes"), "visibility"),
        (dict(oracle_accuracy=(0.5,)), "oracle_accuracy"),
        (dict(num_trials=1), "num_trials"),
        (dict(oracle_m=-1.0), "oracle_m"),
    ],
)
def test_memory_sequence_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        socialenvs.make("memory_sequence_v0", **kwargs)


# ---------------------------------------------------------------- TSP
def test_tsp_rewards_and_trial_end():
    env = socialenvs.make("tsp_v0")
    env.reset(seed=13)
    sim = env.sim
    cities = sim.cities[0].copy()
    total = 0.0
    order = [3, 1, 5, 2, 4]
    here = 0
    for c in order:
        _, r, *_ = env.step({"learner": c})
        d = np.linalg.norm(cities[c] - cities[here])
        assert r["learner"] == pytest.approx((np.sqrt(2) - d) / np.sqrt(2))
        assert 0 <= r["learner"] <= 1
        total += r["learner"]
        here = c
    assert sim.trial[0] == 1, "all cities visited ends the trial"
    assert sim.trial_scores[0, 0] == pytest.approx(total) and total <= 5
    _, r, *_ = env.step({"learner": 0})
    assert r["learner"] == -1.0 and sim.trial[0] == 2, "a revisit pays -1 and ends the trial"
    assert np.array_equal(sim.cities[0], cities), "layout fixed within the episode"


def test_tsp_final_revisit_flag():
    env = socialenvs.make("tsp_v0", final_revisit=True)
    env.reset(seed=14)
    for c in [1, 2, 3, 4, 5]:
        env.step({"learner": c})
    assert env.sim.trial[0] == 0
    _, r, *_ = env.step({"learner": 3})
    assert r["learner"] == -1.0 and env.sim.trial[0] == 1


def test_tsp_heuristic_temperatures():
    B = 2000
    cold = socialenvs.make_vec("tsp_v0", num_envs=B, oracle_temperature=(1e-4, 1e-4, 1e-4))
    cold.reset(seed=15)
    sim = cold.sim
    d0 = sim.distances_from(np.zeros(B, dtype=int))
    d0[:, 0] = np.inf
    nearest_to_start = d0.argmin(axis=1)
    assert (sim.demo_actions == nearest_to_start[:, None]).mean() > 0.99
    hot = socialenvs.make_vec("tsp_v0", num_envs=B, oracle_temperature=(10.0, 10.0, 10.0))
    hot.reset(seed=15)
    freq = np.bincount(hot.sim.demo_actions.ravel(), minlength=6) / hot.sim.demo_actions.size
    assert freq.min() > 0.1, "T = 10 is close to uniform"
    sampled = socialenvs.make_vec("tsp_v0", num_envs=B)
    sampled.reset(seed=16)
    temps = sampled.sim.temperature
    assert (np.diff(temps, axis=1) >= 0).all() and temps.max() <= 0.5
    assert abs(temps.mean() - 0.25) < 0.01


def test_tsp_heuristic_distance_from_current():
    B = 500
    venv = socialenvs.make_vec(
        "tsp_v0", num_envs=B, oracle_temperature=(1e-4,) * 3, demo_distance_from="current"
    )
    venv.reset(seed=17)
    venv.step(np.full((B, 1), 4))
    d = venv.sim.distances_from(np.full(B, 4))
    d[venv.sim.visited] = np.inf
    assert (venv.sim.demo_actions[:, 0] == d.argmin(axis=1)).mean() > 0.99


def test_tsp_oracle_scores_like_the_paper():
    """The start-distance heuristics (code quirk) score about 3.2 per trial (paper fig.)."""
    B = 2000
    venv = socialenvs.make_vec("tsp_v0", num_envs=B)
    venv.reset(seed=18)
    sim = venv.sim
    score = np.zeros(B)
    for _ in range(5):
        best = sim.demo_actions[:, 0]  # the coolest heuristic
        _, r, *_ = venv.step(best[:, None])
        score += np.maximum(r[:, 0], 0)
    assert 2.8 < score.mean() < 3.8
