"""Rule tests for cleanup_v0: map, waste-density thresholds, waste spawn, cleaning, presets."""

import numpy as np
import pytest

import socialenvs
from socialenvs.core.events import EventKind
from socialenvs.core.grid import EAST, NORTH, WEST
from socialenvs.dilemmas.cleanup import CLEANUP_MAP, Cleanup
from socialenvs.dilemmas.ssd_grid import APPLE, RIVER, WASTE

STAY = 4


def test_default_map_has_ssd_structure_and_counts():
    text = "".join(CLEANUP_MAP)
    assert (len(CLEANUP_MAP), len(CLEANUP_MAP[0])) == (25, 18)
    counts = {ch: text.count(ch) for ch in "BHRSP@"}
    assert counts == {"B": 103, "H": 56, "R": 63, "S": 12, "P": 10, "@": 82}
    sim = Cleanup(num_envs=2)
    sim.seed(0)
    sim.reset()
    assert len(sim.river_cells) == 119
    np.testing.assert_allclose(sim.waste_density(), 56 / 119)
    assert sim.action_space.n == 9 and sim.actions.names[7:] == ("fire", "clean")
    assert (sim.apples() == 0).all()  # the orchard starts empty


def still(sim):
    return np.full((sim.num_envs, sim.num_agents), STAY)


def set_waste(sim, count):
    """Exactly ``count`` waste cells (the first ones in map order) in every copy."""
    r, c = sim.river_cells[:, 0], sim.river_cells[:, 1]
    sim.cells[:, r, c] = RIVER
    sim.cells[:, r[:count], c[:count]] = WASTE


def test_no_apples_and_no_new_waste_while_density_at_depletion():
    sim = Cleanup(num_envs=16)
    sim.seed(0)
    sim.reset()
    for _ in range(200):
        sim.step(still(sim))
    assert (sim.apples() == 0).all()
    np.testing.assert_allclose(sim.waste_density(), 56 / 119)


def test_apple_spawn_probability_at_intermediate_density():
    B = 2000
    sim = Cleanup(num_envs=B, waste_spawn_prob=0.0)
    sim.seed(1)
    sim.reset()
    set_waste(sim, 24)  # d = 24 / 119 = 0.2017
    d = 24 / 119
    p = 0.05 * (1 - d / 0.4)
    np.testing.assert_allclose(sim.apple_spawn_prob(np.array([d])), [p])
    sim.step(still(sim))
    grown = sim.apples().sum()
    n = B * 103
    assert abs(grown / n - p) < 5 * np.sqrt(p * (1 - p) / n), (grown / n, p)
    # Rule endpoints: full rate at restoration, zero at and above depletion.
    np.testing.assert_allclose(
        sim.apple_spawn_prob(np.array([0.0, 0.4, 0.5, 0.1])), [0.05, 0.0, 0.0, 0.0375]
    )


def test_at_most_one_new_waste_cell_per_step():
    B = 3000
    sim = Cleanup(num_envs=B, waste_spawn_prob=0.01, apple_respawn_prob=0.0)
    sim.seed(2)
    sim.reset()
    set_waste(sim, 0)
    sim.step(still(sim))
    new = (sim.waste_density() * 119).round().astype(int)
    assert new.max() == 1
    # P(at least one success among ~119 clean river cells) = 1 - 0.99^k, k = free cells.
    p = 1 - 0.99**119
    assert abs(new.mean() - p) < 5 * np.sqrt(p * (1 - p) / B)
    # With a high draw probability every copy gets exactly one, never more.
    sim = Cleanup(num_envs=64, waste_spawn_prob=0.5)
    sim.seed(3)
    sim.reset()
    set_waste(sim, 0)
    for t in range(1, 21):
        sim.step(still(sim))
        np.testing.assert_array_equal((sim.waste_density() * 119).round(), t)
    # The spawned waste is spread over the river (uniform choice among successes).
    assert len(np.unique(np.argwhere(sim.cells == WASTE)[:, 1:], axis=0)) > 60


def test_waste_stops_at_depletion_threshold():
    sim = Cleanup(num_envs=8, waste_spawn_prob=1.0)
    sim.seed(0)
    sim.reset()
    set_waste(sim, 40)  # 40 / 119 = 0.336
    for _ in range(20):
        sim.step(still(sim))
    # Grows one cell a step until d >= 0.4: ceil(0.4 * 119) = 48 cells, then stops.
    np.testing.assert_allclose(sim.waste_density(), 48 / 119)


