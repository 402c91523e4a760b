"""schelling_v0 rules: rule mode (Mesa semantics, variants), learning mode (Sert et al.)."""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs
from socialenvs import metrics
from socialenvs.core.events import EventKind
from socialenvs.schelling import Schelling, ThresholdPolicy, run
from socialenvs.schelling.schelling import (
    DOWN,
    FOLLOW_RULE,
    RELOCATE,
    RIGHT,
    STAY,
    STILL,
    UP,
)


def check_invariants(sim: Schelling) -> None:
    """Grid, positions and the empty-cell set describe the same world."""
    HW = sim.num_cells
    for b in range(sim.num_envs):
        alive = sim.alive[b]
        cells = sim.pos[b, alive]
        assert len(np.unique(cells)) == len(cells)
        np.testing.assert_array_equal(sim.cell_agent[b, cells], np.flatnonzero(alive))
        np.testing.assert_array_equal(sim.cell_type[b, cells], np.where(sim.kind[b, alive], 1, -1))
        empty = np.flatnonzero(sim.cell_type[b, :HW] == 0)
        assert len(empty) == HW - alive.sum()
        assert sorted(sim.empties[b, : len(empty)]) == list(empty)
        assert sim.cell_type[b, HW] == 0  # the off-grid dummy is never written
        if sim.learning:
            assert sim.n_empty[b] == len(empty)
            np.testing.assert_array_equal(
                sim.slot[b, sim.empties[b, : len(empty)]], np.arange(len(empty))
            )


# ---------------------------------------------------------------------------- rule mode
def test_rule_defaults_are_mesa_33():
    sim = Schelling()
    cfg = sim.config
    assert (cfg.height, cfg.width, cfg.torus, cfg.density, cfg.minority_pc) == (
        20,
        20,
        False,
        0.8,
        0.5,
    )
    assert (cfg.homophily, cfg.threshold, cfg.radius, cfg.schedule) == (
        0.4,
        "fraction",
        1,
        "two_phase",
    )
    assert sim.num_agents == 320


@pytest.mark.parametrize(
    "cfg", [{}, {"schedule": "async", "torus": True, "threshold": "count", "homophily": 3}]
)
def test_rule_runs_to_all_happy_and_keeps_invariants(cfg):
    sim = Schelling(num_envs=4, height=12, width=12, **cfg)
    sim.seed(3)
    sim.reset()
    actions = np.full((4, sim.num_agents), FOLLOW_RULE)
    finished = np.zeros(4, dtype=bool)
    for _ in range(200):
        _, term, _ = sim.step(actions)
        check_invariants(sim)
        finished |= term[:, 0]
        if finished.all():
            break
    assert finished.all()
    # Terminated copies are exactly those where every agent is happy, by the metric too.
    grid = sim.type_grid()
    unhappy = metrics.fraction_unhappy(
        grid, sim.config.homophily, 1, sim.config.torus, sim.config.threshold
    )
    np.testing.assert_array_equal(unhappy, 0.0)


def test_env_happiness_matches_metric():
    sim = Schelling(num_envs=3, torus=True)
    sim.seed(0)
    sim.reset()
    same, occupied = sim.neighbour_counts()
    m_same, m_occ = metrics.neighbour_counts(sim.type_grid(), 1, True)
    for b in range(3):
        r, c = np.divmod(sim.pos[b], sim.width)
        np.testing.assert_array_equal(same[b], m_same[b, r, c])
        np.testing.assert_array_equal(occupied[b], m_occ[b, r, c])


def test_stay_action_freezes_and_rule_only_moves_the_unhappy():
    sim = Schelling(num_envs=2)
    sim.seed(1)
    sim.reset()
    before = sim.pos.copy()
    sim.step(np.full((2, sim.num_agents), STAY))
    np.testing.assert_array_equal(sim.pos, before)
    unhappy = ~sim.happy.copy()
    sim.step(np.full((2, sim.num_agents), FOLLOW_RULE))
    moved = sim.pos != before
    np.testing.assert_array_equal(moved, unhappy)
    assert (sim.last_events["kind"] == EventKind.MOVE).sum() == unhappy.sum()


