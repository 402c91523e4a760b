"""Validation of the rule-based mode against Mesa 3.3's Schelling model.

Trajectories cannot match (the random streams differ), so we compare distributions over
30 seeds per model: steps to converge and the final same-type neighbour fraction, both
measured with the same metric code on both models' grids. Tolerances (chosen from the
seed-to-seed spread: steps sd ~2.5-6, final same fraction sd ~0.01-0.025, so a
difference of means over 30 seeds has sd ~0.6-1.5 steps and ~0.003-0.006):

* median steps within 3 (default) / 5 (h = 0.6) / 3 (Mesa <= 3.1 variant);
* mean final same fraction within 0.02;
* two-sample Kolmogorov-Smirnov p > 0.01 for both distributions;
* and the spec's reference numbers for Mesa itself (median 9 steps, 0.829 +- 0.025 at
  the defaults), so a changed Mesa example would show up here too.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mesa")
stats = pytest.importorskip("scipy.stats")

from socialenvs.schelling import run  # noqa: E402
from socialenvs.schelling.mesa_reference import run_mesa  # noqa: E402

SEEDS = 30

CASES = {
    "mesa33_defaults": (dict(), 3.0),
    "homophily_0.6": (dict(homophily=0.6), 5.0),
    "mesa31_count_torus_async": (
        dict(torus=True, threshold="count", homophily=3, schedule="async", minority_pc=0.5),
        3.0,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_distributions_match_mesa(name):
    params, step_tol = CASES[name]
    mesa = run_mesa(range(SEEDS), max_steps=300, **params)
    ours = run(num_envs=SEEDS, seed=1000, max_steps=300, **params)
    assert mesa.converged.all() and ours.converged.all()
    assert abs(np.median(ours.steps) - np.median(mesa.steps)) <= step_tol
    assert abs(ours.same_fraction_end.mean() - mesa.same_fraction_end.mean()) <= 0.02
    assert stats.ks_2samp(ours.steps, mesa.steps).pvalue > 0.01
    assert stats.ks_2samp(ours.same_fraction_end, mesa.same_fraction_end).pvalue > 0.01
    # Both start from a random layout (same fraction ~0.5 for 50/50 types).
    assert abs(ours.same_fraction_start.mean() - mesa.same_fraction_start.mean()) <= 0.02
    if name == "mesa33_defaults":  # the spec's measured Mesa reference (specs §4)
        assert 7 <= np.median(mesa.steps) <= 11
        assert abs(mesa.same_fraction_end.mean() - 0.829) <= 0.02
