import numpy as np
import pytest

import socialenvs
from socialenvs.core.events import EventKind
from socialenvs.dilemmas.small_grid import ACT, STAY

N_, E_, S_, W_ = 0, 1, 2, 3


def _place(sim, agents, objects, alive=None):
    """Put agents at (row, col) and objects at (row, col) in copy 0."""
    S = sim.size
    sim.pos[0] = np.array(agents)
    sim.obj_cell[0] = [r * S + c for r, c in objects]
    sim.alive[0] = True if alive is None else alive
    sim.active[0] = True


def test_stag_needs_two_hunters_and_is_split():
    sim = socialenvs.make_sim("stag_hunt_v0", num_envs=1)
    sim.reset()
    # stags at (0,0) and (4,4); hares at (2,2), (0,4), (4,0), (1,3)
    objects = [(0, 0), (4, 4), (2, 2), (0, 4), (4, 0), (1, 3)]
    _place(sim, [(0, 0), (0, 1), (3, 3), (2, 2)], objects)
    # agent 0 hunts the stag alone: nothing; agent 3 hunts a hare alone: +1
    r, term, trunc = sim.step(np.array([[ACT, STAY, STAY, ACT]]))
    assert r.tolist() == [[0.0, 0.0, 0.0, 1.0]]
    assert sim.alive[0].tolist() == [True, True, False, True, True, True]
    assert sim.active[0].tolist() == [True, True, True, False]
    # agent 1 joins agent 0 on the stag, then both hunt: 10 split in two
    sim.step(np.array([[STAY, W_, STAY, STAY]]))
    r, term, _ = sim.step(np.array([[ACT, ACT, STAY, ACT]]))
    assert r.tolist() == [[5.0, 5.0, 0.0, 0.0]]  # inactive agent 3 cannot act again
    assert not sim.alive[0, 0] and sim.active[0].tolist() == [False, False, True, False]
    ev = sim.last_events
    assert (ev["kind"] == EventKind.EAT).sum() == 2 and set(ev["context"]) == {0}
    assert not term.any()
    # inactive agents do not move
    before = sim.pos[0].copy()
    sim.step(np.array([[S_, S_, STAY, N_]]))
    assert (sim.pos[0, [0, 1, 3]] == before[[0, 1, 3]]).all()


def test_stag_hunt_terminates_when_everyone_caught():
    sim = socialenvs.make_sim(
        "stag_hunt_v0", num_envs=1, num_agents=2, grid_size=4, num_stags=1, num_hares=1
    )
    sim.reset()
    _place(sim, [(1, 1), (1, 1)], [(1, 1), (3, 3)])
    r, term, trunc = sim.step(np.array([[ACT, ACT]]))
    assert r.tolist() == [[5.0, 5.0]] and term.all() and not trunc.any()


def test_snowdrift_payoffs():
    sim = socialenvs.make_sim("snowdrift_v0", num_envs=1)
    sim.reset()
    objects = [(0, 0), (7, 7), (3, 3), (5, 5), (0, 7), (7, 0)]
    _place(sim, [(0, 0), (3, 3), (3, 3), (6, 6)], objects)
    # agent 0 removes alone: 6 - 4 = 2; agents 1 and 2 share drift (3,3): 6*2 - 2 each
    r, term, _ = sim.step(np.array([[ACT, ACT, ACT, STAY]]))
    np.testing.assert_allclose(r, [[12 - 4, 12 - 2, 12 - 2, 12]])
    assert sim.alive[0].tolist() == [False, True, False, True, True, True]
    assert (sim.last_events["kind"] == EventKind.CLEAN).sum() == 3
    # acting on an empty cell does nothing
    r, _, _ = sim.step(np.array([[ACT, STAY, STAY, ACT]]))
    assert r.tolist() == [[0.0] * 4]
    assert not term.any()


def test_snowdrift_lase_payoff_is_a_snowdrift_game():
    """One drift, two players: T > R > S > P with the LASE numbers (benefit 6, cost 4)."""
    b, c = 6.0, 4.0
    T, R, S, P = b, b - c / 2, b - c, 0.0
    assert T > R > S > P


def test_symbolic_observation_planes():
    sim = socialenvs.make_sim("stag_hunt_v0", num_envs=1)
    sim.reset()
    _place(sim, [(2, 2), (2, 3), (0, 0), (4, 4)], [(0, 1), (4, 3), (2, 0), (3, 3), (1, 1), (1, 4)])
    obs = sim.observe()[0]  # [N, 5, 5, N + 3]
    assert obs.shape == (4, 5, 5, 7)
    o = obs[0]  # agent 0 at the centre (2, 2) sees the whole board
    assert o[2, 2, 0] == 1 and o[..., 0].sum() == 1
    assert o[2, 3, 1] == 1  # agent 1 is the next seat
    assert o[0, 0, 2] == 1 and o[4, 4, 3] == 1
    assert o[0, 1, 4] == 1 and o[4, 3, 4] == 1 and o[..., 4].sum() == 2  # stags
    assert o[..., 5].sum() == 4  # hares
    assert o[..., 6].sum() == 0  # nothing outside the board
    o3 = obs[3]  # agent 3 at the corner: self, then agent 0 as its first "other"
    assert o3[2, 2, 0] == 1 and o3[0, 0, 1] == 1
    assert o3[..., 6].sum() == 25 - 9  # two rows and columns outside


def test_bad_config_raises():
    with pytest.raises(ValueError, match="min_stag_hunters"):
        socialenvs.make("stag_hunt_v0", min_stag_hunters=5)
    with pytest.raises(ValueError, match="do not fit"):
        socialenvs.make("snowdrift_v0", grid_size=2, num_drifts=3)
    with pytest.raises(ValueError, match="obs_type"):
        socialenvs.make("snowdrift_v0", obs_type="pixels")
