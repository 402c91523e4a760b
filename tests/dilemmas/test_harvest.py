"""Rule tests for harvest_v0: map, regrowth frequencies, beams, penalties, removal."""

import numpy as np
import pytest

import socialenvs
from socialenvs.core.events import EventKind
from socialenvs.core.grid import EAST, NORTH, SOUTH, WEST
from socialenvs.dilemmas import ssd_grid
from socialenvs.dilemmas.harvest import HARVEST_MAP, Harvest
from socialenvs.dilemmas.ssd_grid import APPLE, EMPTY

STAY = 4


def test_default_map_has_ssd_counts():
    text = "".join(HARVEST_MAP)
    assert (len(HARVEST_MAP), len(HARVEST_MAP[0])) == (16, 38)
    counts = {ch: text.count(ch) for ch in "A@P "}
    assert counts == {"A": 155, "@": 104, "P": 20, " ": 329}


def test_defaults_follow_the_spec():
    sim = Harvest()
    cfg = sim.config
    assert sim.num_agents == 5 and cfg.max_cycles == 1000
    assert sim.action_space.n == 8 and sim.actions.names[7] == "fire"
    assert sim.observation_space.shape == (15, 15, 3)
    assert (cfg.beam_length, cfg.beam_width, cfg.fire_cost, cfg.hit_penalty) == (5, 3, -1, -50)
    assert cfg.regrowth_probs == (0.0, 0.005, 0.02, 0.05)
    assert cfg.regrowth_neighbourhood == "moore"
    mp = Harvest(rules="meltingpot").config
    assert mp.regrowth_probs == (0.0, 0.0025, 0.005, 0.025)
    assert (mp.regrowth_neighbourhood, mp.beam_length, mp.zap_cooldown, mp.removal_duration) == (
        "disc",
        3,
        2,
        4,
    )
    assert (mp.fire_cost, mp.hit_penalty, mp.num_agents) == (0, 0, 7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rules="jaxmarl"), "rules"),
        (dict(obs_type="pixels"), "obs_type"),
        (dict(regrowth_probs=(0, 0.1, 2.0, 0.3)), "regrowth_probs"),
        (dict(regrowth_probs=(0, 0.1)), "regrowth_probs"),
        (dict(beam_width=2), "beam_width"),
        (dict(num_agents=21), "spawn points"),
        (dict(regrowth_neighbourhood="hex"), "regrowth_neighbourhood"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Harvest(**kwargs)


def test_all_apples_at_reset_and_spawn_orientations():
    sim = Harvest(num_envs=64)
    sim.seed(3)
    sim.reset()
    assert (sim.apples() == 155).all()
    assert set(np.unique(sim.ori)) == {0, 1, 2, 3}
    sp = {tuple(p) for p in sim.map.spawn_points}
    assert all(tuple(p) in sp for p in sim.pos.reshape(-1, 2))


# --------------------------------------------------------------------------- regrowth
# Motifs: a target apple cell (T) in the middle of a 5 x 5 block, with apples at chosen
# offsets; blocks are 5 apart so they do not see each other even with the radius-2 disc.
MOTIFS = {
    "k0": [],
    "k1": [(0, 1)],
    "k2": [(0, 1), (1, 1)],
    "k3": [(0, 1), (1, 1), (-1, -1)],
    "k5": [(0, 1), (1, 1), (-1, -1), (1, 0), (-1, 1)],
    "far": [(0, 2)],  # distance 2: outside the Moore neighbourhood, inside the disc
}


def motif_map(copies: int):
    names = [name for name in MOTIFS for _ in range(copies)]
    width = 5 * len(names) + 2
    rows = [[" "] * width for _ in range(7)]
    targets = []
    for i, name in enumerate(names):
        r, c = 3, 1 + 5 * i + 2
        rows[r][c] = "A"
        targets.append((name, r + 1, c + 1))  # +1: the wall border
        for dr, dc in MOTIFS[name]:
            rows[r + dr][c + dc] = "A"
    rows[0][0] = "P"
    border = ["@" * (width + 2)]
    return border + ["@" + "".join(row) + "@" for row in rows] + border, targets


def regrowth_rates(rules: str, neighbourhood: str | None = None, batch=1000, reps=8):
    ascii_map, targets = motif_map(copies=4)
    kw = dict(ascii_map=ascii_map, num_agents=1, rules=rules, max_cycles=10_000)
    if neighbourhood:
        kw["regrowth_neighbourhood"] = neighbourhood
    sim = Harvest(num_envs=batch, **kw)
    sim.seed(0)
    sim.reset()
    start = sim.cells.copy()
    tr = np.array([t[1] for t in targets])
    tc = np.array([t[2] for t in targets])
    start[:, tr, tc] = EMPTY
    grown = np.zeros(len(targets))
    for _ in range(reps):
        sim.cells[:] = start
        sim.step(np.full((batch, 1), STAY))
        grown += (sim.cells[:, tr, tc] == APPLE).sum(0)
    n = batch * reps
    rates = {}
    for name in MOTIFS:
        sel = [i for i, t in enumerate(targets) if t[0] == name]
        rates[name] = (grown[sel].sum(), n * len(sel))
    return rates


def assert_rate(count, n, p):
    if p == 0:
        assert count == 0
        return
    sd = np.sqrt(p * (1 - p) / n)
    assert abs(count / n - p) < 5 * sd, (count / n, p)


def test_ssd_regrowth_frequencies_by_neighbour_count():
    rates = regrowth_rates("ssd")
    expected = {"k0": 0.0, "k1": 0.005, "k2": 0.02, "k3": 0.05, "k5": 0.05, "far": 0.0}
    for name, p in expected.items():
        assert_rate(*rates[name], p)


def test_meltingpot_regrowth_frequencies_use_the_disc():
    rates = regrowth_rates("meltingpot")
    expected = {"k0": 0.0, "k1": 0.0025, "k2": 0.005, "k3": 0.025, "k5": 0.025, "far": 0.0025}
    for name, p in expected.items():
        assert_rate(*rates[name], p)


def test_regrowth_needs_an_empty_cell_without_agent():
    ascii_map, targets = motif_map(copies=1)
    sim = Harvest(num_envs=200, ascii_map=ascii_map, num_agents=1, regrowth_probs=(0, 1, 1, 1))
    sim.seed(0)
    sim.reset()
    _, r, c = next(t for t in targets if t[0] == "k3")
    sim.cells[:, r, c] = EMPTY
    sim.pos[:, 0] = (r, c)
    sim.step(np.full((200, 1), STAY))
    assert (sim.cells[:, r, c] == EMPTY).all()  # the agent stands on it
    sim.pos[:, 0] = (0 + 1, 1)
    sim.step(np.full((200, 1), STAY))
    assert (sim.cells[:, r, c] == APPLE).all()  # p = 1 once the cell is free


# --------------------------------------------------------------------------- beams
def setup_line(**kwargs):
    """Agents in a column on the open left part of the map, all facing north."""
    sim = Harvest(num_envs=1, **kwargs)
    sim.seed(0)
    sim.reset()
    sim.cells[:] = np.where(sim.cells == APPLE, EMPTY, sim.cells)
    return sim


def test_fire_costs_firer_and_fines_first_agent_hit():
    sim = setup_line()
    FIRE = sim.actions.index("fire")
    # Agent 0 at (12, 2) facing north; agent 1 three cells ahead, agent 2 behind it.
    sim.pos[0] = [[12, 2], [9, 2], [8, 2], [12, 20], [12, 30]]
    sim.ori[0] = NORTH
    rewards, _, _ = sim.step(np.array([[FIRE, STAY, STAY, STAY, STAY]]))
    np.testing.assert_array_equal(rewards[0], [-1, -50, 0, 0, 0])
    ev = sim.last_events[sim.last_events["kind"] == EventKind.ZAP]
    assert [(e["actor"], e["target"]) for e in ev] == [(0, 1)]
    # Out of range (6 ahead) nobody is hit; a side ray reaches a lateral neighbour.
    sim.pos[0] = [[12, 2], [6, 2], [12, 3], [12, 20], [12, 30]]
    rewards, _, _ = sim.step(np.array([[FIRE, STAY, STAY, STAY, STAY]]))
    np.testing.assert_array_equal(rewards[0], [-1, 0, -50, 0, 0])


def test_two_beams_fine_twice_and_walls_block():
    sim = setup_line()
    FIRE = sim.actions.index("fire")
    # Agents 0 and 1 face agent 2 from both sides (east/west).
    sim.pos[0] = [[7, 2], [7, 6], [7, 4], [12, 20], [1, 30]]
    sim.ori[0] = [EAST, WEST, NORTH, NORTH, NORTH]
    rewards, _, _ = sim.step(np.array([[FIRE, FIRE, STAY, STAY, STAY]]))
    np.testing.assert_array_equal(rewards[0], [-1, -1, -100, 0, 0])
    # Agent 4 at the top row: the wall is right in front; agent 3 fires south at the
    # bottom wall; nobody is hit.
    sim.pos[0] = [[7, 2], [7, 6], [7, 4], [14, 20], [1, 30]]
    sim.ori[0] = [NORTH, NORTH, NORTH, SOUTH, NORTH]
    rewards, _, _ = sim.step(np.array([[STAY, STAY, STAY, FIRE, FIRE]]))
    np.testing.assert_array_equal(rewards[0], [0, 0, 0, -1, -1])


def test_beam_is_visible_for_one_step():
    sim = setup_line(obs_type="symbolic")
    FIRE = sim.actions.index("fire")
    sim.pos[0] = [[12, 2], [1, 30], [1, 32], [12, 20], [12, 30]]
    sim.ori[0] = WEST
    sim.step(np.array([[STAY, STAY, STAY, FIRE, STAY]]))
    obs = sim.observe()[0, 3]
    beam = ssd_grid.SYMBOLIC_LAYERS.index("beam")
    # Facing west the view is rotated: the 5 cells ahead are above the centre (7, 7).
    assert obs[2:7, 7, beam].all() and obs[7, 7, beam] == 0
    assert obs[7, 7, ssd_grid.SYMBOLIC_LAYERS.index("self")] == 1
    sim.step(np.full((1, 5), STAY))
    assert sim.observe()[0, 3, ..., beam].sum() == 0


# --------------------------------------------------------------------------- moves, eating
def test_eating_rewards_and_removes_the_apple():
    sim = Harvest(num_envs=1)
    sim.seed(0)
    sim.reset()
    # An apple cell with an empty cell south of it.
    r, c = next((r, c) for r, c in sim.map.where("A") if sim.map.chars[r + 1, c] == " ")
    sim.pos[0] = [(r + 1, c), *sim.map.spawn_points[-4:]]
    sim.ori[0, 0] = NORTH
    fwd = sim.actions.index("move_forward")
    rewards, _, _ = sim.step(np.array([[fwd, STAY, STAY, STAY, STAY]]))
    assert rewards[0, 0] == 1 and sim.cells[0, r, c] == EMPTY
    ev = sim.last_events[sim.last_events["kind"] == EventKind.EAT]
    assert len(ev) == 1 and (ev["row"][0], ev["col"][0]) == (r, c)


def test_relative_moves_in_the_env():
    sim = setup_line()
    sim.pos[0] = [[7, 3], [1, 30], [1, 32], [12, 20], [12, 30]]
    sim.ori[0, 0] = EAST
    acts = {n: sim.actions.index(n) for n in sim.actions.names}
    for name, expected in [
        ("move_forward", (7, 4)),
        ("move_left", (6, 4)),  # facing east, left is north
        ("move_back", (6, 3)),
        ("move_right", (7, 3)),
    ]:
        sim.step(np.array([[acts[name], STAY, STAY, STAY, STAY]]))
        assert tuple(sim.pos[0, 0]) == expected, name
    sim.step(np.array([[acts["turn_ccw"], STAY, STAY, STAY, STAY]]))
    assert sim.ori[0, 0] == NORTH


# --------------------------------------------------------------------------- Melting Pot removal
def test_meltingpot_zap_removes_for_four_steps():
    sim = setup_line(rules="meltingpot", num_agents=3)
    FIRE = sim.actions.index("fire")
    sim.pos[0] = [[12, 2], [10, 2], [1, 30]]
    sim.ori[0] = NORTH
    rewards, _, _ = sim.step(np.array([[FIRE, STAY, STAY]]))
    assert (rewards == 0).all()  # no reward or penalty in Melting Pot
    kinds = list(sim.last_events["kind"])
    assert EventKind.ZAP in kinds and EventKind.REMOVE in kinds
    spawn_points = {tuple(p) for p in sim.map.spawn_points}
    inactive_steps, came_back_at = 0, None
    for _ in range(10):
        if sim.inactive()[0, 1]:
            inactive_steps += 1
            assert not sim.observe()[0, 1].any()  # the flag: an all-zero observation
        else:
            assert sim.observe()[0, 1].any()
            if came_back_at is None and inactive_steps:
                came_back_at = tuple(sim.pos[0, 1])
        # The removed agent tries to walk; it must not affect anything.
        sim.step(np.array([[STAY, sim.actions.index("move_forward"), STAY]]))
    assert inactive_steps == 4
    assert not sim.inactive().any()
    assert came_back_at in spawn_points


def test_meltingpot_cooldown_limits_fire_rate():
    sim = setup_line(rules="meltingpot", num_agents=1, fire_cost=-1.0)
    FIRE = sim.actions.index("fire")
    total = sum(sim.step(np.array([[FIRE]]))[0].sum() for _ in range(6))
    assert total == -3  # cooldown 2: a shot every other step


def test_peace_metric_counts_removed_steps():
    env = socialenvs.make_vec("harvest_v0", num_envs=2, rules="meltingpot", max_cycles=40)
    env.reset(seed=1)
    sim = env.sim
    fire = sim.actions.index("fire")
    episode = None
    rng = np.random.default_rng(0)
    for _ in range(40):
        acts = np.where(rng.random((2, 7)) < 0.5, fire, rng.integers(0, 7, (2, 7)))
        _, _, _, _, info = env.step(acts)
        episode = info.get("episode", episode)
    assert episode is not None
    assert (episode["peace"] < 7).all()  # some agents were tagged out
    assert "apples_eaten" in episode and "zaps" in episode


# --------------------------------------------------------------------------- observations
def test_observation_views_and_types():
    for kw, shape in [
        (dict(), (15, 15, 3)),
        (dict(obs_type="symbolic"), (15, 15, 8)),
        (dict(view="meltingpot"), (11, 11, 3)),
        (dict(view_radius=4), (9, 9, 3)),
    ]:
        env = socialenvs.make("harvest_v0", **kw)
        obs, _ = env.reset(seed=0)
        o = obs["player_0"]
        assert o.shape == shape and o.dtype == np.uint8
        assert env.observation_space("player_0").contains(o)
    env = socialenvs.make("harvest_v0")
    obs, _ = env.reset(seed=0)
    # The avatar's own colour is at the centre of its window.
    for i, a in enumerate(env.possible_agents):
        np.testing.assert_array_equal(obs[a][7, 7], env.sim.palette[ssd_grid.AGENT0 + i])


def test_render_modes():
    env = socialenvs.make("harvest_v0", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (16 * 8, 38 * 8, 3) and frame.dtype == np.uint8
    env = socialenvs.make("harvest_v0", render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert text.count("A") == 155 and "0" in text


def test_state_is_small():
    sim = Harvest(num_envs=1)
    state = sum(a.nbytes for a in (sim.cells, sim.pos, sim.ori, sim.removed_for, sim.cooldown))
    assert state < 2_000  # well under the 100 KB per copy budget


@pytest.mark.parametrize("rules", ["ssd", "meltingpot"])
def test_one_copy_step_matches_copy_zero_of_a_batch(rules):
    """The one-copy (ParallelEnv) shortcuts -- regrowth draws, beams, eating, moves --
    change the state exactly as the batched path does."""
    one, batch = Harvest(num_envs=1, rules=rules), Harvest(num_envs=3, rules=rules)
    one.seed(9)
    batch.seed(9)
    one.reset()
    batch.reset()
    # Thin the orchard so that many cells can regrow.
    cut = np.random.default_rng(0).random(len(one.apple_cells)) < 0.6
    for sim in (one, batch):
        sim.cells[:, one.apple_r[cut], one.apple_c[cut]] = EMPTY
    rng = np.random.default_rng(2)
    regrown = 0
    for t in range(300):
        actions = rng.integers(0, one.action_space.n, size=(3, one.num_agents))
        before = one.apples()[0]
        r1, _, _ = one.step(actions[:1])
        r3, _, _ = batch.step(actions)
        np.testing.assert_array_equal(r1[0], r3[0], err_msg=f"t={t}")
        np.testing.assert_array_equal(one.cells[0], batch.cells[0], err_msg=f"t={t}")
        np.testing.assert_array_equal(one.pos[0], batch.pos[0])
        np.testing.assert_array_equal(one.ori[0], batch.ori[0])
        np.testing.assert_array_equal(one.observe()[0], batch.observe()[0])
        ev1, ev3 = one.last_events, batch.last_events
        np.testing.assert_array_equal(ev1, ev3[ev3["env"] == 0])
        eaten = int((ev1["kind"] == EventKind.EAT).sum())
        regrown += int(one.apples()[0] - before + eaten)
    assert regrown > 20


@pytest.mark.parametrize("obs_type", ["rgb", "symbolic"])
def test_observations_are_fresh_arrays_every_step(obs_type):
    """Intermediates are kept in buffers across steps; the observations handed out are
    not: an observation keeps its values after later steps (batched and one copy)."""
    for num_envs in (1, 4):
        sim = Harvest(num_envs=num_envs, obs_type=obs_type)
        sim.seed(0)
        sim.reset()
        first = sim.observe()
        kept = first.copy()
        rng = np.random.default_rng(0)
        for _ in range(5):
            sim.step(rng.integers(0, 8, (num_envs, sim.num_agents)))
            later = sim.observe()
            assert not np.shares_memory(later, first)
        np.testing.assert_array_equal(first, kept)
        assert (later != kept).any()
