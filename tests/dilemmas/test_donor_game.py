"""Rule tests for donor_game_v0 against Vallinder & Hughes' setting."""

import numpy as np

from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_sim
from socialenvs.dilemmas.donor_game import pairing_schedule
from socialenvs.norms.sanctions import JUST, UNJUST


def test_schedule_alternates_without_direct_reciprocity():
    for n in (4, 6, 10, 12):
        partner, donor = pairing_schedule(n)
        assert partner.shape == (n, n)
        assert (donor[1:] != donor[:-1]).all()  # a donor is a recipient next round
        if n > 4:  # with two pairings per half a repeat cannot be avoided (documented)
            assert (partner[1:] != partner[:-1]).all()  # no immediate partner repeat
        for r in range(n):  # every round is a perfect matching of donors to recipients
            assert (partner[r, partner[r]] == np.arange(n)).all()
            assert (donor[r] != donor[r, partner[r]]).all()
        # Every ordered (donor, recipient) pair across groups occurs exactly once.
        pairs = {(i, int(partner[r, i])) for r in range(n) for i in range(n) if donor[r, i]}
        assert len(pairs) == n * n // 2


def test_full_donation_reaches_paper_maximum():
    s = make_sim("donor_game_v0", num_envs=1)
    s.seed(0)
    s.reset()
    total = np.zeros(12)
    for _ in range(12):
        r, term, _ = s.step(np.full((1, 12), 10))
        total += r[0]
    assert term.all()
    np.testing.assert_allclose(s.resources.mean(), 30720.0)  # 10 x 1.5 x 2^11
    np.testing.assert_allclose(total, s.resources[0] - 10.0)


def test_trace_hops_and_punishment():
    s = make_sim("donor_game_v0", num_envs=1, punishment=True, num_players=4)
    s.seed(0)
    s.reset()
    F = s.OBS_FIELDS
    # Round 0: A = {0, 1} donate 30% and 80%.
    s.step(np.array([[3, 8, 0, 0]]))
    # Round 1: B donates; its recipients are in A. Player 2's trace is about its recipient.
    o = s.observe()[0]
    assert o[2, F["is_donor"]][0] == 1 and o[0, F["is_donor"]][0] == 0
    rec = s.partner[1, 2]
    hop0 = o[2, F["trace"]][:3]
    assert hop0[0] == 1 and np.isclose(hop0[1], [0.3, 0.8][rec])
    # Player 2 punishes spending 50%: its recipient loses 2x.
    before = s.resources[0].copy()
    r, _, _ = s.step(np.array([[0, 0, 15, 0]]))
    spent = 0.5 * before[2]
    np.testing.assert_allclose(r[0, 2], -spent)
    np.testing.assert_allclose(s.resources[0, rec], max(before[rec] - 2 * spent, 0.0))
    ev = s.last_events[s.last_events["kind"] == EventKind.PUNISH]
    assert len(ev) == 1 and ev["target"][0] == rec
    assert ev["context"][0] == (JUST if rec == 0 else UNJUST)  # 30% < 50% line <= 80%


def test_recipients_actions_are_no_ops():
    s = make_sim("donor_game_v0", num_envs=1, num_players=4)
    s.seed(0)
    s.reset()
    r, _, _ = s.step(np.array([[0, 0, 10, 10]]))  # 2 and 3 are recipients in round 0
    np.testing.assert_allclose(r[0], 0.0)
