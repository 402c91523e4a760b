"""Segregation metrics on hand-made grids with answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from socialenvs import metrics

A, B = -1, 1


def checkerboard(n: int) -> np.ndarray:
    r, c = np.indices((n, n))
    return np.where((r + c) % 2 == 0, A, B)


def halves(n: int) -> np.ndarray:
    g = np.full((n, n), A)
    g[:, n // 2 :] = B
    return g


def test_same_type_fraction_checkerboard():
    # Torus: every cell has 4 same-kind diagonal and 4 other-kind orthogonal neighbours.
    assert metrics.same_type_fraction(checkerboard(4), torus=True) == pytest.approx(0.5)
    # No torus: corners 1/3 (4 cells), edges 2/5 (8 cells), interior 1/2 (4 cells).
    expected = (4 * (1 / 3) + 8 * (2 / 5) + 4 * 0.5) / 16
    assert metrics.same_type_fraction(checkerboard(4)) == pytest.approx(expected)


def test_same_type_fraction_per_kind_and_isolated_agents():
    g = np.zeros((3, 5), dtype=int)
    g[0, 0], g[0, 1] = A, A  # two A side by side: both fraction 1
    g[2, 3], g[2, 4] = A, B  # a mixed pair: both fraction 0
    g[1, 3] = 0
    per_kind = metrics.same_type_fraction(g, per_kind=True)
    np.testing.assert_allclose(per_kind, [2 / 3, 0.0])
    assert metrics.same_type_fraction(g) == pytest.approx(2 / 4)
    lonely = np.zeros((3, 3), dtype=int)
    lonely[1, 1] = A
    assert np.isnan(metrics.same_type_fraction(lonely))  # nobody has a neighbour


def test_same_type_fraction_matches_brute_force_mesa_definition():
    rng = np.random.default_rng(0)
    g = rng.choice([A, 0, B], size=(7, 9), p=[0.4, 0.2, 0.4])
    for torus in (False, True):
        fr = []
        for r in range(7):
            for c in range(9):
                if g[r, c] == 0:
                    continue
                nb = [
                    g[(r + dr) % 7, (c + dc) % 9] if torus else g[r + dr, c + dc]
                    for dr in (-1, 0, 1)
                    for dc in (-1, 0, 1)
                    if (dr or dc) and (torus or (0 <= r + dr < 7 and 0 <= c + dc < 9))
                ]
                occ = [x for x in nb if x != 0]
                if occ:
                    fr.append(sum(x == g[r, c] for x in occ) / len(occ))
        assert metrics.same_type_fraction(g, torus=torus) == pytest.approx(np.mean(fr))


def test_fraction_unhappy():
    board = checkerboard(4)
    assert metrics.fraction_unhappy(board, 0.5, torus=True) == 0.0
    assert metrics.fraction_unhappy(board, 0.6, torus=True) == 1.0
    assert metrics.fraction_unhappy(board, 4, torus=True, threshold="count") == 0.0
    assert metrics.fraction_unhappy(board, 5, torus=True, threshold="count") == 1.0
    lonely = np.zeros((3, 3), dtype=int)
    lonely[1, 1] = B
    assert metrics.fraction_unhappy(lonely, 0.3) == 1.0  # Mesa: no neighbours -> similarity 0
    assert metrics.fraction_unhappy(lonely, 0.0) == 0.0
    with pytest.raises(ValueError, match="threshold"):
        metrics.fraction_unhappy(board, 0.5, threshold="percent")


def test_block_indices_by_hand():
    # Two 2x2 units: left holds 3 A + 1 B, right holds 1 A + 1 B + 2 empty cells.
    g = np.array([[A, A, A, 0], [A, B, B, 0]])
    assert metrics.dissimilarity_index(g, 2) == pytest.approx(
        0.5 * (abs(3 / 4 - 1 / 2) + abs(1 / 4 - 1 / 2))
    )
    assert metrics.isolation_index(g, 2, kind=0) == pytest.approx(3 / 4 * 3 / 4 + 1 / 4 * 1 / 2)
    assert metrics.exposure_index(g, 2, kind=0) == pytest.approx(3 / 4 * 1 / 4 + 1 / 4 * 1 / 2)
    assert metrics.isolation_index(g, 2, kind=1) == pytest.approx(1 / 2 * 1 / 4 + 1 / 2 * 1 / 2)

    def ent(p):
        return -(p * math.log(p) + (1 - p) * math.log(1 - p))

    E, E1, E2 = ent(4 / 6), ent(3 / 4), ent(1 / 2)
    expected = (4 * (E - E1) + 2 * (E - E2)) / (6 * E)
    assert metrics.entropy_index(g, 2) == pytest.approx(expected)


def test_block_indices_extremes():
    segregated, mixed = halves(8), checkerboard(8)
    assert metrics.dissimilarity_index(segregated, 2) == pytest.approx(1.0)
    assert metrics.dissimilarity_index(mixed, 2) == pytest.approx(0.0)
    assert metrics.isolation_index(segregated, 4) == pytest.approx(1.0)
    assert metrics.exposure_index(segregated, 4) == pytest.approx(0.0)
    assert metrics.exposure_index(mixed, 2) == pytest.approx(0.5)
    np.testing.assert_allclose(metrics.multiscale_entropy_index(segregated, (2, 4)), [1.0, 1.0])
    np.testing.assert_allclose(
        metrics.multiscale_entropy_index(mixed, (2, 4)), [0.0, 0.0], atol=1e-12
    )
    # Batched: leading dims are kept.
    both = np.stack([segregated, mixed])
    np.testing.assert_allclose(metrics.dissimilarity_index(both, 2), [1.0, 0.0], atol=1e-12)
    # Partial blocks (a 4x3 grid in 3x3 blocks) still count every agent once.
    assert metrics.dissimilarity_index(halves(4)[:, :3], 3) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="block"):
        metrics.dissimilarity_index(segregated, 0)


def test_interface_density_by_hand():
    g = halves(4)  # columns 0-1 A, 2-3 B, no torus
    # Moore pairs: 12 horizontal (4 unlike), 12 vertical (0), 9 + 9 diagonal (3 + 3 unlike).
    assert metrics.interface_density(g) == pytest.approx(10 / 42)
    assert metrics.interface_density(g, moore=False) == pytest.approx(4 / 24)
    # Torus: the wrap adds a second interface (columns 3|0).
    assert metrics.interface_density(g, torus=True, moore=False) == pytest.approx(8 / 32)
    assert metrics.interface_density(checkerboard(4), torus=True, moore=False) == 1.0


def test_window_mixedness_and_age():
    g = np.zeros((5, 5), dtype=int)
    g[0, 0] = g[0, 1] = A  # an A pair, far from the B's below (radius 1, no torus)
    g[3, 3], g[3, 4], g[4, 3], g[4, 4] = A, B, B, A  # a mixed 2x2 block
    m = metrics.window_mixedness(g, radius=1, torus=False)
    assert m[0, 0] == 0.0 and m[0, 1] == 0.0  # only same-kind in the window
    # (3, 3) sees A at (4, 4) and B at (3, 4), (4, 3): 1 same, 2 other -> 1 - 1/3.
    assert m[3, 3] == pytest.approx(2 / 3)
    assert np.isnan(m[2, 2])  # empty cell
    ages = np.zeros((5, 5))
    ages[0, 0] = ages[0, 1] = 50  # the old agents sit in the segregated corner
    ages[3:, 3:] = 2
    mean, count = metrics.mixedness_by_age(g, ages, [0, 10, 100], radius=1, torus=False)
    np.testing.assert_array_equal(count, [4, 2])
    np.testing.assert_allclose(mean, [2 / 3, 0.0])
    with pytest.raises(ValueError, match="age_bins"):
        metrics.mixedness_by_age(g, ages, [10, 0])
