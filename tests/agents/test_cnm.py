"""Classifier norm model: the classifier learns a planted sanction rule, pseudo-reward
signs and attribution, the event-derived berry counts, and a short training run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.cnm import (
    CNM,
    CNMConfig,
    NormModel,
    SanctionSamples,
    balanced_accuracy,
    pseudo_reward,
    sanction_samples,
)
from agents.ppo import PPOConfig
from socialenvs.core.events import EVENT_DTYPE, EventKind
from socialenvs.core.registry import make_sim
from socialenvs.norms import allelopathic_harvest as ah
from training.cnm import berry_counts_over_time, evaluate_norms, train_cnm


def _contexts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random public contexts: one-hot target colour, marked, frozen, actor colour, leader."""
    ctx = np.zeros((n, ah.CONTEXT_SIZE), dtype=np.float32)
    ctx[np.arange(n), rng.integers(0, 4, n)] = 1
    ctx[:, 4] = rng.random(n) < 0.3
    ctx[:, 5] = rng.random(n) < 0.2
    ctx[np.arange(n), 6 + rng.integers(0, 4, n)] = 1
    ctx[np.arange(n), 10 + rng.integers(0, 3, n)] = 1
    return ctx


def _planted_rule(ctx: np.ndarray) -> np.ndarray:
    """The group zaps grey targets and targets showing a colour other than the leading one."""
    target_colour = ctx[:, 0:4].argmax(1)  # 0 grey, 1..3
    leader = ctx[:, 10:13].argmax(1) + 1
    return (target_colour == 0) | (target_colour != leader)


def _events(ctx: np.ndarray, labels: np.ndarray, steps: np.ndarray) -> list[np.ndarray]:
    """Per-step OPPORTUNITY event arrays carrying packed contexts and decisions."""
    out = []
    codes = ah.pack_context(ctx)
    for t in range(int(steps.max()) + 1):
        m = steps == t
        ev = np.zeros(int(m.sum()), dtype=EVENT_DTYPE)
        ev["kind"] = int(EventKind.OPPORTUNITY)
        ev["env"] = np.arange(m.sum()) % 3
        ev["actor"] = np.arange(m.sum()) % 4
        ev["target"] = (np.arange(m.sum()) + 1) % 4
        ev["context"] = codes[m]
        ev["value"] = labels[m]
        out.append(ev)
    return out


