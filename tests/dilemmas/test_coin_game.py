"""Rule tests of the coin game (Lerer & Peysakhovich 2017 payoffs, respawn, torus, obs)."""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs
from socialenvs.core.events import EventKind
from socialenvs.dilemmas.coin_game import DOWN, LEFT, RIGHT, STAY, UP, cooperation


def _sim(num_envs: int = 1, **kwargs):
    sim = socialenvs.make_sim("coin_game_v0", num_envs=num_envs, **kwargs)
    sim.seed(0)
    sim.reset()
    return sim


def _place(sim, p0, p1, coins, owners, env: int = 0) -> None:
    """Put players and coins at (row, col) cells of copy ``env``."""
    S = sim.size
    sim.pos[env] = [p0[0] * S + p0[1], p1[0] * S + p1[1]]
    sim.coin_pos[env] = [r * S + c for r, c in coins]
    sim.coin_owner[env] = owners


# Player 0 at (1, 0), player 1 at (1, 2); the coin at (1, 1) is reached by player 0 moving
# RIGHT and by player 1 moving LEFT.
PICKUP_CASES = [
    # (owner, action_0, action_1, expected rewards, takers)
    (0, RIGHT, STAY, (1.0, 0.0), [0]),  # own coin
    (1, RIGHT, STAY, (1.0, -2.0), [0]),  # other's coin: owner loses 2
    (1, STAY, LEFT, (0.0, 1.0), [1]),
    (0, STAY, LEFT, (-2.0, 1.0), [1]),
    (0, RIGHT, LEFT, (1.0 - 2.0, 1.0), [0, 1]),  # both take it: both pickups are paid
    (1, RIGHT, LEFT, (1.0, -2.0 + 1.0), [0, 1]),
    (0, UP, DOWN, (0.0, 0.0), []),  # nobody reaches it
]


@pytest.mark.parametrize("owner,a0,a1,expected,takers", PICKUP_CASES)
def test_pickup_payoffs_and_events(owner, a0, a1, expected, takers):
    sim = _sim()
    _place(sim, (1, 0), (1, 2), [(1, 1)], [owner])
    rewards, terminated, truncated = sim.step(np.array([[a0, a1]]))
    np.testing.assert_array_equal(rewards[0], expected)
    assert not terminated.any() and not truncated.any()
    events = sim.last_events
    assert list(events["actor"]) == takers
    assert np.all(events["kind"] == EventKind.COLLECT)
    assert np.all(events["context"] == owner) and np.all(events["target"] == owner)
    assert np.all((events["row"] == 1) & (events["col"] == 1))
    np.testing.assert_array_equal(events["value"], [1.0] * len(takers))
    if takers:  # the coin was replaced at once, somewhere else
        assert sim.coin_pos[0, 0] != 1 * 3 + 1


def test_custom_payoffs():
    sim = _sim(own_coin_reward=2.0, other_coin_reward=0.5, coin_loss_penalty=-3.0)
    _place(sim, (1, 0), (1, 2), [(1, 1)], [1])
    rewards, _, _ = sim.step(np.array([[RIGHT, STAY]]))
    np.testing.assert_array_equal(rewards[0], [0.5, -3.0])
    _place(sim, (1, 0), (1, 2), [(1, 1)], [1])
    rewards, _, _ = sim.step(np.array([[STAY, LEFT]]))
    np.testing.assert_array_equal(rewards[0], [0.0, 2.0])


def test_twin_coins_both_taken_in_one_step():
    sim = _sim(twin_coins=True)
    # Mutual defection: each steps onto the other's coin (player 1 across the torus edge).
    _place(sim, (0, 0), (2, 2), [(2, 0), (0, 1)], [0, 1])
    rewards, _, _ = sim.step(np.array([[RIGHT, RIGHT]]))
    np.testing.assert_array_equal(rewards[0], [1.0 - 2.0, 1.0 - 2.0])
    assert sorted(sim.last_events["actor"]) == [0, 1]
    assert sorted(sim.coin_owner[0]) == [0, 1]  # colours are fixed with twin coins
    assert sim.coin_pos[0, 0] != sim.coin_pos[0, 1]
    assert not set(sim.coin_pos[0]) & set(sim.pos[0])


