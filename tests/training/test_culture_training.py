"""Generational training: demonstrator hooks, generation manager, tiny PPO runs."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.policy import Policy, PolicyStep  # noqa: E402
from agents.ppo import PPOConfig  # noqa: E402
from socialenvs import make_vec  # noqa: E402
from training import culture as C  # noqa: E402


class Counter(Policy):
    """Recurrent stand-in: the state counts steps; the action is the count mod 3."""

    recurrent = True

    def initial_state(self, batch_size):
        return (torch.zeros(batch_size, 1),)

    def act(self, obs, state=(), *, deterministic=False, rng=None):
        h = state[0] + 1
        a = (h[:, 0].long() % 3).numpy()
        z = np.zeros(len(obs), dtype=np.float32)
        return PolicyStep(a, z, z, (h,))


def test_recurrent_demonstrators_restart_from_saved_state_each_trial():
    venv = make_vec("memory_sequence_v0", num_envs=2, demonstrators="external")
    n = 3
    saved_h = torch.full((2, n, 1), 5.0)
    saved_obs = np.zeros((2, n, venv.sim.obs_dim), dtype=np.float32)
    hook = C.RecurrentDemonstrators(Counter(), saved_h, saved_obs, venv.sim.slices["trial"], 3)
    venv.sim.set_demonstrator(hook)
    venv.reset(seed=0)
    sim = venv.sim
    assert (sim.demo_actions == 6 % 3).all()
    venv.step(sim.correct_digit()[:, None])
    assert (sim.demo_actions == 7 % 3).all(), "inside a trial the state advances"
    venv.step(((sim.correct_digit() + 1) % 3)[:, None])  # a mistake: new trial
    assert (sim.demo_actions == 6 % 3).all(), "trial start: back to the saved state"


def test_open_loop_demonstrators_reset_each_episode():
    venv = make_vec("memory_sequence_v0", num_envs=3, preset="in_weights")
    venv.sim.set_demonstrator(C.OpenLoopDemonstrators([Counter()] * 5, 3))
    venv.reset(seed=1)
    first = venv.sim.demo_actions.copy()
    assert (first == 1).all()
    for _ in range(23):
        venv.step(np.zeros((3, 1), dtype=int))
    assert np.array_equal(venv.sim.demo_actions, first), "episode restart resets the state"


def test_meta_train_and_generations_run():
    torch.manual_seed(0)
    ppo = PPOConfig(num_steps=32, epochs=1, minibatches=2)
    policy, curve = C.meta_train("memory_sequence_v0", {}, ppo, 4 * 32 * 2, num_envs=4, hidden=16)
    assert len(curve.returns) == 2 and np.isfinite(curve.returns).all()
    res = C.in_context_generations(
        policy, "memory_sequence_v0", {}, {"oracle_accuracy": (0.0, 0.0, 0.0)}, 2, 3, [420]
    )
    assert res.scores.shape == (2, 4) and (res.scores >= 0).all() and (res.scores <= 24).all()


def test_in_weights_generations_select_and_baseline():
    torch.manual_seed(0)
    ppo = PPOConfig(num_steps=16, epochs=1, minibatches=1, anneal_lr=False)
    res = C.in_weights_generations(
        "goal_sequence_v0",
        {"preset": "in_weights"},
        ppo,
        4 * 16 * 2,
        2,
        2,
        1,
        select="best",
        num_envs=4,
        hidden=16,
    )
    assert res.final_scores.shape == (2, 2)
    assert np.isfinite(res.baseline_score)
    assert len(res.baseline_curve.returns) == 4, "baseline gets G x T steps"
    with pytest.raises(ValueError, match="select"):
        C.in_weights_generations("goal_sequence_v0", {}, ppo, 64, 1, 1, 1, select="worst")


def test_oracle_reference_line():
    # Following the most accurate of three m = 2 oracles scores above random play.
    oracle = C.evaluate_trials(None, "memory_sequence_v0", {}, 300, 0, follow_demonstrator=2)
    rand = C.evaluate_trials(
        None,
        "memory_sequence_v0",
        {"oracle_accuracy": (0.0, 0.0, 0.0)},
        300,
        0,
        follow_demonstrator=2,
    )
    assert oracle.mean() > rand.mean() + 0.5
