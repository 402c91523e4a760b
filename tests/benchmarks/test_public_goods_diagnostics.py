"""The public-goods diagnostics of the norms experiments: the Fehr-Schmidt gain of one
more punishment point (``_fs_marginal``) against hand-derived values, and the scripted
norm the seeded diagnostic clones (``public_goods_diagnostics._bc_targets``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _modules():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import public_goods_diagnostics as diag

    return diag.norms, diag


@pytest.mark.parametrize("alpha", [5.0, 0.5])
def test_lone_punishment_of_a_free_rider_costs_its_price_whatever_the_envy(alpha):
    norms, _ = _modules()
    contrib = np.array([[[20.0, 20.0, 20.0, 0.0]]])  # three cooperators, one free rider
    points = np.zeros((1, 1, 4, 4))
    out = norms._fs_marginal(contrib, points, alpha, 0.05)
    # the punisher closes its gap to the free rider by 2 but falls 1 behind each of the two
    # other cooperators: 2 alpha / 3 - 2 alpha / 3 - 1
    assert out["fs_gain_per_point_on_lower"] == pytest.approx(-1.0)


def test_joining_coordinated_punishment_pays_for_inequity_averse_players():
    norms, _ = _modules()
    contrib = np.array([[[20.0, 20.0, 20.0, 0.0]]])
    points = np.zeros((1, 1, 4, 4))
    points[0, 0, 1, 3] = points[0, 0, 2, 3] = 2.0  # two cooperators already punish
    a, b = 5.0, 0.05
    out = norms._fs_marginal(contrib, points, a, b)
    # cooperator 0 joins: + 2 (a + b) / 3 - 1; cooperators 1 and 2 add a third point:
    # gap to the free rider -2 (+2a/3), one more behind each other cooperator (-2a/3), -1
    expected = (2 * (a + b) / 3 - 1 - 1 - 1) / 3
    assert out["fs_gain_per_point_on_lower"] == pytest.approx(expected)


def test_scripted_norm_punishes_in_proportion_to_the_gap():
    norms, diag = _modules()
    from socialenvs.core.registry import make_vec

    sim = make_vec("public_goods_v0", num_envs=2, **diag.ENV).sim
    sim.contrib[:] = [20.0, 20.0, 20.0, 6.0]
    sim.substep[:] = [0, 1]  # copy 0 contributing, copy 1 at the first punishment step
    p = norms.pg_disposition_targets(sim, uniform_contribution=False)
    assert (p[0, :, 20] == 1).all()
    # player 2 targets player 3 (gap 14 MU -> 3.5 points expected); the others target
    # cooperators or (player 3) a richer-contributing player: no points
    np.testing.assert_allclose(p[1, 2, 3:5], [0.5, 0.5])
    assert (p[1, [0, 1, 3], 0] == 1).all()
    np.testing.assert_allclose(p.sum(-1), 1.0)


def test_return_scaling_gives_the_policy_a_larger_share_of_the_clipped_step():
    _, diag = _modules()
    shares = diag.measure_gradient(0)
    assert 0 < shares["raw"] < shares["scaled"] < 1


def test_cloned_disposition_punishes_free_riders_and_spares_contributors():
    norms, diag = _modules()
    import torch

    from agents.actor_critic import ActorCriticPolicy
    from socialenvs.core.registry import make_vec

    venv = make_vec("public_goods_v0", num_envs=1, **diag.ENV)
    space, n = venv.single_observation_space, int(venv.single_action_space.n)
    torch.manual_seed(0)
    pols = [ActorCriticPolicy(space, n) for _ in range(4)]
    before = norms._punishment_probe(pols, diag.ENV, 20.0)
    norms.clone_pg_disposition(pols, seed=0)
    after = norms._punishment_probe(pols, diag.ENV, 20.0)
    # untrained: about the same points whatever the target gave
    assert abs(before["probe_points_on_free_rider"] - before["probe_points_on_contributor"]) < 0.5
    # cloned: towards the script's 20 / 4 = 5 points on a free rider (400 minibatches fit
    # about 3.4), almost none on a contributor
    assert 2.5 < after["probe_points_on_free_rider"] < 6.5
    assert after["probe_points_on_contributor"] < 0.5
