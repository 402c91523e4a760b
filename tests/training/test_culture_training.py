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


def _net_probs(policy, obs_row, horizon):
    state = policy.initial_state(1)
    x = torch.as_tensor(obs_row[None], dtype=torch.float32)
    out = []
    with torch.no_grad():
        for _ in range(horizon):
            logits, _, state = policy.net.step(x, state, None)
            out.append(torch.softmax(logits, -1)[0].numpy())
    return np.stack(out)


@pytest.mark.parametrize("demo_input", ["alone", "code"])
def test_tabulated_demonstrators_match_the_network(demo_input):
    venv = make_vec("memory_sequence_v0", num_envs=2, preset="in_weights", num_demonstrators=2)
    members = [C.new_policy(venv, 16, seed=s).frozen() for s in (1, 2)]
    hook = C.TabulatedDemonstrators(members, 2, demo_input, seed=0)
    venv.sim.set_demonstrator(hook)
    venv.reset(seed=0)
    const = venv.sim.demonstrator_obs(np.arange(1))[0, 0]
    assert const[-1] == 1.0, "the env feeds the code's constant input (flag set)"
    fed = np.zeros_like(const) if demo_input == "alone" else const
    probs = hook.probs()
    for j, m in enumerate(members):
        np.testing.assert_allclose(probs[:23, j], _net_probs(m, fed, 23), atol=1e-5)
    # Sampling follows the table: a member that always proposes one digit per step.
    hook.cdf = np.cumsum(np.eye(10)[np.arange(64) % 10][:, None].repeat(2, 1), axis=-1)
    venv.reset(seed=1)
    seen = [venv.sim.demo_actions.copy()]
    for _ in range(22):
        venv.step(np.zeros((2, 1), dtype=int))
        seen.append(venv.sim.demo_actions.copy())
    assert np.array_equal(np.stack(seen)[:, 0, 0], np.arange(23) % 10)
    venv.step(np.zeros((2, 1), dtype=int))  # episode end: the clock restarts
    assert (venv.sim.demo_actions == 0).all()


def test_in_weights_generations_arguments():
    ppo = PPOConfig(num_steps=8, epochs=1, minibatches=1, anneal_lr=False)
    kwargs = {"preset": "in_weights", "num_demonstrators": 2}
    with pytest.raises(ValueError, match="num_demonstrators"):
        C.in_weights_generations("memory_sequence_v0", kwargs, ppo, 64, 1, 2, 5)
    with pytest.raises(ValueError, match="demo_input"):
        C.in_weights_generations("memory_sequence_v0", kwargs, ppo, 64, 1, 2, 2, demo_input="x")


def test_in_weights_memory_sequence_anneals_and_selects():
    torch.manual_seed(0)
    ppo = PPOConfig(num_steps=23, epochs=1, minibatches=1, anneal_lr=False)
    kwargs = {"preset": "in_weights", "num_demonstrators": 3}
    res = C.in_weights_generations(
        "memory_sequence_v0", kwargs, ppo, 4 * 23 * 3, 2, 2, 3, num_envs=4, hidden=16
    )
    assert res.final_scores.shape == (2, 2)
    assert (res.final_scores >= -23).all() and (res.final_scores <= 23).all()
    assert len(res.baseline_curve.returns) == 6, "baseline gets G x T steps"


def test_member_training_sees_demonstrators_with_visibility_annealed_to_zero(monkeypatch):
    seen = []
    real_step = C.RolloutCollector.collect

    def collect(self, num_steps):
        rollout = real_step(self, num_steps)
        seen.append(self.venv.sim.visibility_prob.copy())
        return rollout

    monkeypatch.setattr(C.RolloutCollector, "collect", collect)
    venv = make_vec("memory_sequence_v0", num_envs=1, preset="in_weights", num_demonstrators=2)
    demos = [C.new_policy(venv, 8, seed=s).frozen() for s in (1, 2)]
    ppo = PPOConfig(num_steps=8, epochs=1, minibatches=1, anneal_lr=False)
    kwargs = {"preset": "in_weights", "num_demonstrators": 2}
    C._train_member("memory_sequence_v0", kwargs, demos, ppo, 2 * 8 * 5, 2, 8, 0, "alone")
    p = np.array([s[0] for s in seen])
    np.testing.assert_allclose(p, [1.0, 0.75, 0.5, 0.25, 0.0])


def test_tabulated_demonstrators_refuse_a_changing_input():
    venv = make_vec("memory_sequence_v0", num_envs=2, demonstrators="external")
    members = [C.new_policy(venv, 8, seed=s).frozen() for s in (1, 2, 3)]
    venv.sim.set_demonstrator(C.TabulatedDemonstrators(members, 2))
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="constant"):
        venv.step(venv.sim.correct_digit()[:, None])


class Copier(Policy):
    """Memoryless: plays demonstrator 0's proposal when visible, else digit 0."""

    def __init__(self, slices):
        self.demo = slices["demonstrators"]
        self.vis = slices["visible"].start

    def act(self, obs, state=(), *, deterministic=False, rng=None):
        proposal = obs[:, self.demo.start : self.demo.start + 3].argmax(1)
        a = np.where(obs[:, self.vis] > 0, proposal, 0)
        z = np.zeros(len(obs), dtype=np.float32)
        return PolicyStep(a, z, z, ())


def test_prefix_transfer_shows_copying_but_not_memory():
    sim = make_vec("memory_sequence_v0", num_envs=1).sim
    scores = C.prefix_transfer(Copier(sim.slices), {}, [0, 5, 24], num_envs=64)
    assert scores.shape == (3, 4)
    assert scores[2, 0] == 24, "trial 0 is fully visible: a copier of perfect demonstrators"
    assert 5 <= scores[1, 0] <= 6.5, "the known prefix, then random proposals (1/3 right)"
    assert scores[0, 0] < 1.5
    # The last trial never shows demonstrators: a memoryless copier scores the same
    # whatever it was shown before.
    assert scores[0, 3] == scores[1, 3] == scores[2, 3]