@pytest.mark.parametrize("twin", [False, True])
def test_coins_never_spawn_on_players_and_respawn_uniformly(twin):
    sim = _sim(num_envs=256, twin_coins=twin, max_cycles=10_000)
    rng = np.random.default_rng(0)
    spawned, colours = [], []
    for _ in range(150):
        before = sim.coin_pos.copy()
        sim.step(rng.integers(5, size=(256, 2)))
        assert not (sim.coin_pos[:, :, None] == sim.pos[:, None, :]).any()
        if twin:
            assert (sim.coin_pos[:, 0] != sim.coin_pos[:, 1]).all()
        moved = sim.coin_pos != before
        spawned.append(sim.coin_pos[moved])
        colours.append(sim.coin_owner[moved])
    # Respawn cells cover the whole board about evenly (9 cells, tens of thousands draws).
    counts = np.bincount(np.concatenate(spawned), minlength=9)
    assert counts.min() > 0.8 * counts.mean()
    colours = np.concatenate(colours)
    if twin:  # one coin of each colour, always
        assert (np.sort(sim.coin_owner, axis=1) == [0, 1]).all()
    else:  # a random colour each time
        assert len(colours) > 5000 and 0.47 < colours.mean() < 0.53


def test_reset_places_players_apart_and_coin_on_free_cell():
    sim = _sim(num_envs=500)
    assert (sim.pos[:, 0] != sim.pos[:, 1]).all()
    assert not (sim.coin_pos[:, :, None] == sim.pos[:, None, :]).any()
    assert len(np.unique(sim.pos[:, 0])) == 9  # every cell is a possible start


@pytest.mark.parametrize(
    "action,expected", [(UP, (2, 0)), (LEFT, (0, 2)), (DOWN, (1, 0)), (RIGHT, (0, 1))]
)
def test_torus_wrapping(action, expected):
    sim = _sim()
    _place(sim, (0, 0), (2, 2), [(1, 1)], [0])
    sim.step(np.array([[action, STAY]]))
    assert divmod(int(sim.pos[0, 0]), 3) == expected


def test_no_torus_stops_at_edges_and_bigger_grid():
    sim = _sim(grid_size=5, torus=False)
    _place(sim, (0, 0), (4, 4), [(2, 2)], [0])
    sim.step(np.array([[UP, DOWN]]))
    sim.step(np.array([[LEFT, RIGHT]]))
    assert sim.pos[0].tolist() == [0, 24]


def test_four_actions_have_no_stay():
    env = socialenvs.make("coin_game_v0", num_actions=4)
    env.reset(seed=0)
    assert env.action_space("player_0").n == 4
    with pytest.raises(ValueError, match="out of range"):
        env.step({"player_0": STAY, "player_1": 0})


def test_lase_preset():
    sim = _sim(preset="lase")
    assert (sim.size, sim.action_space.n, sim.max_cycles) == (5, 4, 100)
    assert sim.observation_space.shape == (5, 5, 4)


def test_symbolic_observation_is_egocentric_in_colour():
    sim = _sim(twin_coins=False)
    _place(sim, (0, 0), (2, 1), [(1, 2)], [1])
    obs = sim.observe()[0]  # [2, 3, 3, 4]
    me, them = obs
    assert me[0, 0, 0] == 1 and me[2, 1, 1] == 1 and me[1, 2, 3] == 1  # coin is the other's
    assert them[2, 1, 0] == 1 and them[0, 0, 1] == 1 and them[1, 2, 2] == 1  # own coin
    assert me.sum() == 3 and them.sum() == 3
    # Swapping seats swaps planes (self <-> other, own coin <-> other's coin).
    np.testing.assert_array_equal(them, me[..., [1, 0, 3, 2]])


def test_rgb_observation_matches_symbolic():
    sym, rgb = _sim(num_envs=64), _sim(num_envs=64, obs_type="rgb")
    rng = np.random.default_rng(1)
    for _ in range(30):
        acts = rng.integers(5, size=(64, 2))
        sym.step(acts)
        rgb.step(acts)
        s, r = sym.observe(), rgb.observe()
        assert r.shape == (64, 2, 3, 3, 3) and r.dtype == np.uint8
        # A cell is non-black exactly when some symbolic plane marks it.
        np.testing.assert_array_equal(r.any(axis=-1), s.any(axis=-1))


def test_players_sharing_a_cell():
    sim = _sim(obs_type="rgb")
    _place(sim, (0, 0), (0, 2), [(2, 2)], [0])
    sim.step(np.array([[RIGHT, LEFT]]))  # both to (0, 1)
    assert sim.pos[0, 0] == sim.pos[0, 1] == 1
    obs = sim.observe()[0]
    assert (obs[0, 0, 1] == obs[1, 0, 1]).all()  # the "together" colour for both
    assert "X" in sim.render_ansi(0)
    assert sim.render(0).shape == (72, 72, 3)


