"""Options behind the false-belief test (Rabinowitz et al. 2018, Sec. 3.4): swaps that
always move the preferred object, query times drawn around the swaps, and the
edited-query divergence measured by ``training.tom.false_belief_divergence``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from socialenvs.tom.dataset import TomDataset
from socialenvs.tom.gridworld import TomGridworld
from socialenvs.tom.species import GoalDirectedSpecies
from training.tom import ToMTrainConfig, false_belief_divergence, model_for, train_tomnet


def test_swap_preferred_always_moves_the_preferred_object():
    sim = TomGridworld(
        num_envs=200, swap_prob=1.0, swap_steps=(1, 1), swap_preferred=True, max_walls=0
    )
    sim.seed(3)
    sim.reset()
    rng = np.random.default_rng(0)
    sim.set_object_rewards(rng.dirichlet(np.full(4, 0.01), size=200))
    before = sim.obj_pos.copy()
    pref = sim.preferred_object
    sim.step(np.zeros((200, 1), dtype=np.int64))  # stay: nothing consumed, swap at step 1
    assert sim.swapped.all()
    rows = np.arange(200)
    moved = (sim.obj_pos != before).any(-1)  # [B, K]
    assert moved[rows, pref].all()
    assert (moved.sum(1) == 2).all()
    # the partner is spread over the three other objects
    partner = (moved & (np.arange(4)[None] != pref[:, None])).argmax(1)
    assert (partner != pref).all() and len(np.unique(partner)) == 4
    # the sim records the pair it swapped
    np.testing.assert_array_equal(sim.swap_pair, np.stack([pref, partner], -1))


def test_uniform_swaps_move_the_preferred_object_only_sometimes():
    sim = TomGridworld(num_envs=200, swap_prob=1.0, swap_steps=(1, 1), max_walls=0)
    sim.seed(3)
    sim.reset()
    before = sim.obj_pos.copy()
    sim.step(np.zeros((200, 1), dtype=np.int64))
    moved = (sim.obj_pos != before).any(-1)
    share = moved[np.arange(200), sim.preferred_object].mean()
    assert 0.3 < share < 0.7  # 3 of the 6 pairs contain a given object


def test_query_steps_bound_the_query_times():
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=2, query_steps=(2, 4), seed=0)
    b = ds.batch(64)
    assert b.query_time.min() >= 2 and b.query_time.max() <= 4
    assert len(np.unique(b.query_time)) == 3
    assert (b.current_mask.sum(1) == b.query_time).all()
    with pytest.raises(ValueError, match="query_steps"):
        TomDataset(GoalDirectedSpecies(), query_steps=(3, 1))


def test_false_belief_divergence_reports_every_kept_sample():
    ds = TomDataset(
        GoalDirectedSpecies(),
        env_kwargs=dict(observability="sighted"),
        n_past_max=2,
        past_mode="snapshot",
        episode_steps=6,
        query_steps=(1, 3),
        seed=0,
    )
    torch.manual_seed(0)
    net = model_for(ds, channels=4, char_lstm_size=4)
    train_tomnet(net, ds, ToMTrainConfig(steps=2, batch_size=4, chunk=8))
    fb = false_belief_divergence(net, ds, size=24)
    n = len(fb["distance"])
    assert n > 0 and fb["js_action"].shape == (n,) and fb["js_sr"].shape == (n,)
    assert (fb["js_action"] >= 0).all() and (fb["js_action"] <= np.log(2) + 1e-6).all()
    assert (fb["distance"] >= 1).all()  # objects never share the agent's cell
    nearer = np.minimum(fb["preferred_distance"], fb["other_distance"])
    np.testing.assert_array_equal(fb["distance"], nearer)
    assert (fb["preferred_distance"] != fb["other_distance"]).any()


def test_oracle_character_diagnostic_reads_the_true_preference(load_benchmark):
    from agents.tomnet import batch_to_tensors

    mod = load_benchmark("tom_reproduce")
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=1, seed=0)
    b = ds.batch(6)
    torch.manual_seed(0)
    net = mod.OracleCharacterToMNet(model_for(ds, channels=4, char_dim=4)).eval()
    t = batch_to_tensors(b)
    with torch.no_grad():
        out = net(t)
        no_past = net({**t, "past_mask": torch.zeros_like(t["past_mask"])})
        other = net({**t, "labels": (t["labels"] + 1) % 4})
    torch.testing.assert_close(out.e_char, torch.eye(4)[t["labels"]])
    torch.testing.assert_close(out.action_logits, no_past.action_logits)
    assert not torch.allclose(out.consumption_logits, other.consumption_logits)


def test_swap_query_share_queries_swapped_episodes_at_the_swap_step():
    env = dict(swap_prob=1.0, swap_steps=(2, 3), swap_preferred=True, observability="full")
    common = dict(n_past_max=1, seed=4)
    base = TomDataset(GoalDirectedSpecies(0.01), env, **common).batch(256, index=1)
    every = TomDataset(GoalDirectedSpecies(0.01), env, swap_query_share=1.0, **common)
    b = every.batch(256, index=1)
    # the same episodes: only the query times move
    np.testing.assert_array_equal(b.target_consumption, base.target_consumption)
    np.testing.assert_array_equal(b.labels, base.labels)
    np.testing.assert_array_equal(b.past_states, base.past_states)
    # every episode whose swap showed is queried at its swap step (2 or 3): the query
    # state shows the swap, the prefix does not
    shown = b.current_swapped
    assert shown.mean() > 0.8
    assert set(np.unique(b.query_time[shown])) <= {2, 3}
    assert (b.query_time[shown] != base.query_time[shown]).any()
    # the default (0) leaves the draws as they were: same data with and without the option
    zero = TomDataset(GoalDirectedSpecies(0.01), env, swap_query_share=0.0, **common)
    np.testing.assert_array_equal(zero.batch(256, index=1).query_time, base.query_time)
    with pytest.raises(ValueError, match="swap_query_share"):
        TomDataset(GoalDirectedSpecies(0.01), env, swap_query_share=1.5)


def test_past_swaps_off_keeps_swaps_to_the_current_episode():
    env = dict(swap_prob=1.0, swap_steps=(1, 2), swap_preferred=True, observability="sighted")
    common = dict(n_past_max=3, query_steps=(4, 6), seed=5)
    only_current = TomDataset(GoalDirectedSpecies(0.01), env, past_swaps=False, **common)
    no_swaps = TomDataset(GoalDirectedSpecies(0.01), {**env, "swap_prob": 0.0}, **common)
    everywhere = TomDataset(GoalDirectedSpecies(0.01), env, **common)
    a, b, c = (d.batch(12, index=2, n_past=3) for d in (only_current, no_swaps, everywhere))
    # the pasts are the swap-free episodes (same draws), the current episode has its swap
    np.testing.assert_array_equal(a.past_states, b.past_states)
    np.testing.assert_array_equal(a.past_actions, b.past_actions)
    assert not np.array_equal(a.past_states, c.past_states)
    assert a.current_swapped.all() and not b.current_swapped.any()


def test_agents_own_divergence_pairs_episodes_that_differ_only_by_the_swap(load_benchmark):
    mod = load_benchmark("tom_reproduce")
    full = mod.agents_own_divergence("full", 256, seed=3)
    sighted = mod.agents_own_divergence("sighted", 256, seed=3)
    # same layouts and swaps for both observabilities (the same seed)
    np.testing.assert_array_equal(full["distance"], sighted["distance"])
    assert len(full["distance"]) > 200
    # a fully observing agent re-plans after (almost) every swap of its preferred object
    assert (full["js_sr"] > 1e-9).mean() > 0.9
    kinds = mod.by_swap_kind(sighted)
    # a sighted agent re-plans when its preferred object comes into view ...
    enters = (sighted["preferred_distance"] > 2) & (sighted["other_distance"] <= 2)
    assert enters.sum() > 5 and (sighted["js_sr"][enters] > 1e-9).mean() > 0.9
    # ... or leaves it (it infers where the object went: swap_inference) ...
    leaves = (sighted["preferred_distance"] <= 2) & (sighted["other_distance"] > 2)
    assert leaves.sum() > 5 and (sighted["js_sr"][leaves] > 1e-9).mean() > 0.9
    # ... and, far away, keeps heading where it was going (a false belief): its next
    # action is the one it took without the swap, while a fully observing agent turns
    far = sighted["distance"] > 2
    assert sighted["same_next_action"][far].all()
    assert full["same_next_action"][far].mean() < 0.9
    assert kinds["inside"]["js_sr"] > kinds["outside"]["js_sr"]
    assert kinds["inside"]["n"] + kinds["outside"]["n"] == len(sighted["distance"])
