"""Rules of tom_gridworld_v0, its numpy species, the Bayes-optimal observer and the dataset."""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs
from socialenvs.core.events import EventKind
from socialenvs.tom.dataset import TomDataset, run_episodes, successor_representation
from socialenvs.tom.gridworld import DOWN, LEFT, RIGHT, STAY, UP, TomGridworld
from socialenvs.tom.species import (
    GoalDirectedSpecies,
    RandomSpecies,
    bayes_expected_true_action_prob,
    bayes_posterior_predictive,
    value_iteration,
)


def _open_world(num_envs=1, **kw) -> TomGridworld:
    sim = TomGridworld(num_envs=num_envs, max_walls=0, **kw)
    sim.seed(0)
    sim.reset()
    return sim


def _place(sim, agent, objects, b=0):
    sim.pos[b] = agent
    sim.obj_pos[b] = np.asarray(objects)
    sim.belief_pos[b] = np.asarray(objects)


def test_layout_borders_walls_and_distinct_cells():
    sim = TomGridworld(num_envs=64, max_walls=6)
    sim.seed(1)
    sim.reset()
    assert sim.walls[:, 0].all() and sim.walls[:, -1].all()
    assert sim.walls[:, :, 0].all() and sim.walls[:, :, -1].all()
    interior = sim.walls[:, 1:-1, 1:-1].sum((1, 2))
    assert interior.max() > 0 and interior.min() >= 0 and interior.max() <= 6 * 4
    cells = np.concatenate([sim.obj_pos, sim.pos[:, None]], 1)  # [B, 5, 2]
    flat = cells[..., 0] * 11 + cells[..., 1]
    assert all(len(set(row)) == 5 for row in flat)
    assert not sim.walls[np.arange(64)[:, None], cells[..., 0], cells[..., 1]].any()
    obs = sim.observe()
    assert obs.shape == (64, 1, 11, 11, 6) and obs.dtype == np.uint8
    assert (obs[:, 0, ..., 1:5].sum((1, 2)) == 1).all()  # one cell per object plane


def test_moves_costs_wall_bumps_and_consumption():
    sim = _open_world(move_cost=0.01, wall_cost=0.05)
    _place(sim, (1, 1), [(5, 5), (9, 9), (1, 9), (9, 1)])
    r, term, _ = sim.step(np.array([[UP]]))  # into the border wall
    assert tuple(sim.pos[0]) == (1, 1) and r[0, 0] == pytest.approx(-0.06)
    r, term, _ = sim.step(np.array([[STAY]]))
    assert r[0, 0] == pytest.approx(-0.01) and not term[0, 0]
    for a in (DOWN, DOWN, DOWN, RIGHT, RIGHT, RIGHT):
        sim.step(np.array([[a]]))
    assert tuple(sim.pos[0]) == (4, 4)
    sim.object_rewards[0] = [0.7, 0.1, 0.1, 0.1]
    sim.step(np.array([[DOWN]]))
    r, term, _ = sim.step(np.array([[RIGHT]]))
    assert term[0, 0] and sim.consumed[0] == 0 and r[0, 0] == pytest.approx(0.7 - 0.01)
    eats = sim.last_events[sim.last_events["kind"] == EventKind.EAT]
    assert len(eats) == 1 and eats["context"][0] == 0


def test_subgoal_must_come_first_and_timeout_penalty():
    sim = _open_world(subgoal=True, timeout_penalty=1.0, move_cost=0.0, max_cycles=5)
    _place(sim, (1, 1), [(1, 2), (9, 9), (1, 9), (9, 1)])
    sim.subgoal_pos[0] = (2, 1)
    sim.object_rewards[0] = [1, 0, 0, 0]
    r, term, _ = sim.step(np.array([[RIGHT]]))  # object before the subgoal: pays 0, ends
    assert term[0, 0] and r[0, 0] == 0.0
    sim.reset()
    _place(sim, (1, 1), [(2, 2), (9, 9), (1, 9), (9, 1)])
    sim.subgoal_pos[0] = (2, 1)
    sim.object_rewards[0] = [1, 0, 0, 0]
    r, _, _ = sim.step(np.array([[DOWN]]))
    assert r[0, 0] == 1.0 and sim.subgoal_done[0]
    r, term, _ = sim.step(np.array([[RIGHT]]))
    assert term[0, 0] and r[0, 0] == 1.0
    sim.reset()
    _place(sim, (5, 5), [(9, 9), (9, 8), (1, 9), (9, 1)])
    rewards = [sim.step(np.array([[STAY]]))[0][0, 0] for _ in range(5)]
    assert rewards[:4] == [0, 0, 0, 0] and rewards[4] == -1.0


