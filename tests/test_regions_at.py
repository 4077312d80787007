"""Coordinate -> region lookups agree with an independent nibabel/numpy reference on every
shipped atlas: exact labels on random float and whole-mm coordinates, and the nearest-region
fallback (precomputed table and KD-tree) against a brute-force search."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from build_index.catalog import SHIPPED_ATLASES, shipped_atlas
from c2r_db.lookup import regions_at

from reference import brute_force_nearest, exact_labels, label_volume, read_label_names


def _random_coords(labels, affine, n, seed, whole_mm):
    """Coordinates spread over the atlas grid's extent plus a 10 mm margin."""
    corners = np.array([[i, j, k] for i in (0, labels.shape[0] - 1)
                        for j in (0, labels.shape[1] - 1) for k in (0, labels.shape[2] - 1)])
    mm = corners @ affine[:3, :3].T + affine[:3, 3]
    low, high = mm.min(axis=0) - 10, mm.max(axis=0) + 10
    coords = np.random.default_rng(seed).uniform(low, high, size=(n, 3))
    return np.round(coords) if whole_mm else coords


def _reference(name):
    source = shipped_atlas(name)
    labels, affine = label_volume(str(source.volume))
    return source, labels, affine


@pytest.mark.parametrize("whole_mm", [False, True], ids=["float", "whole-mm"])
@pytest.mark.parametrize("atlas", SHIPPED_ATLASES)
def test_exact_labels_match_nibabel(db, atlas, whole_mm):
    source, labels, affine = _reference(atlas)
    coords = _random_coords(labels, affine, 4000, seed=len(atlas) + whole_mm, whole_mm=whole_mm)
    expected = exact_labels(labels, affine, coords)
    assert (expected >= 0).sum() > 250, "the sample must hit many labelled voxels"

    result = regions_at(db, coords, [atlas], max_distance=0, long=True)
    got = result.column("region_id").to_numpy(zero_copy_only=False)
    got = np.where(np.isnan(got.astype(float)), -1, got).astype(np.int64)
    np.testing.assert_array_equal(got, expected)

    names = read_label_names(source.labels)
    hit = expected >= 0
    expected_names = [names.get(int(r), f"unnamed_{r}") for r in expected[hit]]
    assert result.column("region").to_numpy(zero_copy_only=False)[hit].tolist() == expected_names
    distances = result.column("distance_mm").to_numpy(zero_copy_only=False).astype(float)
    assert np.all(distances[hit] == 0) and np.all(np.isnan(distances[~hit]))


@pytest.mark.parametrize("atlas", SHIPPED_ATLASES)
def test_nearest_fallback_matches_brute_force(db, atlas):
    """Background points within the precomputed range (8 mm) and beyond it (25 mm, KD-tree)."""
    _, labels, affine = _reference(atlas)
    coords = _random_coords(labels, affine, 3000, seed=7, whole_mm=False)
    background = coords[exact_labels(labels, affine, coords) < 0][:60]
    truth = brute_force_nearest(labels, affine, background)
    for max_distance in (8.0, 25.0):
        result = regions_at(db, background, [atlas], max_distance=max_distance, long=True)
        region_ids = result.column("region_id").to_pylist()
        distances = result.column("distance_mm").to_pylist()
        for (best, regions), got_id, got_distance in zip(truth, region_ids, distances):
            if best <= max_distance - 1e-9:
                assert got_distance == pytest.approx(best, abs=1e-9)
                assert got_id in regions
            elif best > max_distance + 1e-9:
                assert got_id is None and got_distance is None
    assert any(best <= 8 for best, _ in truth) and any(8 < best <= 25 for best, _ in truth)


def test_outside_grid_uses_kd_tree(db):
    """Talairach grids stop at z = -42 mm: points below the grid still find the nearest region."""
    _, labels, affine = _reference("talairach_gyrus")
    rng = np.random.default_rng(3)
    below = np.column_stack([rng.uniform(-40, 40, 40), rng.uniform(-80, 20, 40),
                             rng.uniform(-50, -44, 40)])
    assert np.all(exact_labels(labels, affine, below) == -1)
    truth = brute_force_nearest(labels, affine, below)
    result = regions_at(db, below, ["talairach_gyrus"], max_distance=12, long=True)
    for (best, regions), got_id, got_distance in zip(
        truth, result.column("region_id").to_pylist(), result.column("distance_mm").to_pylist()
    ):
        if best <= 12 - 1e-9:
            assert got_id in regions and got_distance == pytest.approx(best, abs=1e-9)
    assert sum(d is not None for d in result.column("distance_mm").to_pylist()) > 10