def test_cleaning_beam_turns_first_waste_into_river():
    sim = Cleanup(num_envs=1, waste_spawn_prob=0.0, apple_respawn_prob=0.0)
    sim.seed(0)
    sim.reset()
    CLEAN = sim.actions.index("clean")
    # Row 4 is waste in columns 1..5; stand at (4, 8) facing west.
    assert (sim.cells[0, 4, 1:6] == WASTE).all()
    sim.pos[0] = [[4, 8], [12, 9], [14, 9], [17, 9], [20, 9]]
    sim.ori[0, 0] = WEST
    before = int((sim.cells == WASTE).sum())
    rewards, _, _ = sim.step(np.array([[CLEAN, STAY, STAY, STAY, STAY]]))
    assert (rewards == 0).all()  # cleaning is free
    # Centre ray: (4, 7), (4, 6), then the first waste (4, 5) is cleaned; (4, 4) is not.
    assert sim.cells[0, 4, 5] == RIVER and sim.cells[0, 4, 4] == WASTE
    # Side rays along rows 3 and 5 (forward 0..4: columns 8..4): row 3 is clean river,
    # row 5 (river, no waste) -- so only one cell is cleaned.
    ev = sim.last_events[sim.last_events["kind"] == EventKind.CLEAN]
    assert [(e["actor"], e["row"], e["col"]) for e in ev] == [(0, 4, 5)]
    assert int((sim.cells == WASTE).sum()) == before - 1
    # Again: the next waste cell along the ray.
    sim.step(np.array([[CLEAN, STAY, STAY, STAY, STAY]]))
    assert sim.cells[0, 4, 4] == RIVER


def test_fire_penalty_in_cleanup():
    sim = Cleanup(num_envs=1)
    sim.seed(0)
    sim.reset()
    FIRE = sim.actions.index("fire")
    sim.pos[0] = [[11, 7], [11, 9], [3, 8], [17, 7], [20, 9]]
    sim.ori[0] = [EAST, NORTH, NORTH, NORTH, NORTH]
    rewards, _, _ = sim.step(np.array([[FIRE, STAY, STAY, STAY, STAY]]))
    np.testing.assert_array_equal(rewards[0], [-1, -50, 0, 0, 0])


def test_meltingpot_waste_waits_fifty_steps_and_long_removal():
    sim = Cleanup(num_envs=4, rules="meltingpot")
    cfg = sim.config
    assert (cfg.num_agents, cfg.zap_cooldown, cfg.removal_duration) == (7, 10, 50)
    assert (cfg.clean_beam_length, cfg.clean_cooldown, cfg.waste_spawn_delay) == (3, 2, 50)
    sim.seed(0)
    sim.reset()
    set_waste(sim, 0)
    for _ in range(50):
        sim.step(still(sim))
    assert (sim.waste_density() == 0).all()
    sim.step(still(sim))
    assert (sim.waste_density() > 0).all()


def test_episode_statistics_count_cleaning():
    env = socialenvs.make_vec("cleanup_v0", num_envs=4, max_cycles=60)
    env.reset(seed=0)
    clean = env.sim.actions.index("clean")
    rng = np.random.default_rng(0)
    episode = None
    for _ in range(60):
        acts = np.where(rng.random((4, 5)) < 0.5, clean, rng.integers(0, 9, (4, 5)))
        _, _, _, _, info = env.step(acts)
        episode = info.get("episode", episode)
    assert episode is not None
    assert (episode["waste_cleaned"] > 0).any()
    assert {"apples_eaten", "zaps", "waste_cleaned"} <= set(episode)


# --------------------------------------------------------------------------- presets
def test_lase_small_preset():
    sim = Cleanup(preset="lase_small")
    cfg = sim.config
    assert sim.num_agents == 4 and cfg.max_cycles == 100
    assert sim.map.shape == (8, 8)
    assert sim.action_space.n == 7
    assert sim.observation_space.shape == (5, 5, 8)
    assert cfg.waste_spawn_prob == 0.1 and cfg.hit_penalty == 0 and cfg.fire_cost == 0
    sim.seed(0)
    sim.reset()
    assert int((sim.cells == WASTE).sum()) == 8
    # Absolute moves turn the avatar; the window does not rotate.
    sim.pos[0] = [[3, 3], [4, 1], [4, 6], [3, 6]]
    sim.step(np.array([[sim.actions.index("move_east"), STAY, STAY, STAY]]))
    assert tuple(sim.pos[0, 0]) == (3, 4) and sim.ori[0, 0] == EAST
    # No punishment: firing at a neighbour costs nothing.
    sim.pos[0] = [[4, 2], [4, 3], [0, 0], [7, 7]]
    sim.ori[0, 0] = EAST
    rewards, _, _ = sim.step(np.array([[sim.actions.index("fire"), STAY, STAY, STAY]]))
    assert (rewards == 0).all()


