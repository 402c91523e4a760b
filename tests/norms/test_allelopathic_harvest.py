"""Rule tests for allelopathic_harvest_v0 against Melting Pot's numbers."""

import numpy as np
import pytest

from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_sim
from socialenvs.norms import allelopathic_harvest as ah

NOOP, FWD, ZAP, PLANT_RED, PLANT_GREEN = 0, 1, 7, 8, 9


def _sim(num_envs=1, **kw):
    s = make_sim("allelopathic_harvest_v0", num_envs=num_envs, **kw)
    s.seed(0)
    s.reset()
    return s


def _place(s, positions, oris):
    s.pos[:] = np.asarray(positions)
    s.ori[:] = np.asarray(oris)


def test_default_map_matches_meltingpot_counts():
    s = _sim()
    assert s.map.shape == (30, 29) and s.num_agents == 16
    assert s.num_berries == 348
    assert s.berry_counts()[0].tolist() == [116, 116, 116]
    assert len(s.spawn_points) == 522
    assert not s.ripe.any() and s.max_cycles == 2000
    assert (s.tastes == np.repeat([0, 1], 8)).all()  # 8 like red, 8 like green
    assert s.observation_space.shape == (11, 11, 13)


def test_ripening_rate_proportional_to_colour_count():
    """Empirical ripening probability per step vs the same-colour count (linear, 5e-6)."""
    B, T = 64, 200
    rates = {}
    for split in ("even", "mono"):
        s = _sim(num_envs=B, num_players=1, min_time_to_ripen=0, ripen_base_rate=2e-4)
        if split == "mono":
            s.colour[:] = 0
        counts = s.berry_counts()[0]
        ripe_steps = 0
        exposure = 0
        for _ in range(T):
            unripe_before = (~s.ripe).sum()
            s.step(np.zeros((B, 1), dtype=int))
            ripe_steps += (~s.ripe).sum() - unripe_before  # negative: newly ripe
            exposure += unripe_before
        rates[split] = -ripe_steps / exposure
        expected = 2e-4 * counts.max() if split == "mono" else 2e-4 * 116
        assert rates[split] == pytest.approx(expected, rel=0.1), (split, rates[split], expected)
    assert rates["mono"] / rates["even"] == pytest.approx(3.0, rel=0.15)


def test_minimum_time_to_ripen():
    s = _sim(num_players=1, ripen_base_rate=1.0 / 348, min_time_to_ripen=10)
    s.colour[:] = 0  # p = 1 for every berry once its wait is over
    for step in range(10):
        s.step(np.zeros((1, 1), dtype=int))
        assert not s.ripe.any(), step
    s.step(np.zeros((1, 1), dtype=int))
    assert s.ripe.all()


def test_eating_rewards_and_reverts_to_unripe():
    s = _sim(map="small", num_players=2, tastes=(1, 2))
    # Put both players just south of berries, facing north.
    k = np.flatnonzero(s.colour[0] == 0)[0]
    r0, c0 = s.berry_rows[k], s.berry_cols[k]
    H, W = s.map.shape
    _place(s, [[[(r0 + 1) % H, c0], [(r0 + 5) % H, (c0 + 6) % W]]], [[0, 0]])
    assert s.berry_index[(r0 + 1) % H, c0] < 0
    s.ripe[0, k] = True
    r, _, _ = s.step(np.array([[FWD, NOOP]]))
    assert r[0, 0] == 2.0  # red berry, red taste
    assert not s.ripe[0, k] and s.colour[0, k] == 0 and s.wait[0, k] >= 9
    ev = s.last_events[s.last_events["kind"] == EventKind.EAT]
    assert ev["actor"].tolist() == [0] and ev["context"].tolist() == [1]
    # The other player dislikes red: 1.
    s2 = _sim(map="small", num_players=2, tastes=(2, 2))
    _place(s2, [[[(r0 + 1) % H, c0], [(r0 + 5) % H, (c0 + 6) % W]]], [[0, 0]])
    s2.ripe[0, k] = True
    r, _, _ = s2.step(np.array([[FWD, NOOP]]))
    assert r[0, 0] == 1.0


def test_planting_recolours_unripe_only_and_marks_planter():
    s = _sim(map="small", num_players=1)
    H, W = s.map.shape
    s.pos[0, 0] = [5, 0]
    s.ori[0, 0] = 1  # east: beam covers (5,1), (5,2), (5,3)
    ks = [s.berry_index[5, c] for c in (1, 2, 3) if s.berry_index[5, c] >= 0]
    assert ks, "the small map should have a berry east of (5, 0)"
    s.colour[0, ks] = 1  # green
    s.ripe[0, ks[0]] = True  # ripe: cannot be recoloured
    s.step(np.array([[PLANT_RED]]))
    assert s.colour[0, ks[0]] == 1
    for k in ks[1:]:
        assert s.colour[0, k] == 0
    if len(ks) > 1:
        assert s.marking[0, 0] == ah.RED
    # Cooldown 2: the next shot does nothing.
    s.colour[0, ks] = 1
    s.ripe[0, ks[0]] = False
    s.step(np.array([[PLANT_RED]]))
    assert (s.colour[0, ks] == 1).all()


