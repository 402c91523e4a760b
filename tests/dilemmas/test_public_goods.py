"""Rule tests for public_goods_v0 against Fehr & Gächter's numbers."""

import numpy as np
import pytest

from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_sim
from socialenvs.norms.sanctions import JUST, UNJUST


def _sim(**kw):
    s = make_sim("public_goods_v0", num_envs=1, **kw)
    s.seed(0)
    s.reset()
    return s


def test_first_stage_payoffs():
    s = _sim()
    r, term, _ = s.step(np.array([[20, 20, 20, 20]]))
    np.testing.assert_allclose(r[0], 32.0)  # 0.4 * 80, the 2002 paper's full-cooperation payoff
    r, _, _ = s.step(np.array([[0, 20, 20, 20]]))
    np.testing.assert_allclose(r[0], [20 + 24, 24, 24, 24])  # free rider keeps E
    assert s.max_cycles == 6 and not term.any()


def test_linear_punishment_one_to_three_and_justice_codes():
    s = _sim(punishment="linear")
    assert s.max_cycles == 6 * 4  # contribution + 3 punishment steps per period
    s.step(np.array([[20, 0, 20, 20]]))  # player 1 free-rides
    # Step 1: everyone punishes the player one seat to the right with 2 points.
    r, _, _ = s.step(np.full((1, 4), 2))
    np.testing.assert_allclose(r[0], -2 - 3 * 2)
    ev = s.last_events
    assert (ev["kind"] == EventKind.PUNISH).all() and len(ev) == 4
    ctx = dict(zip(zip(ev["actor"], ev["target"]), ev["context"]))
    assert ctx[(0, 1)] == JUST  # 0 contributed 20, 1 contributed 0
    assert ctx[(1, 2)] == UNJUST  # the free rider punishes a contributor: anti-social
    # Points above max_points are outside the stage: no-op.
    s2 = _sim(punishment="linear", max_points=3, contribution_levels=21)
    s2.step(np.zeros((1, 4), dtype=int))
    r, _, _ = s2.step(np.full((1, 4), 7))
    np.testing.assert_allclose(r[0], 0.0)
    assert len(s2.last_events) == 0
    mask = s2.observe()[0, 0, s2.OBS_FIELDS["action_mask"]]
    assert mask[:4].all() and not mask[4:].any()


def test_convex_cost_and_ten_percent_cut():
    s = _sim(punishment="convex", periods=1)
    s.step(np.array([[20, 0, 20, 20]]))  # pi1: 24 for contributors, 44 for player 1
    total = np.zeros(4)
    # Step 1 (target = seat +1): player 0 gives 3 points to player 1, costing c(3) = 4.
    r, _, _ = s.step(np.array([[3, 0, 0, 0]]))
    total += r[0]
    np.testing.assert_allclose(r[0], [-4, 0, 0, 0])
    # Step 2 (target = seat +2): player 3 gives 10 points to player 1 (cost 30).
    r, _, _ = s.step(np.array([[0, 0, 0, 10]]))
    np.testing.assert_allclose(r[0], [0, 0, 0, -30])
    # Step 3: last step settles the cut, capped at 100%: player 1 has 13 points -> loses 44.
    r, term, _ = s.step(np.zeros((1, 4), dtype=int))
    np.testing.assert_allclose(r[0], [0, -44, 0, 0])
    assert term.all()


def test_observation_reveals_contributions_in_punishment_stage_only():
    s = _sim(punishment="linear")
    F = s.OBS_FIELDS
    o = s.observe()[0]
    assert o[0, F["stage"]].tolist() == [1, 0] and not o[:, F["contributions"]].any()
    s.step(np.array([[20, 10, 0, 5]]))
    o = s.observe()[0]
    np.testing.assert_allclose(o[1, F["contributions"]], [0.5, 0.0, 0.25, 1.0])  # egocentric
    assert o[0, F["target"]].tolist() == [1, 0, 0]


def test_bad_config():
    with pytest.raises(ValueError, match="punishment"):
        make_sim("public_goods_v0", punishment="harsh")
    with pytest.raises(ValueError, match="max_points"):
        make_sim("public_goods_v0", punishment="convex", max_points=12)


def test_sanction_opportunities_cover_every_pair_and_decode_to_contributions():
    s = _sim(punishment="linear", record_opportunities=True)
    s.step(np.array([[20, 0, 10, 20]]))  # levels 20, 0, 10, 20 -> MU 20, 0, 10, 20
    assert not (s.last_events["kind"] == EventKind.OPPORTUNITY).any()  # contribution step
    s.step(np.array([[3, 0, 0, 1]]))  # step 1: player i targets (i + 1) % 4
    ev = s.last_events
    opp = ev[ev["kind"] == EventKind.OPPORTUNITY]
    assert len(opp) == 4  # every punisher, whether it assigned points or not
    np.testing.assert_array_equal(opp["actor"], [0, 1, 2, 3])
    np.testing.assert_array_equal(opp["target"], [1, 2, 3, 0])
    np.testing.assert_array_equal(opp["value"], [3, 0, 0, 1])
    feats = s.opportunity_features(opp["context"])
    assert feats.shape == (4, s.opportunity_feature_size) == (4, 3)
    # target's contribution, punisher's contribution, group mean (shares of E = 20)
    np.testing.assert_allclose(feats[0], [0.0, 1.0, 50 / 80])
    np.testing.assert_allclose(feats[1], [0.5, 0.0, 50 / 80])
    np.testing.assert_allclose(feats[3], [1.0, 1.0, 50 / 80])
    # PUNISH events are unchanged beside them
    assert (ev["kind"] == EventKind.PUNISH).sum() == 2
    # off by default: no opportunity events
    s2 = _sim(punishment="linear")
    s2.step(np.array([[20, 0, 10, 20]]))
    s2.step(np.array([[3, 0, 0, 1]]))
    assert not (s2.last_events["kind"] == EventKind.OPPORTUNITY).any()


def test_opportunity_contexts_must_fit_their_packing():
    with pytest.raises(ValueError, match="contribution_levels=41"):
        _sim(contribution_levels=41, record_opportunities=True)
    _sim(contribution_levels=41)  # fine without the opportunity stream