def test_two_phase_moves_are_sequential():
    """Later movers may take cells freed earlier in the same step (Mesa's shuffle_do).

    1x4 grid, 2 agents, 2 empty cells, both relocate: the first mover takes an initial
    empty cell; the second picks uniformly between the other initial empty cell and the
    first mover's old cell. So with probability 1/2 the final empty cells are exactly
    the initially occupied ones; a simultaneous update would make that certain.
    """
    B = 4000
    sim = Schelling(num_envs=B, height=1, width=4, density=0.5)
    sim.seed(0)
    sim.reset()
    occupied_before = np.sort(sim.pos, axis=1)
    sim.step(np.full((B, 2), RELOCATE))
    check_invariants(sim)
    empties_after = np.sort(sim.empties[:, :2], axis=1)
    swapped = (empties_after == occupied_before).all(axis=1)
    assert abs(swapped.mean() - 0.5) < 0.04


def test_relocation_is_uniform_over_empty_cells():
    B = 3000
    sim = Schelling(num_envs=B, height=3, width=3, density=0.2)  # 2 agents, 7 empty cells
    sim.seed(5)
    sim.reset()
    cells = np.array([0, 8])
    for b in range(B):
        sim.set_layout(b, cells, kinds=[0, 1])
    acts = np.tile([RELOCATE, STAY], (B, 1))
    sim.step(acts)
    counts = np.bincount(sim.pos[:, 0], minlength=9)
    assert counts[0] == 0 and counts[8] == 0
    assert np.all(np.abs(counts[1:8] / B - 1 / 7) < 0.025)


def test_threshold_policy_equals_follow_rule_in_two_phase():
    a = socialenvs.make_vec("schelling_v0", num_envs=3, height=10, width=10)
    b = socialenvs.make_vec("schelling_v0", num_envs=3, height=10, width=10)
    obs_a, _ = a.reset(seed=4)
    b.reset(seed=4)
    policy = ThresholdPolicy(a.config)
    for _ in range(15):
        acts = policy(obs_a)
        assert set(np.unique(acts)) <= {STAY, RELOCATE}
        obs_a, ra, *_ = a.step(acts)
        obs_b, rb, *_ = b.step(np.full((3, a.num_agents), FOLLOW_RULE))
        np.testing.assert_array_equal(obs_a, obs_b)
        np.testing.assert_array_equal(ra, rb)


def test_move_probability_zero_never_moves():
    sim = Schelling(num_envs=2, move_probability=0.0)
    sim.seed(0)
    sim.reset()
    before = sim.pos.copy()
    sim.step(np.full((2, sim.num_agents), FOLLOW_RULE))
    np.testing.assert_array_equal(sim.pos, before)


def test_run_and_cli(capsys):
    result = run(num_envs=6, seed=0, height=12, width=12)
    assert result.converged.all()
    assert (result.same_fraction_end > result.same_fraction_start + 0.1).all()
    assert result.same_fraction_history.shape[1] == 6
    from socialenvs.schelling.run import main

    assert main(["--seeds", "3", "--height", "10", "--width", "10", "--json"]) == 0
    assert '"converged": 3' in capsys.readouterr().out
    with pytest.raises(ValueError, match="mode"):
        run(mode="learning")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"mode": "abm"}, "mode"),
        ({"density": 1.0}, "density"),
        ({"homophily": 1.5}, "homophily"),
        ({"threshold": "count", "homophily": 2.5}, "homophily"),
        ({"schedule": "parallel"}, "schedule"),
        ({"torus": True, "height": 2, "width": 2}, "torus"),
        ({"mode": "learning", "kind_density": 0.6}, "kind_density"),
        ({"segregation_reward": "log"}, "segregation_reward"),
    ],
)
def test_bad_config_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Schelling(**kwargs)


