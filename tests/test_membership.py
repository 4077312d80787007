"""Membership: probabilistic atlases report the atlas file's own values at the voxel (read here
with nibabel), every region above the threshold; coord2region's centroid and boundary scores
equal the textbook formula over brute-force distances."""

from __future__ import annotations

import duckdb
import nibabel as nib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from build_index.catalog import shipped_atlas
from c2r_db.errors import InputError
from c2r_db.membership import membership, membership_scores, normalised_scores

from reference import (label_volume, region_distance_table, softmax_of_negative, voxel_centres,
                       voxel_indices)


@pytest.fixture(scope="module")
def maps():
    """The 4D probability maps of both probabilistic atlases, as stored in the files."""
    out = {}
    for atlas in ("harvard_oxford", "juelich"):
        image = nib.load(str(shipped_atlas(atlas).volume))
        out[atlas] = (np.asarray(image.dataobj), image.affine)
    return out


def _brain_box(n, seed):
    return np.random.default_rng(seed).uniform([-75, -110, -60], [75, 75, 85], size=(n, 3))


@pytest.mark.parametrize("min_prob", [0.0, 0.25])
def test_probabilities_are_the_file_values_at_the_voxel(db, maps, min_prob):
    coords = _brain_box(1000, seed=21)
    table = pa.table({"peak": np.arange(1000), "x": coords[:, 0], "y": coords[:, 1],
                      "z": coords[:, 2]})
    result = membership(db, table, ["harvard_oxford", "juelich"], min_prob=min_prob)
    got = {}
    for row in result.to_pylist():
        got.setdefault((row["peak"], row["atlas"]), []).append(
            (row["region_id"], row["probability"]))
    checked = 0
    for atlas, (data, affine) in maps.items():
        ijk = voxel_indices(coords, affine)
        inside = np.all((ijk >= 0) & (ijk < np.array(data.shape[:3])), axis=1)
        for peak in range(len(coords)):
            values = data[tuple(ijk[peak])] / 100 if inside[peak] else np.zeros(data.shape[3])
            keep = (values > 0) & (values >= min_prob)
            expected = sorted(zip(np.flatnonzero(keep).tolist(), values[keep].tolist()),
                              key=lambda pair: (-pair[1], pair[0]))
            rows = got[(peak, atlas)]
            if not expected:
                assert rows == [(None, None)]
                continue
            assert [r for r, _ in rows] == [r for r, _ in expected]
            np.testing.assert_allclose([p for _, p in rows], [p for _, p in expected])
            checked += len(expected)
    assert checked > 300


def test_rows_keep_input_order_then_atlas_order(db):
    coords = np.array([[-30.0, -66.0, 32.0], [900.0, 0.0, 0.0], [2.0, 16.0, 48.0]])
    result = membership(db, coords, ["juelich", "harvard_oxford"], min_prob=0.1)
    rows = result.to_pylist()
    order = [(round(r["x"]), r["atlas"]) for r in rows]
    assert order == sorted(order, key=lambda o: ([-30, 900, 2].index(o[0]),
                                                 ["juelich", "harvard_oxford"].index(o[1])))
    assert [r["region"] for r in rows if r["x"] == 900.0] == [None, None]
    named = [r for r in rows if r["region"]]
    assert all(r["hemisphere"] in ("L", "R", "M") for r in named)
    assert result.schema.field("probability").type == pa.float64()


def test_membership_macro_in_plain_sql(shipped_db, db, tmp_path):
    coords = _brain_box(500, seed=3)
    path = tmp_path / "peaks.parquet"
    pq.write_table(pa.table({"peak": np.arange(500), "x": coords[:, 0], "y": coords[:, 1],
                             "z": coords[:, 2]}), path)
    con = duckdb.connect(str(shipped_db), read_only=True)
    rows = con.sql(f"SELECT peak, region_id, region, hemisphere, probability FROM "
                   f"c2r_membership('{path}', 'juelich', min_prob := 0.3) "
                   "ORDER BY peak, probability DESC NULLS LAST, region_id").to_arrow_table()
    con.close()
    library = membership(db, pq.read_table(path), ["juelich"], min_prob=0.3)
    assert rows.to_pylist() == library.select(
        ["peak", "region_id", "region", "hemisphere", "probability"]).to_pylist()


def test_membership_refuses_deterministic_atlases_and_bad_thresholds(db):
    with pytest.raises(InputError, match="'aal3' is deterministic"):
        membership(db, [[0.0, 0.0, 0.0]], ["harvard_oxford", "aal3"])
    with pytest.raises(InputError, match="min_prob must be"):
        membership(db, [[0.0, 0.0, 0.0]], ["juelich"], min_prob=1.5)


def test_normalised_scores_are_stable():
    far = np.array([[800.0, 801.0], [np.inf, np.inf], [0.0, np.inf]])
    scores = normalised_scores(far)
    np.testing.assert_allclose(scores[0], softmax_of_negative([[0.0, 1.0]])[0])
    assert scores[1].tolist() == [0.0, 0.0] and scores[2].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("method", ["centroid", "boundary"])
def test_scores_equal_formula_over_brute_force_distances(db, method):
    source = shipped_atlas("aal2")
    labels, affine = label_volume(str(source.volume))
    coords = _brain_box(25, seed=13)
    if method == "centroid":
        centres, owners = voxel_centres(labels, affine)
        regions = np.unique(owners)
        centroids = np.array([centres[owners == r].mean(axis=0) for r in regions])
        distances = np.linalg.norm(coords[:, None, :] - centroids[None], axis=2)
    else:
        regions, distances = region_distance_table(labels, affine, coords)
    expected = softmax_of_negative(distances - distances.min(axis=1, keepdims=True))
    result = membership_scores(db, coords, ["aal2"], method=method)
    assert result.num_rows == len(coords) * len(regions)
    got = np.zeros_like(expected)
    got_distance = np.zeros_like(expected)
    row = np.repeat(np.arange(len(coords)), len(regions))
    column = np.searchsorted(regions, result.column("region_id").to_numpy())
    got[row, column] = result.column("score").to_numpy()
    got_distance[row, column] = result.column("distance_mm").to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(got_distance, distances, atol=1e-9)
    scores = result.column("score").to_numpy().reshape(len(coords), -1)
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first


def test_scores_threshold_keeps_every_row(db):
    result = membership_scores(db, [[-42.0, 22.0, 8.0], [500.0, 500.0, 500.0]], ["aal3"],
                               method="centroid", min_score=0.5)
    rows = result.to_pylist()
    assert [r["region"] for r in rows][0] == "Frontal_Inf_Tri_L"
    assert all(r["score"] is None or r["score"] >= 0.5 for r in rows)
    assert len(rows) == 2
    with pytest.raises(InputError, match="unknown membership score method"):
        membership_scores(db, [[0.0, 0.0, 0.0]], ["aal3"], method="voxel")