def test_whole_mm_ties_round_half_up(db):
    """On the 2 mm aal2 grid (x = 74 - 2i) x = -41 lies between i = 57 and 58: floor(57.5 + .5)."""
    coords = np.array([[-41.0, 20.0, 10.0]])
    result = regions_at(db, coords, ["aal2"], max_distance=0, long=True)
    source, labels, affine = _reference("aal2")
    i, j, k = np.floor(np.linalg.inv(affine) @ np.array([-41.0, 20.0, 10.0, 1.0]) + 0.5)[:3]
    assert i == 58
    expected = labels[int(i), int(j), int(k)]
    assert result.column("region_id").to_pylist() == [None if expected < 0 else expected]


def test_wide_and_long_forms_agree(db):
    coords = pa.table({"x": [-42.0, 0.0, 150.0], "y": [22.0, -50.0, 0.0], "z": [8.0, 20.0, 0.0],
                       "label": ["a", "b", "c"]})
    atlases = ["aal3", "harvard_oxford", "talairach_ba"]
    wide = regions_at(db, coords, atlases)
    long = regions_at(db, coords, atlases, long=True)
    assert wide.column_names == ["x", "y", "z", "label"] + [
        c for a in atlases for c in (a, f"{a}_mm")]
    assert long.num_rows == 9
    assert long.column("label").to_pylist() == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    assert long.column("atlas").to_pylist() == atlases * 3
    for a_index, atlas in enumerate(atlases):
        assert wide.column(atlas).to_pylist() == long.column("region").to_pylist()[a_index::3]
        assert wide.column(f"{atlas}_mm").to_pylist() == long.column("distance_mm").to_pylist()[a_index::3]
    assert wide.column("aal3").to_pylist()[2] is None  # far outside the brain: no label


def test_probability_is_the_file_value_at_the_voxel(db):
    source, labels, affine = _reference("harvard_oxford")
    import nibabel as nib

    maps = np.asarray(nib.load(str(source.volume)).dataobj)
    coords = _random_coords(labels, affine, 300, seed=11, whole_mm=False)
    result = regions_at(db, coords, ["harvard_oxford"], max_distance=0, long=True)
    from reference import voxel_indices

    ijk = voxel_indices(coords, affine)
    checked = 0
    for (i, j, k), region, probability in zip(
        ijk, result.column("region_id").to_pylist(), result.column("probability").to_pylist()
    ):
        if region is None:
            assert probability is None
            continue
        assert probability == pytest.approx(float(maps[i, j, k, region]) / 100)
        checked += 1
    assert checked > 50


def test_hemisphere_column(db):
    coords = np.array([[-30.0, -66.0, 32.0], [30.0, -70.0, 36.0], [0.5, -20.0, 60.0]])
    result = regions_at(db, coords, ["aal3", "talairach_ba"], long=True)
    by_atlas = {}
    for atlas, side in zip(result.column("atlas").to_pylist(), result.column("hemisphere").to_pylist()):
        by_atlas.setdefault(atlas, []).append(side)
    assert by_atlas["aal3"][:2] == ["L", "R"]
    # Talairach labels are bilateral: the side comes from x, |x| <= 2 mm is midline.
    assert by_atlas["talairach_ba"] == ["L", "R", "M"]


def test_talairach_input_is_converted_and_kept(db):
    from nimare.utils import tal2mni

    tal = np.array([[-40.0, 20.0, 10.0], [30.0, -60.0, -20.0]])
    result = regions_at(db, tal, ["aal3"], space="tal")
    mni = np.column_stack([result.column(c).to_numpy() for c in ("x_mni", "y_mni", "z_mni")])
    np.testing.assert_allclose(mni, tal2mni(tal), atol=1e-9)
    np.testing.assert_array_equal(result.column("x").to_numpy(), tal[:, 0])
    direct = regions_at(db, mni, ["aal3"])
    assert result.column("aal3").to_pylist() == direct.column("aal3").to_pylist()