# ---------------------------------------------------------------------------- learning mode
def learning_sim(**kw) -> Schelling:
    cfg = dict(
        mode="learning",
        height=5,
        width=5,
        kind_density=0.04,
        torus=False,
        view_radius=1,
        stop_after_unchanged=0,
    )  # one agent per kind unless kind_density is overridden
    cfg.update(kw)
    sim = Schelling(num_envs=1, **cfg)
    sim.seed(0)
    sim.reset()
    return sim


def cell(r, c, width=5):
    return r * width + c


def test_learning_defaults_are_sert_2020():
    sim = Schelling(mode="learning")
    cfg = sim.config
    assert (cfg.height, cfg.width, cfg.torus, cfg.view_radius) == (50, 50, True, 5)
    assert sim.num_agents == 250 and (sim.kind[0] == np.repeat([0, 1], 125)).all()
    assert sim.observation_space.shape == (11 * 11 + 2,)
    assert sim.action_space.n == 5


def test_eating_the_other_kind():
    sim = learning_sim(
        kind_density=0.08, interdependence_reward=75.0, gamma=1.0, respawn_prob=0.0
    )  # 2 A, 2 B
    # agent 0 (A) at (2,2) eats agent 2 (B) at (2,3); the others far away stay still.
    sim.set_layout(0, [cell(2, 2), cell(0, 0), cell(2, 3), cell(4, 0)])
    lifetime = sim.time_remaining[0, 0]
    rewards, term, trunc = sim.step(np.array([[RIGHT, STILL, STILL, STILL]]))
    assert sim.pos[0, 0] == cell(2, 3) and not sim.alive[0, 2] and sim.died[0, 2]
    # Window before: centre own, (2,3) other. After (radius 1, no torus) around (2,3): only self.
    # delta: the other-kind cell left the window (+1) -> SR = 1.
    assert rewards[0, 0] == pytest.approx(0.1 + 1.0 + 75.0)
    # The victim pays the death penalty, plus the stillness penalty if its turn came first.
    assert rewards[0, 2] == pytest.approx(-1.0 - 1.0 * sim.acted[0, 2])
    assert rewards[0, 1] == pytest.approx(-1.0)  # stillness
    assert sim.time_remaining[0, 0] == lifetime - 1 + 2  # one decision, +1+gamma for eating
    kinds = {int(k) for k in sim.last_events["kind"]}
    assert {EventKind.EAT, EventKind.DEATH} <= kinds
    obs = sim.observe()[0]
    assert obs[2, -1] == 0.0 and not obs[2].any()  # dead: zeros, alive flag 0
    assert sim.inactive()[0, 2]
    assert not term.any() and not trunc.any()


def test_segregation_reward_delta_and_absolute():
    # A (agent 0) at (2,2) with B (agent 2) above at (1,2); A moves down to (3,2), where
    # A2 (agent 1) at (4,2) and B2 (agent 3) at (4,1) enter its 3x3 window.
    layout = [cell(2, 2), cell(4, 2), cell(1, 2), cell(4, 1)]
    acts = np.array([[DOWN, STILL, STILL, STILL]])
    sim = learning_sim(kind_density=0.08, alpha=0.5)
    sim.set_layout(0, layout)
    rewards, _, _ = sim.step(acts)
    # delta: +1 (B left) +1 (A2 entered) - alpha * 1 (B2 entered) = 1.5
    assert rewards[0, 0] == pytest.approx(0.1 + 1.5)
    sim = learning_sim(kind_density=0.08, alpha=0.5, segregation_reward="absolute")
    sim.set_layout(0, layout)
    rewards, _, _ = sim.step(acts)
    # absolute: s - alpha d after the move: 1 same (A2), 1 other (B2) -> 0.5
    assert rewards[0, 0] == pytest.approx(0.1 + 0.5)


