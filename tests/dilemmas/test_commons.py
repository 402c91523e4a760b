"""Rule tests for commons_v0 against GovSim's pool dynamics."""

import numpy as np

from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_sim
from socialenvs.dilemmas.commons import deal_units, sustainability_threshold
from socialenvs.norms.sanctions import JUST, UNJUST


def _sim(**kw):
    s = make_sim("commons_v0", num_envs=1, **kw)
    s.seed(0)
    s.reset()
    return s


def test_threshold_and_regrowth_cap():
    assert sustainability_threshold(100, 5) == 10
    assert sustainability_threshold(57, 5) == 5
    s = _sim()
    s.step(np.array([[10] * 5]))  # 50 left -> doubles to 100
    assert s.pool[0] == 100
    s.step(np.array([[4] * 5]))  # 80 left -> 160 capped at 100
    assert s.pool[0] == 100
    s.step(np.array([[12] * 5]))  # 40 left -> 80
    assert s.pool[0] == 80


def test_collapse_below_five():
    s = _sim(end_on_collapse=True)
    r, term, _ = s.step(np.array([[19, 19, 19, 19, 20]]))  # 4 left
    assert term.all() and s.collapsed[0]
    assert (s.last_events["kind"] == EventKind.DEATH).sum() == 1
    s = _sim()
    s.step(np.array([[19, 19, 19, 19, 19]]))  # 5 left: survives
    assert not s.collapsed[0] and s.pool[0] == 10
    s = _sim()
    _, term, _ = s.step(np.array([[20] * 5]))  # default: pool stays empty, no termination
    assert not term.any() and s.pool[0] == 0
    r, _, _ = s.step(np.array([[5] * 5]))
    np.testing.assert_allclose(r, 0.0)


def test_stochastic_allocation_serves_uniformly_among_wanting():
    requests = np.array([[100, 1, 0]] * 2000)
    got = deal_units(requests, np.full(2000, 10), np.random.default_rng(0).random((2000, 10)))
    assert (got.sum(axis=1) == 10).all() and (got[:, 1] <= 1).all()
    # The small requester is served unless it lost all 10 draws... it competes uniformly, so
    # it gets its unit with probability 1 - (1/2)^10.
    assert got[:, 1].mean() > 0.99
    s = _sim()
    r, _, _ = s.step(np.array([[60, 60, 0, 0, 0]]))
    assert r[0].sum() == 100 and r[0, 2:].sum() == 0


def test_fine_and_peer_sanctions():
    s = _sim(sanction="fine", fine_rate=2.0)
    r, _, _ = s.step(np.array([[15, 10, 10, 0, 0]]))
    np.testing.assert_allclose(r[0], [15 - 2 * 5, 10, 10, 0, 0])
    s = _sim(sanction="peer")
    assert s.max_cycles == 24
    s.step(np.array([[30, 10, 10, 0, 0]]))
    # Player 4 punishes player 0 (1 seat right of 4) -- just; player 1 punishes player 2
    # (1 seat right) -- unjust.
    r, _, _ = s.step(np.array([[0, 1, 0, 0, 1]]))
    np.testing.assert_allclose(r[0], [-3, -1, -3, 0, -1])
    ev = s.last_events
    ctx = dict(zip(ev["actor"], ev["context"]))
    assert ctx[4] == JUST and ctx[1] == UNJUST
    assert s.month[0] == 1 and s.stage[0] == 0