def test_swap_event_and_sighted_false_belief():
    sim = _open_world(observability="sighted", window_size=5)
    _place(sim, (5, 5), [(5, 6), (1, 9), (9, 9), (9, 1)])
    # swap two objects outside the window: the belief keeps the old cells
    sim.swap_objects(np.array([0]), np.array([1]), np.array([2]))
    assert tuple(sim.obj_pos[0, 1]) == (9, 9) and tuple(sim.obj_pos[0, 2]) == (1, 9)
    assert tuple(sim.belief_pos[0, 1]) == (1, 9) and tuple(sim.belief_pos[0, 2]) == (9, 9)
    obs = sim.observe()[0, 0]
    assert obs[1, 9, 2] == 1 and obs[9, 9, 3] == 1  # the agent's (false) picture
    assert sim.observer_state()[0, 1, 9, 3] == 1  # the observer sees the truth
    # a swap involving a cell in view is seen: the object that arrives is believed
    # where it is, and the one that left where the arriving one was believed before
    sim.swap_objects(np.array([0]), np.array([0]), np.array([3]))
    assert tuple(sim.belief_pos[0, 0]) == (9, 1) == tuple(sim.obj_pos[0, 0])
    assert tuple(sim.belief_pos[0, 3]) == (5, 6)
    # the inference is built on the belief: object 1, falsely believed at (1, 9),
    # arrives in view, so object 3 is believed at (1, 9) (it went to (9, 9))
    sim.swap_objects(np.array([0]), np.array([3]), np.array([1]))
    assert tuple(sim.belief_pos[0, 1]) == (5, 6)
    assert tuple(sim.belief_pos[0, 3]) == (1, 9) and tuple(sim.obj_pos[0, 3]) == (9, 9)
    # without the inference the object that left is no longer believed anywhere
    forget = _open_world(observability="sighted", window_size=5, swap_inference=False)
    _place(forget, (5, 5), [(5, 6), (1, 9), (9, 9), (9, 1)])
    forget.swap_objects(np.array([0]), np.array([0]), np.array([3]))
    assert tuple(forget.belief_pos[0, 0]) == (-1, -1)
    assert tuple(forget.belief_pos[0, 3]) == (5, 6)
    # full observability always shows the truth
    full = _open_world()
    _place(full, (5, 5), [(5, 6), (1, 9), (9, 9), (9, 1)])
    full.swap_objects(np.array([0]), np.array([1]), np.array([2]))
    assert full.observe()[0, 0, 9, 9, 2] == 1


def test_scheduled_swap_emits_events():
    sim = TomGridworld(num_envs=8, swap_prob=1.0, swap_steps=(2, 2), max_walls=0)
    sim.seed(3)
    sim.reset()
    before = sim.obj_pos.copy()
    sim.step(np.zeros((8, 1), dtype=np.int64))
    assert np.array_equal(before, sim.obj_pos)
    sim.step(np.zeros((8, 1), dtype=np.int64))
    ev = sim.last_events[sim.last_events["kind"] == EventKind.SWAP]
    assert len(ev) == 16 and sim.swapped.all()
    moved = (before != sim.obj_pos).any(-1).sum(1)
    assert (moved == 2).all()