def test_cryptic_marking_turns_eaters_grey_with_prob_one_minus_monoculture():
    B = 400
    s = _sim(num_envs=B, map="small", num_players=1)
    H, W = s.map.shape
    k = 0
    r0, c0 = s.berry_rows[k], s.berry_cols[k]
    s.pos[:, 0] = [(r0 + 1) % H, c0]
    s.ori[:] = 0
    s.marking[:] = ah.RED
    s.ripe[:, k] = True
    s.step(np.full((B, 1), FWD))
    mono = 16 / 48
    grey = (s.marking[:, 0] == ah.GREY).mean()
    assert grey == pytest.approx(1 - mono, abs=0.08)


def test_graduated_sanctions_schedule():
    s = _sim(map="small", num_players=2, freeze_duration=25, recovery_time=50, respawn_delay=25)
    s.pos[0] = [[2, 2], [2, 3]]
    s.ori[0] = [1, 1]  # player 0 faces east toward player 1
    r, _, _ = s.step(np.array([[ZAP, NOOP]]))
    assert s.level[0, 1] == 2 and s.frozen_for[0, 1] == 25 and r[0].tolist() == [0, 0]
    kinds = s.last_events["kind"].tolist()
    assert EventKind.ZAP in kinds and EventKind.SANCTION in kinds
    # Frozen: the target's moves are ignored for 25 steps.
    before = s.pos[0, 1].copy()
    for _ in range(3):
        s.step(np.array([[NOOP, FWD]]))
    assert (s.pos[0, 1] == before).all()
    # Zap cooldown 4 has passed; the second hit while marked: -10 and removal.
    r, _, _ = s.step(np.array([[ZAP, NOOP]]))
    assert r[0, 1] == -10.0 and r[0, 0] == 0.0
    assert s.removed_for[0, 1] == 25 and s.inactive()[0, 1] and s.level[0, 1] == 1
    assert (s.observe()[0, 1] == 0).all()
    for _ in range(24):
        s.step(np.zeros((1, 2), dtype=int))
        assert s.inactive()[0, 1]
    s.step(np.zeros((1, 2), dtype=int))
    assert not s.inactive()[0, 1]
    assert EventKind.RESPAWN in s.last_events["kind"].tolist()


def test_recovery_after_fifty_steps_unhit():
    s = _sim(map="small", num_players=2)
    s.pos[0] = [[2, 2], [2, 3]]
    s.ori[0] = [1, 1]
    s.step(np.array([[ZAP, NOOP]]))
    assert s.level[0, 1] == 2
    for _ in range(49):
        s.step(np.zeros((1, 2), dtype=int))
    assert s.level[0, 1] == 2
    s.step(np.zeros((1, 2), dtype=int))
    assert s.level[0, 1] == 1


def test_zap_context_and_opportunities():
    s = _sim(map="small", num_players=3, record_opportunities=True)
    s.pos[0] = [[2, 2], [2, 3], [7, 7]]
    s.ori[0] = [1, 1, 1]
    s.marking[0] = [ah.RED, ah.GREY, ah.GREEN]
    s.step(np.array([[ZAP, NOOP, NOOP]]))
    assert s.last_opportunities[0, 0, 1] and not s.last_opportunities[0, 0, 2]
    assert s.last_zaps[0, 0, 1] and s.last_zaps[0].sum() == 1
    ev = s.last_events[s.last_events["kind"] == EventKind.ZAP]
    a, t = ah.zap_colours(ev["context"])
    assert a.tolist() == [ah.RED] and t.tolist() == [ah.GREY]
    ctx = s.last_contexts[0, 0, 1]
    assert ctx[0] == 1 and ctx[6 + ah.RED] == 1  # target grey, actor red


def test_bad_config():
    with pytest.raises(ValueError, match="tastes"):
        make_sim("allelopathic_harvest_v0", tastes=(1, 2))
    with pytest.raises(ValueError, match="map"):
        make_sim("allelopathic_harvest_v0", map="huge")
    with pytest.raises(ValueError, match="character"):
        make_sim("allelopathic_harvest_v0", map=["P1X"], num_players=1)


def test_torus_view_matches_grid_core_wrap_gather():
    from socialenvs.core import grid

    for m in ("default", "small"):
        s = _sim(num_envs=2, map=m)
        ref = grid.EgocentricView(grid.ViewSpec.meltingpot(), *s.map.shape, ah.OUTSIDE, wrap=True)
        rng = np.random.default_rng(0)
        for _ in range(5):
            s.step(rng.integers(11, size=(2, 16)))
            cells = s._cells()
            assert (s._gather_torus(cells, s.pos, s.ori) == ref.gather(cells, s.pos, s.ori)).all()


