"""In-weights Memory Sequence fast tier: the premise of its discount choice, and its plots.

The fast tier trains with ``gamma = 0`` (``benchmarks/culture.py``): that leaves the
expected policy gradient unchanged only if the learner's observations, and so its later
rewards, do not depend on its own actions. These tests check that premise on the env.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import socialenvs

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(actions_of, seed=3, steps=46, **kw):
    venv = socialenvs.make_vec(
        "memory_sequence_v0",
        num_envs=8,
        preset="in_weights",
        demonstrators="oracle",
        oracle_accuracy=(0.5,) * 5,
        **kw,
    )
    venv.sim.set_visibility(0.5)
    obs, _ = venv.reset(seed=seed)
    seen, rewards = [obs], []
    for t in range(steps):
        obs, r, *_ = venv.step(actions_of(venv.sim, t)[:, None])
        seen.append(obs)
        rewards.append(r[:, 0])
    return np.stack(seen), np.stack(rewards)


def test_in_weights_observations_do_not_depend_on_the_learners_actions():
    right = lambda sim, t: sim.correct_digit()  # noqa: E731
    wrong = lambda sim, t: (sim.correct_digit() + 1 + t % 9) % 10  # noqa: E731
    obs_r, rew_r = _run(right)
    obs_w, rew_w = _run(wrong)
    assert (rew_r == 1).all() and (rew_w == -1).all()
    np.testing.assert_array_equal(obs_r, obs_w)
    assert obs_r[..., :-1].any() and not obs_r[..., -1].all(), "visible and hidden steps"


def test_with_reset_on_mistake_actions_do_change_what_follows():
    right = lambda sim, t: sim.correct_digit()  # noqa: E731
    wrong = lambda sim, t: (sim.correct_digit() + 1) % 10  # noqa: E731
    obs_r, _ = _run(right, reset_on_mistake=True)
    obs_w, _ = _run(wrong, reset_on_mistake=True)
    assert not np.array_equal(obs_r, obs_w)


def test_in_weights_training_curves_plot(tmp_path):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import culture

    r = {
        "final_scores": [[-3.0, 1.0], [4.0, 2.0]],
        "curves": [[[-18.0, -9.0], [-17.0, -5.0]], [[-10.0, 3.0], [-12.0, 1.0]]],
        "baseline_curve": [-18.0, -15.0, -10.0, -6.0],
        "steps_per_generation": 1024,
    }
    path = culture._plot_iw_curves("memseq_in_weights_seed0", r, str(tmp_path))
    assert path is not None and Path(path).stat().st_size > 0
