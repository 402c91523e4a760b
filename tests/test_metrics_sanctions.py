"""Sanction and norm metrics."""

import numpy as np
import pytest

from socialenvs import metrics


def test_zap_matrix_counts_by_group():
    m = metrics.zap_matrix([0, 0, 1, 2], [1, 1, 0, 2], 3)
    assert m.tolist() == [[0, 2, 0], [1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="0..2"):
        metrics.zap_matrix([3], [0], 3)


def test_free_rider_share_and_monoculture():
    s = metrics.free_rider_zap_share(np.array([0, 0, 1, 3]))
    assert s["on_free_riders"] == 0.5 and s["on_planters"] == 0.5 and s["zaps"] == 4
    assert np.isnan(metrics.free_rider_zap_share(np.array([]))["on_free_riders"])
    np.testing.assert_allclose(
        metrics.monoculture_fraction(np.array([[116, 116, 116], [348, 0, 0], [200, 100, 48]])),
        [1 / 3, 1.0, 200 / 348],
    )


def test_antisocial_rate():
    assert metrics.antisocial_punishment_rate([True, False, False, False]) == 0.25
    assert metrics.antisocial_punishment_rate([True, False], weights=[3, 1]) == 0.75
    assert np.isnan(metrics.antisocial_punishment_rate([]))


def test_commons_outcomes_sustainable_and_greedy():
    sustainable = metrics.commons_outcomes(np.full((12, 5), 10), np.full(12, 10), 12, 12, 10)
    assert sustainable["efficiency"] == 1.0 and sustainable["over_usage"] == 0.0
    assert sustainable["survived"] == 1.0 and sustainable["equality"] == 1.0
    greedy = metrics.commons_outcomes(np.array([[40, 20, 20, 10, 10]]), np.array([10]), 1, 12, 10)
    assert greedy["survival_time"] == 1 and greedy["over_usage"] == 0.6
    assert greedy["efficiency"] == pytest.approx(100 / 600)
    assert greedy["equality"] < 1


def test_punishment_by_deviation():
    # one group-period: player 0 free-rides (deviation -20), the others contribute 20
    # (deviation +20/3); only the free rider is punished
    c = np.array([[0.0, 20.0, 20.0, 20.0], [10.0, 10.0, 10.0, 10.0]])
    r = np.array([[9.0, 0.0, 0.0, 1.0], [0.0, 2.0, 0.0, 0.0]])
    mean, count = metrics.punishment_by_deviation(c, r)
    assert count.tolist() == [1, 0, 0, 4, 3, 0, 0]
    assert mean[0] == 9.0 and mean[3] == 0.5 and mean[4] == pytest.approx(1 / 3)
    assert np.isnan(mean[1])
    with pytest.raises(ValueError, match="N >= 2"):
        metrics.punishment_by_deviation(c[:, :1], r[:, :1])
