"""Rule tests for partner_choice_v0 against Dasgupta & Musolesi's payoffs."""

import numpy as np

from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_sim
from socialenvs.norms.sanctions import JUST, THIRD_PARTY, UNJUST


def _sim(**kw):
    s = make_sim("partner_choice_v0", num_envs=1, **kw)
    s.seed(3)
    s.reset()
    return s


def test_play_and_direct_punishment_payoffs():
    s = _sim(punishment="dp", rounds=2)
    assert s.max_cycles == 5 * 2 * 2
    p = int(s.partner[0])
    a = np.zeros((1, 5), dtype=int)
    a[0, p] = 1  # partner defects, focal 0 cooperates
    r, _, _ = s.step(a)
    assert r[0, 0] == 0 and r[0, p] == 4 and s.reputation[0, p] == -1
    # Both punish: focal justly (+2), partner unjustly (-10); each victim loses 3.
    r, _, _ = s.step(np.ones((1, 5), dtype=int))
    assert r[0, 0] == 2 - 3 and r[0, p] == -10 - 3
    assert r[0].sum() == r[0, 0] + r[0, p]  # idle players are unaffected
    ctx = dict(zip(s.last_events["actor"], s.last_events["context"]))
    assert ctx[0] == JUST and ctx[p] == UNJUST
    assert s.reputation[0, 0] == 1 + 2 and s.reputation[0, p] == -1 - 3


def test_costly_just_punishment():
    s = _sim(punishment="dp", costly_punishment=True)
    p = int(s.partner[0])
    a = np.ones((1, 5), dtype=int)
    s.step(a)  # both defect
    r, _, _ = s.step(a)
    assert r[0, 0] == -3 - 3 and r[0, p] == -3 - 3


def test_third_party_punisher_is_outside_the_pair():
    s = _sim(punishment="tpp", rounds=50)
    seen = set()
    for _ in range(40):
        s.step(np.ones((1, 5), dtype=int))  # play
        for _ in range(2):
            r, _, _ = s.step(np.ones((1, 5), dtype=int))
            ev = s.last_events[s.last_events["kind"] == EventKind.PUNISH]
            assert len(ev) == 1
            actor = int(ev["actor"][0])
            assert actor not in (0, int(s.partner[0]))
            assert ev["context"][0] == JUST | THIRD_PARTY
            seen.add(actor)
    assert len(seen) == 3  # every outsider gets drawn


def test_partner_selection_and_masks():
    s = _sim(punishment="none", partner_selection=True)
    F = s.OBS_FIELDS
    o = s.observe()[0]
    assert o[0, F["stage"]].tolist() == [1, 0, 0, 0]
    assert o[0, F["action_mask"]].tolist() == [1, 1, 1, 1]
    assert o[1, F["action_mask"]].tolist() == [1, 0, 0, 0]  # idle
    s.step(np.array([[2, 0, 0, 0, 0]]))
    assert s.partner[0] == 3
    assert s.last_events["kind"][0] == EventKind.SELECT
    o = s.observe()[0]
    assert o[3, F["stage"]].tolist() == [0, 1, 0, 0]
    assert o[3, F["opp_prev"]].tolist() == [0, 0, 1]  # nothing played yet