def test_blind_and_preference_planes():
    sim = _open_world(observability="blind", observe_preference=True)
    first = sim.observe()[0, 0]
    assert first[..., 1:5].sum() == 4 and first.shape[-1] == 10
    sim.step(np.array([[STAY]]))
    later = sim.observe()[0, 0]
    assert later[..., 1:5].sum() == 0 and later[..., 5].sum() == 1
    pref = sim.preferred_object[0]
    assert (later[..., 6 + pref] == 1).all() and later[..., 6:].sum() == 121


def test_config_errors_name_the_value():
    with pytest.raises(ValueError, match="observability"):
        TomGridworld(observability="xray")
    with pytest.raises(ValueError, match="window_size"):
        TomGridworld(window_size=4)
    with pytest.raises(ValueError, match="swap_prob"):
        TomGridworld(swap_prob=2.0)
    with pytest.raises(ValueError, match="max_walls"):
        TomGridworld(min_walls=3, max_walls=1)
    assert "tom_gridworld_v0" in socialenvs.list_envs()


# --------------------------------------------------------------------------- species
def test_value_iteration_shortest_path_to_preferred_object():
    sim = _open_world(num_envs=4, preferences="external")
    rng = np.random.default_rng(0)
    for b in range(4):
        _place(sim, (1, 1), [(9, 9), (1, 5), (5, 3), (9, 1)], b)
    rewards = np.eye(4)
    sim.set_object_rewards(rewards)
    species = GoalDirectedSpecies()
    agents = {"rewards": rewards}
    state = species.initial_state(4)
    steps = np.zeros(4, dtype=int)
    alive = np.ones(4, dtype=bool)
    for _ in range(20):
        a, state = species.act(sim, agents, state, rng)
        _, term, _ = sim.step(a[:, None])
        steps += alive
        alive &= ~term[:, 0]
    assert list(sim.consumed) == [0, 1, 2, 3]
    assert list(steps) == [16, 4, 6, 8]  # Manhattan distances: shortest paths


def test_value_iteration_routes_around_walls():
    walls = np.zeros((1, 5, 5), dtype=bool)
    walls[0, 0], walls[0, -1], walls[0, :, 0], walls[0, :, -1] = True, True, True, True
    walls[0, 1:3, 2] = True  # a wall between (1,1) and (1,3)
    Q = value_iteration(walls, np.array([[[1, 3]]]), np.array([[1.0]]), 10, 0.01, 0.05)
    V = Q[10].max(1)[0].reshape(5, 5)
    # from (1,1): down, right, right, up, up = 6 steps? (1,1)->(2,1)->(3,1)->(3,2)->(3,3)->(2,3)->(1,3)
    assert V[1, 1] == pytest.approx(1.0 - 0.06, abs=1e-6)
    assert Q[10][0, :, 1 * 5 + 1].argmax() == DOWN


def test_random_species_follows_its_policy():
    species = RandomSpecies(1.0)
    rng = np.random.default_rng(0)
    agents = species.sample_agents(rng, 3)
    sim = _open_world(num_envs=3)
    counts = np.zeros((3, 5))
    for _ in range(4000):
        a, _ = species.act(sim, agents, (), rng)
        counts[np.arange(3), a] += 1
    assert np.abs(counts / 4000 - agents["policy"]).max() < 0.03
    assert LEFT == 3


@pytest.mark.parametrize("alpha", [0.01, 0.1, 1.0, 3.0])
def test_bayes_closed_form_matches_monte_carlo(alpha):
    rng = np.random.default_rng(1)
    n_agents = 40_000
    pi = rng.dirichlet(np.full(5, alpha), size=n_agents)
    for n in (0, 1, 5):
        counts = np.stack([rng.multinomial(n, p) for p in pi[:5000]]) if n else np.zeros((5000, 5))
        pred = bayes_posterior_predictive(alpha, counts)
        mc = (pi[:5000] * pred).sum(1).mean()  # E over the next action
        assert mc == pytest.approx(float(bayes_expected_true_action_prob(alpha, n)), abs=0.012)