def test_classifier_learns_planted_rule_from_event_stream():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    n = 6000
    ctx = _contexts(rng, n)
    rule = _planted_rule(ctx)
    # Sanctioning is rare and noisy: the group zaps 20% of disapproved opportunities and
    # 1% of approved ones.
    labels = np.where(rule, rng.random(n) < 0.2, rng.random(n) < 0.01)
    samples = sanction_samples(_events(ctx, labels, np.arange(n) // 120))
    np.testing.assert_array_equal(samples.features, ctx)  # packed and decoded exactly
    np.testing.assert_array_equal(samples.labels, labels)
    assert labels.mean() < 0.2
    model = NormModel(ah.CONTEXT_SIZE, CNMConfig(lr=3e-3), seed=1)
    before = model.balanced_accuracy(ctx, rule)
    model.observe(samples.features, samples.labels)
    model.train(steps=400)
    test_ctx = _contexts(np.random.default_rng(1), 3000)
    test_rule = _planted_rule(test_ctx)
    after = model.balanced_accuracy(test_ctx, test_rule)
    assert after > 0.95, (before, after)
    assert after > before + 0.2
    # An unbalanced baseline (always predict approval) scores 0.5.
    assert balanced_accuracy(np.zeros(len(test_rule), bool), test_rule) == 0.5


def test_balanced_accuracy_by_hand():
    y = np.array([1, 1, 0, 0, 0, 0], bool)
    p = np.array([1, 0, 0, 0, 0, 1], bool)
    assert balanced_accuracy(p, y) == pytest.approx(0.5 * (1 / 2 + 3 / 4))
    assert np.isnan(balanced_accuracy(p, np.zeros(6, bool)))


def test_pseudo_reward_signs():
    a, b = 0.2, 0.4
    assert pseudo_reward(1.0, a, b) == pytest.approx(a)  # group disapproves: +alpha
    assert pseudo_reward(0.0, a, b) == pytest.approx(-b)  # group approves: -beta
    assert pseudo_reward(0.5, a, b) == pytest.approx(0.5 * a - 0.5 * b)
    assert pseudo_reward(0.8, a, b, hard=True) == pytest.approx(a)
    assert pseudo_reward(0.2, a, b, hard=True) == pytest.approx(-b)


def test_shaping_rewards_the_zapper_by_its_classifier():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    ctx = _contexts(rng, 4000)
    rule = _planted_rule(ctx)
    cfg = CNMConfig(alpha=0.2, beta=0.4, lr=3e-3)
    cnm = CNM([0, 1], ah.CONTEXT_SIZE, cfg, seed=0)
    for m in cnm.models.values():
        m.observe(ctx, rule)
        m.train(steps=300)
    # Four zaps and one non-zap, at chosen (t, env, actor) slots.
    disapproved = ctx[rule][:2]
    approved = ctx[~rule][:2]
    feats = np.concatenate([disapproved, approved, disapproved[:1]])
    labels = np.array([1, 1, 1, 1, 0], bool)
    t = np.array([0, 1, 2, 3, 0])
    env = np.array([0, 1, 0, 1, 1])
    actor = np.array([0, 2, 1, 3, 2])
    samples = SanctionSamples(feats, labels, t, env, actor, np.zeros(5, np.int64))
    policy_ids = np.tile(np.array([0, 1, 0, 1]), (4, 2, 1))  # [T, B, N]: seats 0,2 -> 0
    r = cnm.shaping(samples, policy_ids)
    assert r.shape == (4, 2, 4)
    assert r[0, 0, 0] > 0.15 and r[1, 1, 2] > 0.15  # disapproved targets: about +alpha
    assert r[2, 0, 1] < -0.3 and r[3, 1, 3] < -0.3  # approved targets: about -beta
    assert np.count_nonzero(r) == 4  # the non-zap earns nothing
    off = CNM([0, 1], ah.CONTEXT_SIZE, CNMConfig(shaping=False), seed=0)
    assert not off.shaping(samples, policy_ids).any()


def test_gate_withholds_the_pseudo_reward_until_the_classifier_separates_contexts():
    rng = np.random.default_rng(0)
    ctx = _contexts(rng, 4000)
    rule = _planted_rule(ctx)
    cfg = CNMConfig(lr=3e-3, gate_accuracy=0.7, gate_window=3, updates_per_rollout=100)
    cnm = CNM([0], ah.CONTEXT_SIZE, cfg, seed=0)
    zap = SanctionSamples(ctx[:4], np.ones(4, bool), *np.zeros((4, 4), np.int64))
    policy_ids = np.zeros((1, 1, 1), np.int64)
    model = cnm.models[0]
    # Untrained: the gate is shut, zaps earn nothing whatever the classifier says.
    assert not model.gate_open and not cnm.shaping(zap, policy_ids).any()
    # Rollouts without both classes carry no accuracy and leave the window empty.
    only_zaps = SanctionSamples(ctx[:50], np.ones(50, bool), *np.zeros((4, 50), np.int64))
    assert "gate_open" in cnm.observe_and_train(only_zaps, env_steps=0)
    assert len(model.recent_accuracy) == 0
    # Rollouts whose sanctions follow the rule: the classifier learns it, the held-out
    # accuracy of three consecutive rollouts passes 0.7 and the gate opens for good.
    rows = []
    for k in range(8):
        sl = slice(500 * k, 500 * (k + 1))
        s = SanctionSamples(ctx[sl], rule[sl], *np.zeros((4, 500), np.int64))
        rows.append(cnm.observe_and_train(s, env_steps=k))
        if model.gate_open:
            break
    assert model.gate_open, rows
    assert rows[0]["gate_open"] == 0.0 and rows[-1]["gate_open"] == 1.0
    assert np.mean(model.recent_accuracy) >= 0.7
    assert cnm.shaping(zap, policy_ids).any()
    # The gate is part of the saved state.
    fresh = CNM([0], ah.CONTEXT_SIZE, cfg, seed=5)
    assert not fresh.models[0].gate_open
    fresh.load_state_dict(cnm.state_dict())
    assert fresh.models[0].gate_open
    assert list(fresh.models[0].recent_accuracy) == list(model.recent_accuracy)
    # Off by default: paid from the first zap, as in the paper.
    assert CNM([0], ah.CONTEXT_SIZE, CNMConfig(), seed=0).models[0].gate_open
    with pytest.raises(ValueError, match="gate_accuracy"):
        CNMConfig(gate_accuracy=1.5)
    with pytest.raises(ValueError, match="gate_window"):
        CNMConfig(gate_window=0)


def test_berry_counts_from_plant_events_match_state():
    s = make_sim("allelopathic_harvest_v0", num_envs=3, preset="small", ripen_base_rate=0.01)
    s.seed(0)
    s.reset()
    initial = s.berry_counts()
    rng = np.random.default_rng(0)
    events, states = [], []
    for _ in range(60):
        a = rng.choice([1, 5, 8, 9, 10], size=(3, 4))
        s.step(a)
        events.append(s.last_events)
        states.append(s.berry_counts())
    counts = berry_counts_over_time(events, initial)
    np.testing.assert_array_equal(counts, np.stack(states))
    assert (counts != initial).any()  # planting happened


def test_config_and_env_errors():
    with pytest.raises(ValueError, match="alpha"):
        CNMConfig(alpha=-1)
    with pytest.raises(ValueError, match="batch_size"):
        CNMConfig(batch_size=1)
    with pytest.raises(ValueError, match="opportunit"):
        train_cnm("commons_v0", {}, CNMConfig(), steps=10)


def test_training_smoke_run():
    kw = {"preset": "small", "max_cycles": 40}
    ppo = PPOConfig(num_steps=32, epochs=1, minibatches=2)
    run = train_cnm("allelopathic_harvest_v0", kw, CNMConfig(), ppo=ppo, num_envs=2, steps=256)
    h = run.history
    assert run.env_steps == 256 and len(h) == 4
    assert all(r["opportunities"] > 0 for r in h)
    zapped = [r for r in h if r["zaps_per_opportunity"] > 0]
    assert zapped and all(r["pseudo_reward_per_step"] != 0 for r in zapped)
    assert "classifier_balanced_accuracy" in h[-1] or "classifier_loss" in h[-1]
    assert "episode_collective_return" in h[-1] and 0 < h[-1]["monoculture"] <= 1
    ev = evaluate_norms(run, episodes=2)
    assert ev["monoculture_over_time"].shape == (40,)
    assert ev["zap_colour_matrix"].sum() == pytest.approx(ev["zaps"] * 2)
    # The baseline: plain PPO, no classifier and no shaping, on the same loop.
    base = train_cnm("allelopathic_harvest_v0", kw, None, ppo=ppo, num_envs=2, steps=128)
    assert base.cnm is None and "pseudo_reward_per_step" not in base.history[0]


def test_pseudo_reward_reaches_the_learners_rewards_before_gae():
    seen = []

    def probe(ro, venv):
        s = sanction_samples(ro.events)
        z = s.labels
        slots = np.stack([s.step[z], s.env[z], s.actor[z]], axis=1)
        uniq, counts = np.unique(slots, axis=0, return_counts=True)
        one = uniq[counts == 1]  # slots that zapped exactly one target
        seen.append((ro.rewards[one[:, 0], one[:, 1], one[:, 2]], ro.advantages is not None))
        return {}

    cfg = CNMConfig(alpha=100.0, beta=100.0, hard=True, updates_per_rollout=0)
    ppo = PPOConfig(num_steps=32, epochs=1, minibatches=1)
    kw = {"preset": "small", "max_cycles": 40}
    train_cnm("allelopathic_harvest_v0", kw, cfg, ppo=ppo, num_envs=2, steps=128, on_rollout=probe)
    zap_rewards = np.concatenate([r for r, _ in seen])
    # Each zap earns +-100; env rewards per step lie in [-10, 2].
    assert zap_rewards.size > 0 and (np.abs(zap_rewards) >= 88).all()
    assert all(has_gae for _, has_gae in seen)


def test_shaping_is_paid_per_unit_of_sanction():
    # the public goods game's sanctions come in points: 3 points earn 3 pseudo-rewards
    cnm = CNM([0], 3, CNMConfig(alpha=1.0, beta=1.0, hard=True), seed=0)
    feats = np.zeros((3, 3), np.float32)
    labels = np.array([True, True, False])
    z = np.zeros(3, np.int64)
    samples = SanctionSamples(
        feats, labels, z, z, np.array([0, 1, 2]), z, amount=np.array([3.0, 1.0, 0.0])
    )
    r = cnm.shaping(samples, np.zeros((1, 1, 3), np.int64))
    p = cnm.models[0].prob_disapprove(feats[:1])[0]
    unit = 1.0 if p >= 0.5 else -1.0
    np.testing.assert_allclose(r[0, 0], [3 * unit, unit, 0.0])
    # without amounts a sanction counts once (a zap)
    plain = SanctionSamples(feats, labels, z, z, np.array([0, 1, 2]), z)
    np.testing.assert_allclose(
        cnm.shaping(plain, np.zeros((1, 1, 3), np.int64))[0, 0], [unit, unit, 0]
    )


def test_cnm_learners_in_the_public_goods_game():
    """The punishment stage's opportunities feed the classifiers (3 public features) and
    every point assigned earns the pseudo-reward, scaled like the rewards it joins."""
    from socialenvs.wrappers.rewards import ReturnScaleTransform

    seen = []

    def probe(ro, venv):
        s = sanction_samples(ro.events, venv.sim.opportunity_features)
        seen.append((s, ro.rewards.copy(), ro.policy_ids))
        return {}

    cfg = CNMConfig(alpha=50.0, beta=50.0, hard=True)
    ppo = PPOConfig(num_steps=24, epochs=1, minibatches=1)
    kw = {"preset": "fehr_gaechter_2002"}
    tr = ReturnScaleTransform()
    run = train_cnm(
        "public_goods_v0",
        kw,
        cfg,
        ppo=ppo,
        num_envs=2,
        steps=96,
        on_rollout=probe,
        reward_transform=tr,
    )
    assert run.cnm.models[0].num_features == 3
    assert all("classifier_loss" in h for h in run.history[1:])
    s, rewards, _ = seen[-1]
    assert len(s) == 2 * 6 * 3 * 4  # every punisher at every punishment step
    assert set(np.unique(s.amount)) <= set(range(11)) and s.labels.any()
    assert ((s.features >= 0) & (s.features <= 1)).all()
    # a slot that punished receives about +-50 per point / the return scale, far more
    # than its (scaled) material reward
    z = s.labels
    got = np.abs(rewards[s.step[z], s.env[z], s.actor[z]])
    assert (got > 0.5 * 50 * s.amount[z] / (tr.std + tr.eps)).mean() > 0.9


def test_pretrain_sees_the_fresh_policies_before_training():
    calls = []

    def pretrain(policies):
        calls.append([id(p) for p in policies])
        with torch.no_grad():
            for p in policies:
                for w in p.net.parameters():
                    w.fill_(0.0)

    ppo = PPOConfig(num_steps=24, epochs=1, minibatches=1, lr=1e-12)
    run = train_cnm("public_goods_v0", {}, None, ppo=ppo, num_envs=1, steps=24, pretrain=pretrain)
    assert calls == [[id(p) for p in run.policies]] and len(run.policies) == 4
    # what pretrain wrote is what was trained (a vanishing learning rate keeps it)
    assert all(
        float(w.detach().abs().max()) < 1e-6 for p in run.policies for w in p.net.parameters()
    )


def test_policy_signal_shows_each_learner_its_classifiers_verdict():
    """The two extra planes are the seat's own classifier verdict on the players it could
    zap before the next step; the env's trajectory is that of the unwrapped env."""
    from socialenvs.core.registry import make_vec
    from training.cnm import SanctionSignal

    kw = dict(preset="reduced", record_opportunities=True)
    plain = make_vec("allelopathic_harvest_v0", num_envs=3, **kw)
    venv = make_vec("allelopathic_harvest_v0", num_envs=3, **kw)
    N = venv.num_agents
    norm = CNM(range(N), ah.CONTEXT_SIZE, CNMConfig(), seed=0)
    # Classifier k disapproves exactly of grey targets for even k, of nobody for odd k.
    for k, model in norm.models.items():
        grey = k % 2 == 0
        model.prob_disapprove = lambda x, grey=grey: (
            (x[:, 0] > 0.5) if grey else np.zeros(len(x))
        ).astype(np.float32)
    wrapped = SanctionSignal(venv, norm, np.arange(N))
    H, W, C = plain.single_observation_space.shape
    assert wrapped.single_observation_space.shape == (H, W, C + 2)
    o0, _ = plain.reset(seed=5)
    o1, _ = wrapped.reset(seed=5)
    rng = np.random.default_rng(0)
    planes_on = np.zeros(2, dtype=np.int64)
    for _ in range(200):
        np.testing.assert_array_equal(o1[..., :C], o0)
        opp, ctx = venv.sim.sanction_opportunities()
        for b in range(3):
            for i in range(N):
                targets = np.flatnonzero(opp[b, i])
                dis = [ctx[b, i, j, 0] > 0.5 and i % 2 == 0 for j in targets]
                assert (o1[b, i, ..., C] == int(any(dis))).all()
                assert (o1[b, i, ..., C + 1] == int(not all(dis))).all()
        planes_on += o1[:, :, 0, 0, C:].reshape(-1, 2).sum(0).astype(np.int64)
        actions = rng.integers(0, plain.single_action_space.n, size=(3, N))
        o0, r0, *_ = plain.step(actions)
        o1, r1, *_ = wrapped.step(actions)
        np.testing.assert_array_equal(r0, r1)
    assert (planes_on > 0).all()
    # Only symbolic views and envs with an opportunity query can carry the signal.
    rgb = make_vec("allelopathic_harvest_v0", num_envs=1, obs_type="rgb", **kw)
    with pytest.raises(ValueError, match="symbolic"):
        SanctionSignal(rgb, norm, np.arange(N))
    with pytest.raises(ValueError, match="no classifier"):
        SanctionSignal(venv, norm, np.arange(N) + 10)


def test_policy_signal_training_and_evaluation_run():
    kw = {"preset": "small", "max_cycles": 40}
    ppo = PPOConfig(num_steps=32, epochs=1, minibatches=2)
    run = train_cnm(
        "allelopathic_harvest_v0", kw, CNMConfig(policy_signal=True), ppo=ppo, num_envs=2, steps=128
    )
    C = make_sim("allelopathic_harvest_v0", preset="small").observation_space.shape[-1]
    assert run.policies[0].net.obs_space.shape[-1] == C + 2
    ev = evaluate_norms(run, episodes=2)
    assert ev["monoculture_over_time"].shape == (40,)
    with pytest.raises(ValueError, match="symbolic"):
        train_cnm(
            "allelopathic_harvest_v0",
            {**kw, "obs_type": "rgb"},
            CNMConfig(policy_signal=True),
            ppo=ppo,
            num_envs=2,
            steps=64,
        )