def test_episode_statistics_count_own_and_other_coins():
    venv = socialenvs.make_vec("coin_game_v0", num_envs=1, max_cycles=3)
    venv.reset(seed=0)
    sim = venv.sim
    _place(sim, (1, 0), (1, 2), [(1, 1)], [0])
    venv.step(np.array([[RIGHT, STAY]]))  # own coin
    _place(sim, (1, 0), (1, 2), [(1, 1)], [0])
    venv.step(np.array([[STAY, LEFT]]))  # player 1 takes player 0's coin
    _place(sim, (1, 0), (1, 2), [(1, 1)], [1])
    _, _, _, truncated, infos = venv.step(np.array([[STAY, LEFT]]))  # own coin
    assert truncated.all()
    ep = infos["episode"]
    assert ep["own_coins"][0] == 2 and ep["other_coins"][0] == 1
    np.testing.assert_array_equal(ep["returns"][0], [1.0 - 2.0, 2.0])
    assert cooperation(ep["own_coins"], ep["other_coins"])[0] == pytest.approx(2 / 3)


def test_random_play_cooperation_is_one_half():
    venv = socialenvs.make_vec("coin_game_v0", num_envs=256, max_cycles=50)
    venv.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(50):
        *_, infos = venv.step(rng.integers(5, size=(256, 2)))
    ep = infos["episode"]
    coop = ep["own_coins"].sum() / (ep["own_coins"] + ep["other_coins"]).sum()
    assert 0.45 < coop < 0.55
    # Greedy-by-chance play: each coin pays +1 to its taker and -2 half the time -> 0 in
    # expectation per coin, so the collective return is near zero and never positive-biased.
    per_coin = ep["collective_return"].sum() / (ep["own_coins"] + ep["other_coins"]).sum()
    assert abs(per_coin) < 0.15


def test_determinism_and_seed_dependence():
    def trace(seed):
        venv = socialenvs.make_vec("coin_game_v0", num_envs=8, max_cycles=20)
        obs, _ = venv.reset(seed=seed)
        rng = np.random.default_rng(0)
        out = [obs]
        for _ in range(60):
            obs, rew, *_ = venv.step(rng.integers(5, size=(8, 2)))
            out += [obs, rew]
        return out

    a, b, c = trace(5), trace(5), trace(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"grid_size": 1}, "grid_size"),
        ({"num_actions": 6}, "num_actions"),
        ({"obs_type": "pixels"}, "obs_type"),
        ({"max_cycles": 0}, "max_cycles"),
        ({"coin_loss_penalty": float("nan")}, "coin_loss_penalty"),
        ({"preset": "nope"}, "available presets"),
    ],
)
def test_bad_config_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        socialenvs.make("coin_game_v0", **kwargs)


def test_centred_view_puts_the_observer_in_the_middle():
    sim = _sim(grid_size=5, centred_view=True)
    _place(sim, (0, 0), (4, 1), [(1, 4)], [1])
    me, them = sim.observe()[0]
    assert me[2, 2, 0] == 1 and them[2, 2, 0] == 1
    # Player 0 at (0, 0) sees player 1 at (4, 1) one row up, one column right of itself.
    assert me[1, 3, 1] == 1 and me[3, 1, 3] == 1  # and the coin (1, 4) at (3, 1)
    # Player 1 at (4, 1) sees player 0 at (0, 0) one row down, one column left.
    assert them[3, 1, 1] == 1 and them[4, 0, 2] == 1  # its own coin at (1, 4) -> (4, 0)
    assert me.sum() == them.sum() == 3


def test_centred_view_is_a_shift_of_the_absolute_view():
    absolute = _sim(num_envs=32, obs_type="rgb")
    centred = _sim(num_envs=32, obs_type="rgb", centred_view=True)
    rng = np.random.default_rng(2)
    for _ in range(20):
        acts = rng.integers(5, size=(32, 2))
        absolute.step(acts)
        centred.step(acts)
        a, c = absolute.observe(), centred.observe()
        for b in range(32):
            for i in range(2):
                r, col = divmod(int(absolute.pos[b, i]), 3)
                shifted = np.roll(a[b, i], (1 - r, 1 - col), axis=(0, 1))
                np.testing.assert_array_equal(c[b, i], shifted)


def test_centred_view_needs_a_torus():
    with pytest.raises(ValueError, match="centred_view"):
        socialenvs.make("coin_game_v0", centred_view=True, torus=False)