@pytest.mark.parametrize(
    "preset, agents, view, p_apple",
    [
        ("cleanup_small_sym", 2, 9, 0.5),
        ("cleanup_10x10_sym", 3, 15, 0.3),
    ],
)
def test_lio_presets(preset, agents, view, p_apple):
    sim = Cleanup(preset=preset)
    cfg = sim.config
    assert sim.num_agents == agents and cfg.max_cycles == 50
    assert sim.observation_space.shape == (view, view, 3)
    assert cfg.apple_respawn_prob == p_apple and cfg.clean_beam_width == 3
    assert not cfg.rotate_view and "turn_cw" not in sim.actions.names
    assert "fire" not in sim.actions.names and "clean" in sim.actions.names
    sim.seed(0)
    sim.reset()
    assert (sim.ori == NORTH).all()
    # Map and orientation are symmetric under a left-right mirror.
    np.testing.assert_array_equal(sim.map.cells, sim.map.cells[:, ::-1])
    # A single clean shot from below the river cleans waste (everyone faces north).
    for _ in range(3):
        sim.step(np.full((1, agents), sim.actions.index("move_north")))
    sim.step(np.full((1, agents), sim.actions.index("clean")))
    assert (sim.ori == NORTH).all()
    assert (sim.last_events["kind"] == EventKind.CLEAN).any()


def test_bad_cleanup_arguments():
    with pytest.raises(ValueError, match="restoration_threshold"):
        Cleanup(restoration_threshold=0.5, depletion_threshold=0.4)
    with pytest.raises(ValueError, match="waste_spawn_prob"):
        Cleanup(waste_spawn_prob=1.5)
    with pytest.raises(ValueError, match="preset"):
        Cleanup(preset="cleanup_huge")
    with pytest.raises(ValueError, match="clean_beam_width"):
        Cleanup(clean_beam_width=4)


def test_apple_growth_once_cleaned():
    sim = Cleanup(num_envs=32, waste_spawn_prob=0.0)
    sim.seed(0)
    sim.reset()
    set_waste(sim, 0)
    for _ in range(30):
        sim.step(still(sim))
    # p = 0.05 per free orchard cell per step: about 103 * (1 - 0.95^30) = 81 apples.
    assert 60 < sim.apples().mean() < 95
    assert (sim.cells[:, sim.orchard_cells[:, 0], sim.orchard_cells[:, 1]] == APPLE).any()


def test_one_copy_step_matches_copy_zero_of_a_batch():
    """The one-copy (ParallelEnv) shortcuts -- growth, spawning, beams, eating -- change
    the state exactly as the batched path does, below and above the depletion threshold."""
    one, batch = Cleanup(num_envs=1), Cleanup(num_envs=3)
    one.seed(4)
    batch.seed(4)
    one.reset()
    batch.reset()
    set_waste(one, 0)  # clean river: apples grow and waste spawns
    set_waste(batch, 0)
    rng = np.random.default_rng(1)
    grew = spawned = depleted = 0
    for t in range(400):
        actions = rng.choice(9, size=(3, one.num_agents), p=[0.1] * 7 + [0.05, 0.25])
        r1, _, _ = one.step(actions[:1])
        r3, _, _ = batch.step(actions)
        np.testing.assert_array_equal(r1[0], r3[0], err_msg=f"t={t}")
        np.testing.assert_array_equal(one.cells[0], batch.cells[0], err_msg=f"t={t}")
        np.testing.assert_array_equal(one.pos[0], batch.pos[0])
        np.testing.assert_array_equal(one.observe()[0], batch.observe()[0])
        ev1, ev3 = one.last_events, batch.last_events
        np.testing.assert_array_equal(ev1, ev3[ev3["env"] == 0])
        spawned += int((ev1["kind"] == EventKind.SPAWN).sum())
        grew += int(one.apples()[0] > 0)
        depleted += int(one.waste_density()[0] >= one.config.depletion_threshold)
    assert spawned > 10 and grew > 10 and depleted > 10  # every regime was exercised
