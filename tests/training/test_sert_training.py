"""Sert et al. segregation agents: network shapes and a short training run."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.schelling import SertQNetwork, sert_q_policy  # noqa: E402
from socialenvs.schelling import Schelling  # noqa: E402
from training.schelling import SertConfig, train_sert, window_same_fraction  # noqa: E402


def test_sert_network_reads_window_and_lifetime():
    net = SertQNetwork(view_radius=2)
    obs = torch.zeros(3, 27)
    q0 = net(obs)
    assert q0.shape == (3, 5)
    obs[:, 25] = 1.0  # lifetime fraction changes Q
    assert not torch.allclose(net(obs), q0)
    obs2 = obs.clone()
    obs2[:, 26] = 1.0  # the alive flag is not an input of the paper's network
    assert torch.allclose(net(obs2), net(obs))
    sim = Schelling(mode="learning", height=10, width=10, kind_density=0.1, view_radius=2)
    policy = sert_q_policy(sim.observation_space, 2)
    sim.seed(0)
    sim.reset()
    acts = policy.act(sim.observe()[0]).actions
    assert acts.shape == (sim.num_agents,) and acts.max() < 5
    with pytest.raises(ValueError, match="view_radius"):
        sert_q_policy(sim.observation_space, 3)


def test_window_same_fraction_by_hand():
    g = np.zeros((5, 5), dtype=int)
    g[0, 0], g[0, 1], g[4, 4] = -1, -1, 1
    # radius 1, no torus: the two A see each other (1.0); B sees nobody (left out).
    assert window_same_fraction(g, 1, torus=False) == 1.0
    g[1, 1] = 1  # now each A sees one A and one B, B sees two A
    assert window_same_fraction(g, 1, torus=False) == pytest.approx((0.5 + 0.5 + 0.0) / 3)


def test_short_training_run_learns_and_records():
    cfg = SertConfig(
        iterations=20,
        height=10,
        width=10,
        kind_density=0.1,
        view_radius=2,
        max_age=10,
        gradient_steps=1,
        batch_size=16,
        buffer_size=1000,
        record_every=5,
        seed=3,
        interdependence_reward=10.0,
    )
    r = train_sert(cfg)
    assert len(r.times) == 1 + 20 // 5
    # nan only when no live agent has a neighbour in its window (possible on a tiny grid).
    finite = r.same_fraction[np.isfinite(r.same_fraction)]
    assert len(finite) >= 4 and ((finite >= 0) & (finite <= 1)).all()
    assert r.type_snapshots.shape == (5, 10, 10) and r.age_snapshots.shape == (5, 10, 10)
    # cells no agent ever occupied are nan by design (a mean over nothing)
    assert np.nanmax(np.abs(r.type_snapshots)) <= 1.0
    assert r.age_mixedness[1].sum() > 0  # agents were binned by age in the last 20%
    # Same seed, same result (torch and the env are both seeded).
    r2 = train_sert(cfg)
    np.testing.assert_array_equal(r.same_fraction, r2.same_fraction)