def test_observation_bytes_are_the_table_lookup_of_the_view_codes():
    """The fast code lookups give exactly ``table[codes]`` (one-hot layers, palette)."""
    for obs_type in ("symbolic", "rgb"):
        s = _sim(num_envs=3, obs_type=obs_type)
        rng = np.random.default_rng(1)
        for _ in range(40):
            s.step(rng.integers(11, size=(3, 16)))
        idx = np.arange(3)
        obs = s._observe(idx)
        cells = s._cells()
        active = s.removed_for == 0
        b, i = np.nonzero(active)
        cells[b, s.pos[b, i, 0], s.pos[b, i, 1]] = s._player_codes(idx)[b, i]
        codes = s._gather_torus(cells, s.pos, s.ori)
        vh = codes.shape[2]
        live = obs[active]
        if obs_type == "symbolic":
            expect = s.symbolic_table[codes][active]
            assert (live[..., :-2] == expect[..., :-2]).all()
            assert set(np.unique(live.sum(-1) - live[..., -2:].sum(-1))) <= {0, 1}
        else:
            assert (live[:, :vh] == ah.PALETTE[codes][active]).all()
        assert (obs[~active] == 0).all()


def test_opportunity_events_carry_decision_and_context():
    s = _sim(map="small", num_players=3, record_opportunities=True)
    s.pos[0] = [[2, 2], [2, 3], [7, 7]]
    s.ori[0] = [1, 1, 1]
    s.marking[0] = [ah.RED, ah.GREY, ah.GREEN]
    s.step(np.array([[ZAP, NOOP, NOOP]]))
    ev = s.last_events[s.last_events["kind"] == EventKind.OPPORTUNITY]
    pairs = {(int(e["actor"]), int(e["target"])): float(e["value"]) for e in ev}
    assert pairs[(0, 1)] == 1.0  # player 0 could zap player 1 and did
    expected = {(a, t) for a, t in zip(*np.nonzero(s.last_opportunities[0]))}
    assert set(pairs) == expected | {(0, 1)}
    e01 = ev[(ev["actor"] == 0) & (ev["target"] == 1)][0]
    np.testing.assert_array_equal(ah.unpack_context(e01["context"]), s.last_contexts[0, 0, 1])
    assert ah.pack_context(s.last_contexts[0, 0, 1]) == e01["context"]
    # Without the flag no opportunity events are emitted.
    s2 = _sim(map="small", num_players=3)
    s2.pos[0] = [[2, 2], [2, 3], [7, 7]]
    s2.ori[0] = [1, 1, 1]
    s2.step(np.array([[ZAP, NOOP, NOOP]]))
    assert not (s2.last_events["kind"] == EventKind.OPPORTUNITY).any()


def test_reduced_preset_ripens_as_often_per_episode_as_meltingpot():
    """The ``reduced`` preset's scaled ripening rate: the share of berries ripe at the end
    of an episode without eating (no-op players) matches Melting Pot's map over 2000
    steps; the unscaled ``small`` preset ripens almost nothing in 500 steps."""
    mp_p = 5e-6 * 116  # even split of Melting Pot's map
    mp_ripe = 1 - (1 - mp_p) ** (2000 - 10)  # ~0.685 of berries ripe after an episode
    ripe = {}
    for preset in ("reduced", "small"):
        s = _sim(num_envs=128, preset=preset)
        assert s.num_agents == 4 and s.max_cycles == 500 and s.num_berries == 48
        for _ in range(s.max_cycles - 1):  # the last step would auto-reset the copies
            s.step(np.zeros((128, 4), dtype=int))
        assert s.berry_counts()[0].tolist() == [16, 16, 16]  # nobody planted
        ripe[preset] = s.ripe.mean()
    assert ripe["reduced"] == pytest.approx(mp_ripe, abs=0.03)
    assert ripe["small"] < 0.1
    rate = ah.AllelopathicHarvestConfig.PRESETS["reduced"]["ripen_base_rate"]
    assert rate == pytest.approx(5e-6 * 29)


def test_sanction_opportunities_are_what_the_next_step_records():
    """The read-only query gives the next step's opportunities and contexts, over many
    steps and copies, and asking it does not change the trajectory."""
    kw = dict(preset="reduced", record_opportunities=True)
    a, b = _sim(num_envs=4, **kw), _sim(num_envs=4, **kw)
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(300):
        opp, ctx = a.sanction_opportunities()
        actions = rng.integers(0, a.action_space.n, size=(4, a.num_agents))
        a.step(actions)
        b.step(actions)
        np.testing.assert_array_equal(opp, a.last_opportunities)
        np.testing.assert_array_equal(ctx[opp], a.last_contexts[opp])
        seen += int(opp.sum())
        np.testing.assert_array_equal(a.pos, b.pos)
        np.testing.assert_array_equal(a.colour, b.colour)
        np.testing.assert_array_equal(a.last_events, b.last_events)
    assert seen > 50
