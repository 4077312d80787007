"""Region queries agree with nibabel/numpy brute force on the shipped atlas files: a region's
voxels, centroid, size and bounding box; distances from coordinates to a region; the k nearest
regions; and the stored SQL macros give the library's answers in plain DuckDB."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from build_index.catalog import shipped_atlas
from c2r_db.errors import InputError, UnknownNameError
from c2r_db.regions import find_region, nearest_regions, region_distances, region_info, \
    region_voxels

from reference import (label_volume, min_distances, read_label_names, region_distance_table,
                       snapped, voxel_centres)

# (atlas, region name as a user might type it): 2 mm, 1 mm, LIA axes, probabilistic (max-prob)
CASES = [("aal2", "insula_l"), ("aal3", "PRECENTRAL_L"), ("desikan_killiany", "ctx-lh-insula"),
         ("harvard_oxford", "left_hippocampus")]


def _reference(atlas):
    source = shipped_atlas(atlas)
    labels, affine = label_volume(str(source.volume))
    names = read_label_names(source.labels)
    return labels, affine, names


def _region_id(names, typed):
    return next(i for i, n in names.items() if n.lower() == typed.lower())


@pytest.mark.parametrize("atlas, typed", CASES)
def test_region_info_and_voxels_match_the_file(db, atlas, typed):
    labels, affine, names = _reference(atlas)
    region = _region_id(names, typed)
    centres, _ = voxel_centres(labels, affine, region)
    info = region_info(db, atlas, typed).to_pylist()[0]
    assert info["region"] == names[region] and info["region_id"] == region
    assert info["n_voxels"] == len(centres)
    np.testing.assert_allclose([info[f"centroid_{a}"] for a in "xyz"], centres.mean(axis=0))
    np.testing.assert_allclose([info["min_x"], info["min_y"], info["min_z"]], centres.min(0))
    np.testing.assert_allclose([info["max_x"], info["max_y"], info["max_z"]], centres.max(0))
    voxel_size = np.abs(np.linalg.det(affine[:3, :3]))
    assert info["volume_mm3"] == pytest.approx(len(centres) * voxel_size)

    voxels = region_voxels(db, atlas, typed)
    got = np.column_stack([voxels.column(a).to_numpy() for a in "xyz"])
    order = np.lexsort(got.T)
    np.testing.assert_allclose(got[order], centres[np.lexsort(centres.T)])
    ijk = np.column_stack([voxels.column(a).to_numpy() for a in "ijk"])
    assert np.all(labels[tuple(ijk.T)] == region)


def test_hemisphere_of_regions(db):
    assert region_info(db, "aal3", "Precentral_R").column("hemisphere").to_pylist() == ["R"]
    assert region_info(db, "aal3", "Vermis_3").column("hemisphere").to_pylist() == ["M"]
    assert region_info(db, "talairach_ba", "brodmann_area_4").column(
        "hemisphere").to_pylist() == [None]


def test_unknown_region_suggests_close_names(db):
    with pytest.raises(UnknownNameError) as caught:
        find_region(db, "aal3", "precentrl")
    message = str(caught.value)
    assert "unknown aal3 region 'precentrl'; did you mean: Precentral_L, Precentral_R" in message
    with pytest.raises(UnknownNameError, match="did you mean: .*Left_Hippocampus"):
        find_region(db, "harvard_oxford", "hippocampus")
    with pytest.raises(UnknownNameError, match="unknown atlas 'aal9'"):
        find_region(db, "aal9", "x")


def test_region_voxels_macro_in_plain_sql(shipped_db, db):
    con = duckdb.connect(str(shipped_db), read_only=True)
    rows = con.sql("SELECT voxel, i, j, k, x, y, z FROM c2r_region_voxels('aal3', 'insula_r') "
                   "ORDER BY voxel").to_arrow_table()
    con.close()
    assert rows.equals(region_voxels(db, "aal3", "Insula_R"))


def _coordinates(affine, labels, n, seed):
    """Random points over the grid plus a 15 mm margin (some off the grid)."""
    corners = np.array([[i, j, k] for i in (0, labels.shape[0] - 1)
                        for j in (0, labels.shape[1] - 1) for k in (0, labels.shape[2] - 1)])
    mm = corners @ affine[:3, :3].T + affine[:3, 3]
    return np.random.default_rng(seed).uniform(mm.min(0) - 15, mm.max(0) + 15, size=(n, 3))


@pytest.mark.parametrize("atlas, typed", CASES)
def test_region_distances_brute_force(db, atlas, typed):
    labels, affine, names = _reference(atlas)
    region = _region_id(names, typed)
    centres, _ = voxel_centres(labels, affine, region)
    inside = centres[np.linspace(0, len(centres) - 1, 20).astype(int)] + 0.3
    coords = np.vstack([_coordinates(affine, labels, 60, seed=5), inside])
    table = pa.table({"id": np.arange(len(coords)), "x": coords[:, 0], "y": coords[:, 1],
                      "z": coords[:, 2]})
    result = region_distances(db, table, atlas, typed)
    assert result.column("id").to_pylist() == list(range(len(coords)))
    np.testing.assert_allclose(result.column("centroid_mm").to_numpy(),
                               np.linalg.norm(coords - centres.mean(axis=0), axis=1))
    expected = min_distances(snapped(coords, affine), centres)
    np.testing.assert_allclose(result.column("nearest_voxel_mm").to_numpy(), expected, atol=1e-9)
    assert np.sum(expected == 0) >= 20  # points inside the region are at 0


@pytest.mark.parametrize("atlas", ["aal2", "desikan_killiany"])
def test_nearest_regions_brute_force(db, atlas):
    labels, affine, _ = _reference(atlas)
    coords = _coordinates(affine, labels, 40, seed=8)
    regions, table = region_distance_table(labels, affine, snapped(coords, affine))
    result = nearest_regions(db, coords, atlas, k=3)
    assert result.num_rows == 3 * len(coords)
    ranks = np.array(result.column("rank").to_pylist()).reshape(-1, 3)
    assert np.all(ranks == [1, 2, 3])
    got_ids = np.array(result.column("region_id").to_pylist()).reshape(-1, 3)
    got_distances = np.array(result.column("distance_mm").to_pylist()).reshape(-1, 3)
    expected = np.sort(table, axis=1)[:, :3]
    np.testing.assert_allclose(got_distances, expected, atol=1e-9)
    for row in range(len(coords)):
        for rank in range(3):
            column = np.flatnonzero(regions == got_ids[row, rank])[0]
            assert table[row, column] == pytest.approx(got_distances[row, rank], abs=1e-9)
        assert len(set(got_ids[row])) == 3


def test_nearest_regions_limit_and_columns(db):
    coords = pa.table({"x": [-42.0, 500.0], "y": [22.0, 0.0], "z": [8.0, 0.0],
                       "label": ["in", "far"]})
    result = nearest_regions(db, coords, "aal3", k=2, max_distance=10)
    rows = result.to_pylist()
    assert [r["label"] for r in rows] == ["in", "in", "far"]
    assert rows[0]["region"] == "Frontal_Inf_Tri_L" and rows[0]["distance_mm"] == 0
    assert rows[0]["hemisphere"] == "L" and rows[1]["distance_mm"] <= 10
    assert rows[2]["rank"] is None and rows[2]["region"] is None
    with pytest.raises(InputError, match="k must be"):
        nearest_regions(db, coords, "aal3", k=0)
    with pytest.raises(InputError, match="clash"):
        nearest_regions(db, pa.table({"x": [0.0], "y": [0.0], "z": [0.0], "rank": [1]}), "aal3")