def test_blocked_moves_and_edges():
    sim = learning_sim(kind_density=0.08)
    sim.set_layout(0, [cell(0, 0), cell(1, 0), cell(4, 4), cell(3, 3)])
    rewards, _, _ = sim.step(np.array([[DOWN, UP, STILL, RIGHT]]))
    # agent 0 blocked by its own kind, agent 1 blocked by it in turn, agent 2 still,
    # agent 3 moves right into the free cell (3, 4).
    assert sim.pos[0, 0] == cell(0, 0) and sim.pos[0, 1] == cell(1, 0)
    np.testing.assert_allclose(rewards[0, :3], [-1.0, -1.0, -1.0])
    assert sim.pos[0, 3] == cell(3, 4)
    rewards, _, _ = sim.step(np.array([[UP, STILL, STILL, STILL]]))  # off the grid
    assert sim.pos[0, 0] == cell(0, 0) and rewards[0, 0] == pytest.approx(-1.0)


def test_old_age_death_and_respawn():
    sim = learning_sim(kind_density=0.08, max_age=3, respawn_prob=1.0)
    sim.set_layout(0, [cell(0, 0), cell(0, 4), cell(4, 0), cell(4, 4)])
    acts = np.full((1, 4), STILL)
    for _ in range(2):
        rewards, *_ = sim.step(acts)
        assert sim.alive.all()
    rewards, *_ = sim.step(acts)  # third decision: lifetime reaches 0
    assert not sim.alive.any() and sim.died.all()
    np.testing.assert_allclose(rewards, -1.0)
    assert (sim.last_events["context"][sim.last_events["kind"] == EventKind.DEATH] == 0).all()
    rewards, *_ = sim.step(acts)  # respawn with probability 1; no action this step
    assert sim.alive.all() and not sim.acted.any()
    np.testing.assert_allclose(rewards, 0.0)
    assert (sim.age == 0).all() and (sim.time_remaining == 3).all()
    check_invariants(sim)


def test_dead_agents_ignore_actions():
    sim = learning_sim(kind_density=0.08, respawn_prob=0.0)
    sim.set_layout(0, [cell(2, 2), -1, cell(0, 0), cell(4, 4)])
    for action in range(5):
        rewards, *_ = sim.step(np.array([[STILL, action, STILL, STILL]]))
        assert rewards[0, 1] == 0.0 and not sim.alive[0, 1]
    check_invariants(sim)


def test_learning_random_play_keeps_invariants_and_population():
    sim = Schelling(
        num_envs=3,
        mode="learning",
        height=12,
        width=12,
        kind_density=0.1,
        view_radius=2,
        max_age=10,
        interdependence_reward=5.0,
    )
    sim.seed(2)
    sim.reset()
    rng = np.random.default_rng(0)
    deaths = 0
    for _ in range(60):
        sim.step(rng.integers(0, 5, size=(3, sim.num_agents)))
        check_invariants(sim)
        deaths += sim.died.sum()
        obs = sim.observe()
        assert sim.observation_space.contains(obs[0, 0])
        np.testing.assert_array_equal(obs[..., -1], sim.alive)
    assert deaths > 0
    ages = sim.age_grid()
    assert (ages[sim.type_grid() == 0] == -1).all()


def test_threshold_policy_in_learning_mode():
    sim = Schelling(
        num_envs=2,
        mode="learning",
        height=12,
        width=12,
        kind_density=0.1,
        view_radius=2,
        homophily=0.5,
    )
    sim.seed(0)
    sim.reset()
    policy = ThresholdPolicy(sim.config, seed=1)
    obs = sim.observe()
    acts = policy(obs)
    unhappy = policy.unhappy(obs)
    assert (acts[~unhappy] == STILL).all() and (acts[unhappy] < STILL).all()
    sim.step(acts)
    check_invariants(sim)