def test_bayes_targets_of_the_spec_table():
    got = bayes_expected_true_action_prob(0.01, np.array([0, 1, 5, 10]))
    np.testing.assert_allclose(got, [0.2, 0.9256, 0.9544, 0.9581], atol=1e-4)
    got = bayes_expected_true_action_prob(3.0, np.array([0, 1, 5, 10]))
    np.testing.assert_allclose(got, [0.2, 0.2031, 0.2125, 0.22], atol=1e-4)
    with pytest.raises(ValueError, match="alpha"):
        bayes_expected_true_action_prob(0.0, 1)


# --------------------------------------------------------------------------- dataset
def test_dataset_reproducible_by_seed_and_consistent():
    ds = TomDataset(GoalDirectedSpecies(), n_past_max=3, past_mode="trajectory", seed=5)
    a, b = ds.batch(6, index=2), ds.batch(6, index=2)
    for name in ("past_states", "past_actions", "query_state", "target_action", "target_sr"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    c = TomDataset(GoalDirectedSpecies(), n_past_max=3, seed=6).batch(6, index=2)
    assert not np.array_equal(a.past_states, c.past_states)
    assert a.past_states.shape == (6, 3, 31, 11, 11, 6)
    assert (a.past_mask.sum(1) == a.n_past).all()
    assert not a.past_states[~a.past_mask].any()  # missing episodes are blank
    np.testing.assert_allclose(a.target_sr.sum((2, 3)), 1.0, rtol=1e-5)
    assert (a.current_mask.sum(1) == a.query_time).all()
    # the consumed object is the preferred one in an episode with full observability
    ate = a.target_consumption.sum(1) > 0
    assert (a.target_consumption[ate].argmax(1) == a.labels[ate]).mean() >= 0.8
    fixed = ds.batch(4, index=0, n_past=2)
    assert (fixed.n_past == 2).all()
    with pytest.raises(ValueError, match="n_past"):
        ds.batch(4, n_past=7)


def test_snapshot_mode_and_random_species_pairs():
    ds = TomDataset(RandomSpecies(0.01), episode_steps=1, seed=0)
    batch = ds.batch(32)
    assert batch.past_states.shape[1:3] == (10, 1) and (batch.query_time == 0).all()
    assert batch.current_states.shape[1] == 1 and not batch.current_mask.any()
    # past actions are drawn from each agent's own policy
    seen = batch.past_step_mask[..., 0]
    pi = batch.agents["policy"]
    probs = pi[np.nonzero(seen)[0], batch.past_actions[..., 0][seen]]
    assert probs.mean() > 0.8
    snap = TomDataset(GoalDirectedSpecies(), n_past_max=2, past_mode="snapshot", seed=0)
    assert snap.batch(3).past_states.shape == (3, 2, 1, 11, 11, 6)


def test_successor_representation_by_hand():
    pos = np.array([[[1, 1], [1, 2], [1, 2], [2, 2]]])
    sr = successor_representation(pos, np.array([1]), np.array([3]), (3, 3), (0.5,))
    # times 1, 2, 3 with weights 1, 0.5, 0.25: cell (1,2) 1.5, cell (2,2) 0.25
    assert sr[0, 0, 1, 2] == pytest.approx(1.5 / 1.75)
    assert sr[0, 0, 2, 2] == pytest.approx(0.25 / 1.75)
    assert sr[0, 0, 1, 1] == 0


def test_run_episodes_stops_recording_after_consumption():
    sim = TomGridworld(num_envs=8, preferences="external")
    sim.seed(2)
    species = GoalDirectedSpecies()
    rng = np.random.default_rng(0)
    agents = species.sample_agents(rng, 8)
    ep = run_episodes(sim, species, agents, rng)
    assert (ep.consumed >= 0).all()
    last = ep.lengths
    # the final recorded position holds the consumed object's cell
    for b in range(8):
        assert ep.states[b, last[b], ..., 1 + ep.consumed[b]].sum() == 0
        assert not ep.valid[b, last[b] :].any()
