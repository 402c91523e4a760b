"""ToMnet: shapes, the summed character embedding, masking, and a fast Bayes-optimal check."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.tomnet import ToMNet, ToMNetConfig, batch_to_tensors, tomnet_loss
from socialenvs.tom.dataset import TomBatch, TomDataset
from socialenvs.tom.species import GoalDirectedSpecies, RandomSpecies
from training.tom import (
    ToMTrainConfig,
    model_for,
    train_tomnet,
    true_action_prob_by_n_past,
)


@pytest.fixture(scope="module")
def goal_batch() -> TomBatch:
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=3, seed=0)
    return ds.batch(5)


def _small(**kw) -> ToMNet:
    torch.manual_seed(0)
    return ToMNet(ToMNetConfig(channels=8, char_lstm_size=8, **kw)).eval()


def test_output_shapes_and_loss(goal_batch):
    net = _small()
    t = batch_to_tensors(goal_batch)
    out = net(t)
    assert out.action_logits.shape == (5, 5)
    assert out.consumption_logits.shape == (5, 4)
    assert out.sr_log_probs.shape == (5, 3, 11, 11)
    np.testing.assert_allclose(out.sr_log_probs.exp().sum((2, 3)).detach(), 1.0, rtol=1e-5)
    assert out.e_char.shape == (5, 2) and out.e_mental.shape == (5, 8, 11, 11)
    loss, stats = tomnet_loss(out, t)
    loss.backward()
    assert set(stats) == {"loss", "loss_action", "loss_consumption", "loss_sr"}
    assert all(p.grad is not None for p in net.character.parameters())


def test_character_embedding_is_a_sum_over_past_episodes(goal_batch):
    net = _small()
    t = batch_to_tensors(goal_batch)
    both = {**t, "past_mask": torch.zeros_like(t["past_mask"])}
    both["past_mask"][:, :2] = True
    both["past_step_mask"] = t["past_step_mask"] | True  # every step of slots 0 and 1 real
    both["past_step_mask"][:, 2:] = False
    e_both = net.character(
        both["past_states"], both["past_actions"], both["past_step_mask"], both["past_mask"]
    )
    parts = []
    for j in (0, 1):
        mask = torch.zeros_like(both["past_mask"])
        mask[:, j] = True
        steps = both["past_step_mask"] & mask[..., None]
        parts.append(net.character(both["past_states"], both["past_actions"], steps, mask))
    torch.testing.assert_close(e_both, parts[0] + parts[1], atol=1e-5, rtol=1e-5)


def test_padding_is_ignored(goal_batch):
    net = _small()
    t = batch_to_tensors(goal_batch)
    noisy = dict(t)
    rng = torch.Generator().manual_seed(0)
    junk = torch.randint(0, 2, t["past_states"].shape, generator=rng, dtype=torch.uint8)
    pad = ~t["past_step_mask"][..., None, None, None]
    noisy["past_states"] = torch.where(pad, junk, t["past_states"])
    junk_cur = torch.randint(0, 2, t["current_states"].shape, generator=rng, dtype=torch.uint8)
    noisy["current_states"] = torch.where(
        ~t["current_mask"][..., None, None, None], junk_cur, t["current_states"]
    )
    with torch.no_grad():
        a, b = net(t), net(noisy)
    torch.testing.assert_close(a.action_logits, b.action_logits)
    torch.testing.assert_close(a.sr_log_probs, b.sr_log_probs)


def test_no_past_gives_zero_character():
    ds = TomDataset(RandomSpecies(0.01), episode_steps=1, seed=0)
    net = model_for(ds, variant="random").eval()
    t = batch_to_tensors(ds.batch(4, n_past=0))
    assert torch.count_nonzero(net(t).e_char) == 0


def test_config_errors():
    with pytest.raises(ValueError, match="variant"):
        ToMNetConfig(variant="transformer")
    with pytest.raises(ValueError, match="resnet_layers"):
        ToMNetConfig(resnet_layers=4)


def test_random_agents_fast_learning_towards_bayes():
    """Fast version of the Sec. 3.1 check (full version: benchmarks, experiment
    ``tomnet_random_agents``): after a few hundred minibatches on S(0.01) agents the
    ToMnet is near the Bayes-optimal observer without past data (0.2) and has clearly
    learned to copy observed actions with five past episodes (Bayes 0.954)."""
    torch.manual_seed(0)
    ds = TomDataset(RandomSpecies(0.01), episode_steps=1, seed=0)
    net = model_for(ds, variant="random")
    train_tomnet(net, ds, ToMTrainConfig(steps=300, batch_size=32, lr=3e-3, chunk=512))
    res = true_action_prob_by_n_past(net, ds, [0, 5], size=400)
    assert abs(res[0]["tomnet"] - res[0]["bayes"]) < 0.05
    assert res[5]["tomnet"] > 0.8 and res[5]["bayes"] > 0.9


def test_conv_lstm_zero_state_shortcut_matches_the_full_cell():
    from agents.tomnet import ConvLSTMCell

    torch.manual_seed(0)
    cell = ConvLSTMCell(6, 8)
    x = torch.randn(3, 6, 11, 11)
    zero = torch.zeros(3, 8, 11, 11)
    for a, b in zip(cell(x, None), cell(x, (zero, zero))):
        torch.testing.assert_close(a, b)


def test_learning_rate_decays_linearly_to_the_end_factor():
    ds = TomDataset(RandomSpecies(0.01), episode_steps=1, n_past_max=2, seed=0)
    net = model_for(ds, variant="random")
    cfg = ToMTrainConfig(steps=5, batch_size=4, lr=1e-3, lr_end_factor=0.1, chunk=8)
    seen = []
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.append(self.param_groups[0]["lr"])
        return orig(self, *a, **k)

    torch.optim.Adam.step = spy
    try:
        train_tomnet(net, ds, cfg)
    finally:
        torch.optim.Adam.step = orig
    np.testing.assert_allclose(seen, np.linspace(1e-3, 1e-4, 5), rtol=1e-6)
    with pytest.raises(ValueError, match="lr_end_factor"):
        ToMTrainConfig(lr_end_factor=0.0)


def test_loss_terms_pick_what_is_summed(goal_batch):
    net = _small()
    t = batch_to_tensors(goal_batch)
    out = net(t)
    full, stats = tomnet_loss(out, t)
    only_c, stats_c = tomnet_loss(out, t, ("consumption",))
    assert float(only_c) == pytest.approx(stats["loss_consumption"], rel=1e-6)
    assert float(full) == pytest.approx(
        stats["loss_action"] + stats["loss_consumption"] + stats["loss_sr"], rel=1e-6
    )
    assert stats_c["loss_action"] == stats["loss_action"]  # every term is still logged
    with pytest.raises(ValueError, match="'value'"):
        tomnet_loss(out, t, ("action", "value"))
    ds = TomDataset(RandomSpecies(0.01), episode_steps=1, n_past_max=2, seed=0)
    rnet = model_for(ds, variant="random")
    rt = batch_to_tensors(ds.batch(4))
    with pytest.raises(ValueError, match="not predicted"):
        tomnet_loss(rnet(rt), rt, ("consumption",))


def test_warmup_trains_on_its_terms_then_on_the_whole_loss():
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=3, seed=0)
    net = model_for(ds, channels=4, char_lstm_size=4, mental=False)
    cfg = ToMTrainConfig(steps=5, batch_size=4, chunk=8, log_every=1, warmup_steps=3)
    action_grads = []  # at each optimiser step: did the action head get a gradient?
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        action_grads.append(all(p.grad is not None for p in net.action_head.parameters()))
        return orig(self, *a, **k)

    torch.optim.Adam.step = spy
    try:
        rows = train_tomnet(net, ds, cfg)
    finally:
        torch.optim.Adam.step = orig
    assert action_grads == [False, False, False, True, True]
    for r in rows[:3]:
        assert r["loss"] == pytest.approx(r["loss_consumption"], rel=1e-6)
    for r in rows[3:]:
        whole = r["loss_action"] + r["loss_consumption"] + r["loss_sr"]
        assert r["loss"] == pytest.approx(whole, rel=1e-5)
    for bad in (dict(steps=4, warmup_steps=4), dict(warmup_steps=-1)):
        with pytest.raises(ValueError, match="warmup_steps"):
            ToMTrainConfig(**bad)
    with pytest.raises(ValueError, match="warmup_terms"):
        ToMTrainConfig(warmup_terms=("value",))


def test_warmup_draws_from_its_own_dataset():
    main = TomDataset(GoalDirectedSpecies(), n_past_max=2, seed=0)
    warm = TomDataset(GoalDirectedSpecies(), n_past_max=2, seed=1)
    calls = []
    for name, ds in (("main", main), ("warm", warm)):
        orig = ds.batch
        ds.batch = lambda size, index=0, n_past=None, _o=orig, _n=name: (
            calls.append((_n, index)) or _o(size, index, n_past)
        )
    net = model_for(main, channels=4, char_lstm_size=4, mental=False)
    cfg = ToMTrainConfig(steps=6, batch_size=4, chunk=8, warmup_steps=3)
    train_tomnet(net, main, cfg, warmup_dataset=warm)
    # 2 minibatches a chunk: the warm-up's 3 take two warm chunks (the second's last
    # minibatch is dropped when the warm-up ends), the other 3 come from the main data
    assert calls == [("warm", 0), ("warm", 1), ("main", 2), ("main", 3)]


def test_saved_tomnet_loads_back_with_the_same_predictions(tmp_path, goal_batch):
    from training.tom import load_tomnet

    ds = TomDataset(GoalDirectedSpecies(), n_past_max=3, seed=0)
    net = model_for(ds, channels=8, char_lstm_size=8, mental=False)
    train_tomnet(net, ds, ToMTrainConfig(steps=2, batch_size=4, chunk=8), run_dir=str(tmp_path))
    loaded = load_tomnet(str(tmp_path / "tomnet.pt"))
    with torch.no_grad():
        a, b = net.eval()(batch_to_tensors(goal_batch)), loaded(batch_to_tensors(goal_batch))
    torch.testing.assert_close(a.action_logits, b.action_logits)
    torch.testing.assert_close(a.sr_log_probs, b.sr_log_probs)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        load_tomnet(str(tmp_path / "bad.pt"))


def _params(net):
    return [p.detach().clone() for p in net.parameters()]


def test_warmup_exit_loss_extends_restarts_and_otherwise_changes_nothing():
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=2, seed=0)
    base = dict(steps=5, batch_size=4, chunk=8, log_every=1, warmup_steps=2)

    def run(**kw):
        torch.manual_seed(3)
        net = model_for(ds, channels=4, char_lstm_size=4, mental=False)
        rows = train_tomnet(net, ds, ToMTrainConfig(**base, **kw))
        return net, rows

    plain, plain_rows = run()
    # an exit loss every warm-up beats at once: the same run, minibatch for minibatch
    easy, easy_rows = run(warmup_exit_loss=1e9, warmup_window=2)
    for a, b in zip(_params(plain), _params(easy)):
        assert torch.equal(a, b)
    assert [r["warm"] for r in easy_rows] == [1, 1, 0, 0, 0]
    assert easy_rows[-1]["warmup_left"] == 1
    assert [r["loss"] for r in easy_rows] == [r["loss"] for r in plain_rows]
    # an exit loss no warm-up reaches: each attempt lasts its patience (3), the net is
    # re-initialised once, then the 3 minibatches of the whole loss follow
    hard, rows = run(warmup_exit_loss=0.0, warmup_window=2, warmup_patience=3, warmup_restarts=1)
    assert [r["attempt"] for r in rows] == [0, 0, 1, 1, 1, 1, 1, 1, 1]
    assert [r["warm"] for r in rows] == [1] * 6 + [0] * 3
    assert rows[-1]["step"] == 9 and rows[-1]["warmup_left"] == 0
    for r in rows[:6]:
        assert r["loss"] == pytest.approx(r["loss_consumption"], rel=1e-6)
    # without patience the warm-up would never end: a reachable exit ends it
    ok, rows = run(warmup_exit_loss=50.0, warmup_window=1)
    assert rows[-1]["warmup_left"] == 1 and rows[-1]["step"] == 5


def test_warmup_exit_options_are_checked():
    for bad, name in (
        (dict(warmup_exit_loss=2.0), "warmup_exit_loss"),
        (dict(warmup_steps=10, warmup_exit_loss=2.0, warmup_window=11), "warmup_window"),
        (
            dict(warmup_steps=10, warmup_exit_loss=2.0, warmup_window=5, warmup_patience=9),
            "warmup_patience",
        ),
        (dict(warmup_steps=10, warmup_restarts=1), "warmup_restarts"),
        (
            dict(warmup_steps=10, warmup_exit_loss=2.0, warmup_window=5, warmup_restarts=-1),
            "warmup_restarts",
        ),
    ):
        with pytest.raises(ValueError, match=name):
            ToMTrainConfig(**bad)


def test_mental_free_warmup_fades_the_mental_net_in():
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=2, seed=0)
    net = model_for(ds, channels=4, char_lstm_size=4)
    cfg = ToMTrainConfig(
        steps=6,
        batch_size=4,
        chunk=8,
        log_every=1,
        warmup_steps=2,
        warmup_mental_off=True,
        mental_ramp_steps=2,
    )
    seen = []  # (mental gate, did the mental net get a gradient) at each optimiser step
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        grads = [p.grad is not None for p in net.mental.parameters()]
        seen.append((net.mental_gate, all(grads)))
        return orig(self, *a, **k)

    torch.optim.Adam.step = spy
    try:
        train_tomnet(net, ds, cfg)
    finally:
        torch.optim.Adam.step = orig
    assert seen == [(0.0, False), (0.0, False), (0.5, True), (1.0, True), (1.0, True), (1.0, True)]
    assert net.mental_gate == 1.0
    t = batch_to_tensors(ds.batch(4))
    with torch.no_grad():
        on = net(t).action_logits
        net.mental_gate = 0.0
        off = net(t).action_logits
    assert not torch.allclose(on, off)  # the gate reaches the predictions
    with pytest.raises(ValueError, match="mental_ramp_steps"):
        ToMTrainConfig(steps=6, warmup_steps=2, warmup_mental_off=True, mental_ramp_steps=4)
    with pytest.raises(ValueError, match="warmup_mental_off"):
        ToMTrainConfig(warmup_mental_off=True)
