"""The KD-tree layer against brute force on small random grids: region surfaces, the k nearest
distinct regions, distances to every region."""

from __future__ import annotations

import numpy as np
import pytest

from c2r_db.nearest import LabelledTree, boundary_keys

SHAPE = (9, 11, 7)
AFFINE = np.array([[-2.0, 0, 0, 8], [0, 1.5, 0, -7], [0, 0, 1, -3], [0, 0, 0, 1]])


@pytest.fixture
def labelled():
    rng = np.random.default_rng(17)
    labels = np.where(rng.random(SHAPE) < 0.35, -1, rng.integers(0, 4, SHAPE))
    labels[2:6, 3:8, 1:5] = 5  # a block with an interior
    return labels


def _keys(ijk):
    return ijk[:, 0] + SHAPE[0] * (ijk[:, 1] + SHAPE[1] * ijk[:, 2])


def test_region_surfaces(labelled):
    ijk = np.argwhere(labelled >= 0)
    keys, regions = _keys(ijk), labelled[tuple(ijk.T)]
    expected_set, expected_regions = [], []
    for (i, j, k), region in zip(ijk, regions):
        neighbours = [(i + d * (a == 0), j + d * (a == 1), k + d * (a == 2))
                      for a in range(3) for d in (-1, 1)]
        outside = any(not all(0 <= n[a] < SHAPE[a] for a in range(3)) for n in neighbours)
        set_edge = outside or any(labelled[n] < 0 for n in neighbours)
        region_edge = outside or any(labelled[n] != region for n in neighbours)
        expected_set.append(set_edge)
        expected_regions.append(region_edge)
    order = np.argsort(keys)
    np.testing.assert_array_equal(boundary_keys(keys, SHAPE, AFFINE),
                                  np.sort(keys[np.array(expected_set)]))
    np.testing.assert_array_equal(boundary_keys(keys, SHAPE, AFFINE, regions),
                                  np.sort(keys[np.array(expected_regions)]))
    assert len(np.sort(keys[np.array(expected_regions)])) < len(order)  # the block's inside


def test_k_nearest_regions_and_region_distances(labelled):
    ijk = np.argwhere(labelled >= 0)
    centres = ijk @ AFFINE[:3, :3].T + AFFINE[:3, 3]
    regions = labelled[tuple(ijk.T)]
    tree = LabelledTree(centres, regions)
    points = np.random.default_rng(3).uniform(-25, 25, (300, 3))
    present = np.unique(regions)
    per_region = np.column_stack([
        np.sqrt(((points[:, None] - centres[regions == r][None]) ** 2).sum(2)).min(1)
        for r in present])
    np.testing.assert_allclose(tree.region_distances(points, present), per_region)
    assert np.all(np.isinf(tree.region_distances(points, [4])))
    for k, limit in ((1, np.inf), (3, np.inf), (8, np.inf), (3, 6.0)):
        found, distances = tree.nearest_regions(points, k, limit)
        expected = np.sort(per_region, axis=1)[:, :k]
        expected = np.where(expected <= limit, expected, np.inf)
        if k > len(present):
            padding = np.full((len(points), k - len(present)), np.inf)
            expected = np.column_stack([expected, padding])
        np.testing.assert_allclose(distances, expected)
        valid = found >= 0
        assert np.array_equal(valid, np.isfinite(expected))
        rows, ranks = np.nonzero(valid)
        columns = np.searchsorted(present, found[rows, ranks])
        np.testing.assert_allclose(per_region[rows, columns], distances[rows, ranks])
