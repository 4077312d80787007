"""AtlasMapper on volumetric atlases: every documented method against a numpy brute force on
the atlas arrays (label volumes made here with a seeded RNG, and real atlas files read with
nibabel), mappers built from the database reproduce the atlas files, save/load never
unpickles."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from nimare.utils import mni2tal

from build_index.catalog import shipped_atlas
from c2r_db import AtlasMapper, regions_at
from c2r_db.compat.storage import FileFormatError

from reference import (brett_mni2tal, exact_labels, label_volume, min_distances,
                       read_label_names, snapped, softmax_of_negative, voxel_centres)

AFFINES = {
    "las_2mm": np.array([[-2.0, 0, 0, 30], [0, 2, 0, -40], [0, 0, 2, -28], [0, 0, 0, 1]]),
    "oblique": np.array([[1.9, 0.3, 0.1, -30], [-0.25, 1.8, 0.4, -40], [0.05, -0.35, 2.1, -30],
                         [0, 0, 0, 1]]),
}
SHAPE = (30, 34, 28)
NAMES = {0: "Background", 1: "Blob_L", 2: "Blob_R", 3: "Knot_Left", 4: "Knot_Right",
         5: "Vermis_Mid", 6: "ctx-lh-far"}


def _blobs(rng):
    """Labels 1..6 in overlapping spheres on a zero background (a later sphere covers part of
    an earlier one)."""
    vol = np.zeros(SHAPE, dtype=np.int16)
    ijk = np.indices(SHAPE).reshape(3, -1).T
    for region in range(1, 7):
        centre = rng.uniform(6, np.array(SHAPE) - 6)
        vol.reshape(-1)[np.linalg.norm(ijk - centre, axis=1) <= rng.uniform(5, 9)] = region
    return vol


@pytest.fixture(params=list(AFFINES))
def atlas(request):
    vol = _blobs(np.random.default_rng(len(request.param)))
    affine = AFFINES[request.param]
    mapper = AtlasMapper("blobs", vol, affine, labels={str(k): v for k, v in NAMES.items()})
    return mapper, vol, affine, request.param


def _reference_labels(vol):
    return np.where(vol == 0, -1, vol).astype(np.int64)


def _coords(affine, n, seed, margin=6.0):
    corners = np.array([[i, j, k] for i in (0, SHAPE[0] - 1) for j in (0, SHAPE[1] - 1)
                        for k in (0, SHAPE[2] - 1)])
    mm = corners @ affine[:3, :3].T + affine[:3, 3]
    return np.random.default_rng(seed).uniform(mm.min(0) - margin, mm.max(0) + margin, (n, 3))


def test_names_and_indexes(atlas):
    mapper, vol, *_ = atlas
    assert mapper.region_name_from_index(3) == "Knot_Left"
    assert mapper.region_name_from_index("4") == "Knot_Right"
    assert mapper.region_name_from_index(99) == "Unknown"
    assert mapper.region_name_from_index("abc") == "Unknown"
    assert mapper.region_index_from_name("Blob_R") == 2
    assert mapper.region_index_from_name("nope") == "Unknown"
    assert mapper.list_all_regions() == list(NAMES.values())
    assert mapper.shape == SHAPE and mapper.atlas_type == "volume"


@pytest.mark.parametrize("labels, indexes, index, name", [
    (["a", "b", "c"], [10, 20, 30], 20, "b"),
    (np.array(["a", "b", "c"]), np.array([10, 20, 30]), 30, "c"),
    (["zero", "one", "two"], None, 1, "one"),
    ({"7": "seven", "8": "eight"}, None, 8, "eight"),
])
def test_label_forms(labels, indexes, index, name):
    mapper = AtlasMapper("x", np.zeros((2, 2, 2), int), np.eye(4), labels=labels,
                         indexes=indexes)
    assert mapper.region_name_from_index(index) == name
    assert mapper.region_index_from_name(name) == index
    assert mapper.list_all_regions() == [str(n) for n in (labels.values()
                                                          if isinstance(labels, dict)
                                                          else labels)]
    empty = AtlasMapper("x", np.zeros((2, 2, 2), int), np.eye(4))
    assert empty.region_name_from_index(1) == "Unknown" and empty.list_all_regions() == []


def test_infer_hemisphere(atlas):
    mapper = atlas[0]
    assert [mapper.infer_hemisphere(r) for r in ("Blob_L", "Knot_Right", 3, "Vermis_Mid",
                                                 "ctx-lh-far")] == ["L", "R", "L", None, "L"]
    assert mapper.infer_hemisphere("2") == "R"  # a string holding an index
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert mapper.infer_hemisphere("Nowhere_L") is None
    assert "not part of the 'blobs' atlas" in str(caught[0].message)


def test_voxel_conversions(atlas):
    mapper, vol, affine, kind = atlas
    coords = _coords(affine, 300, seed=1, margin=0)
    expected = np.floor(np.c_[coords, np.ones(len(coords))] @ np.linalg.inv(affine).T
                        + 0.5)[:, :3].astype(int)
    if kind == "las_2mm":  # orthogonal: the rounding rule gives the nearest voxel centre
        grid = np.indices(SHAPE).reshape(3, -1).T
        centres = grid @ affine[:3, :3].T + affine[:3, 3]
        nearest = grid[[np.argmin(((centres - c) ** 2).sum(1)) for c in coords]]
        np.testing.assert_array_equal(nearest, expected)
    assert [mapper.mni_to_voxel(c) for c in coords[:20]] == [tuple(e) for e in expected[:20]]
    assert mapper.convert_to_source(list(coords[0])) == tuple(expected[0])
    np.testing.assert_allclose(mapper.voxel_to_mni(expected[0]),
                               affine[:3, :3] @ expected[0] + affine[:3, 3])
    np.testing.assert_allclose(mapper.voxel_to_mni(expected), expected @ affine[:3, :3].T
                               + affine[:3, 3])
    np.testing.assert_allclose(mapper.convert_to_mni([1, 2, 3]), mapper.voxel_to_mni([1, 2, 3]))
    with pytest.raises(ValueError, match="3 numbers"):
        mapper.mni_to_voxel([1.0, 2.0])
    with pytest.raises(ValueError, match="surface atlas"):
        mapper.mni_to_vertex([0.0, 0.0, 0.0])


def test_exact_region_lookup(atlas):
    mapper, vol, affine, _ = atlas
    coords = _coords(affine, 600, seed=2)
    expected = exact_labels(_reference_labels(vol), affine, coords)
    assert 50 < (expected > 0).sum() < 550
    got = [mapper.mni_to_region_index(c, return_distance=True) for c in coords]
    assert [g[0] for g in got] == [int(e) if e > 0 else "Unknown" for e in expected]
    assert [g[1] for g in got] == [0.0 if e > 0 else np.inf for e in expected]
    names = [mapper.mni_to_region_name(c) for c in coords]
    assert names == [NAMES[e] if e > 0 else "Unknown" for e in expected]


@pytest.mark.parametrize("max_distance", [3.0, 9.0, 40.0])
def test_nearest_fallback_is_the_nearest_labelled_voxel(atlas, max_distance):
    mapper, vol, affine, _ = atlas
    labels = _reference_labels(vol)
    coords = _coords(affine, 800, seed=3, margin=12)
    centres, owners = voxel_centres(labels, affine)
    origins = snapped(coords, affine)
    best = min_distances(origins, centres)
    hits = 0
    for coord, origin, distance in zip(coords, origins, best):
        index, got = mapper.mni_to_region_index(coord, max_distance=max_distance,
                                                return_distance=True)
        if distance > max_distance + 1e-9:
            assert (index, got) == ("Unknown", np.inf)
            continue
        assert got == pytest.approx(distance, abs=1e-9)
        tied = owners[np.abs(np.linalg.norm(centres - origin, axis=1) - distance) < 1e-9]
        assert index in tied.tolist()
        assert mapper.mni_to_region_name(coord, max_distance=max_distance) == NAMES[index]
        hits += distance > 0
    assert hits > 20


def test_region_coordinates_centroid_and_distances(atlas):
    mapper, vol, affine, _ = atlas
    labels = _reference_labels(vol)
    coords = _coords(affine, 30, seed=4)
    for region in np.unique(labels[labels > 0]):
        centres, _ = voxel_centres(labels, affine, region)
        np.testing.assert_allclose(mapper.region_index_to_mni(int(region)), centres)
        np.testing.assert_allclose(mapper.region_name_to_mni(NAMES[region]), centres)
        np.testing.assert_allclose(mapper.region_centroid(NAMES[region]), centres.mean(0))
        np.testing.assert_allclose(mapper.region_centroid(int(region)), centres.mean(0))
        for coord in coords[:5]:
            assert mapper.distance_to_region_centroid(coord, NAMES[region]) == pytest.approx(
                np.linalg.norm(coord - centres.mean(0)))
            assert mapper.distance_to_region_boundary(coord, int(region)) == pytest.approx(
                min_distances([coord], centres)[0])
    both = mapper.region_index_to_mni([1, 2])
    np.testing.assert_allclose(both, voxel_centres(np.where(np.isin(labels, [1, 2]), labels, -1),
                                                   affine)[0])
    assert mapper.region_index_to_mni("x").shape == (0, 3)
    assert mapper.region_name_to_mni("nope").shape == (0, 3)
    assert mapper.region_centroid("nope").size == 0
    assert mapper.distance_to_region_centroid([0, 0, 0], "nope") == np.inf
    assert mapper.distance_to_region_boundary([0, 0, 0], 99) == np.inf


@pytest.mark.parametrize("method", ["centroid", "boundary"])
def test_membership_scores(atlas, method):
    mapper, vol, affine, _ = atlas
    labels = _reference_labels(vol)
    present = np.unique(labels[labels > 0])
    for coord in _coords(affine, 8, seed=5):
        distances = []
        for region in present:
            centres, _ = voxel_centres(labels, affine, region)
            distances.append(np.linalg.norm(coord - centres.mean(0)) if method == "centroid"
                             else min_distances([coord], centres)[0])
        expected = softmax_of_negative([distances])[0]
        scores = mapper.membership_scores(coord, method=method)
        assert list(scores) == [NAMES[r] for r in present]
        np.testing.assert_allclose(list(scores.values()), expected, atol=1e-12)
    with pytest.raises(ValueError, match="unknown method"):
        mapper.membership_scores([0, 0, 0], method="nearest")


def test_convert_system():
    mapper = AtlasMapper("x", np.zeros((2, 2, 2), int), np.eye(4))
    points = np.random.default_rng(6).uniform(-70, 70, (50, 3))
    np.testing.assert_allclose(mapper.convert_system(points, "mni", "tal"), mni2tal(points.copy()))
    np.testing.assert_allclose(mapper.convert_system(points[0], "MNI", "tal"),
                               mni2tal(points[:1].copy())[0])
    np.testing.assert_allclose(mapper.convert_system(points, "tal", "tal"), points)
    brett = AtlasMapper("x", np.zeros((2, 2, 2), int), np.eye(4), tal_transform="brett")
    np.testing.assert_allclose(brett.convert_system(points, "mni", "tal"), brett_mni2tal(points))
    np.testing.assert_allclose(brett.convert_system(brett_mni2tal(points[points[:, 2] > 5]),
                                                    "tal", "mni"), points[points[:, 2] > 5])
    with pytest.raises(ValueError, match="Unsupported system conversion"):
        mapper.convert_system(points, "mni", "native")
    tal_atlas = AtlasMapper("x", np.zeros((9, 9, 9), int), np.eye(4), system="tal")
    tal = mni2tal(np.array([[4.0, 4.0, 4.0]]))[0]
    assert tal_atlas.convert_to_source([4.0, 4.0, 4.0]) == tuple(
        int(v) for v in np.floor(tal + 0.5))


@pytest.mark.parametrize("name", ["aal2", "harvard_oxford", "desikan_killiany"])
def test_from_database_reproduces_the_atlas_file(db, name):
    source = shipped_atlas(name)
    labels, affine = label_volume(str(source.volume))
    mapper = AtlasMapper.from_database(name, db)
    np.testing.assert_array_equal(mapper.vol, labels)
    np.testing.assert_allclose(mapper.hdr, affine)
    names = read_label_names(source.labels)
    for region in np.unique(labels[labels >= 0])[:5]:
        assert mapper.region_name_from_index(int(region)) == names[int(region)]
    coords = np.random.default_rng(7).uniform([-75, -110, -60], [75, 75, 85], (3000, 3))
    for max_distance in (None, 6.0):
        ours = mapper.locate(coords, max_distance)
        table = regions_at(db, coords, [name], max_distance=max_distance or 0, long=True)
        distances = np.array([np.inf if d is None else d
                              for d in table.column("distance_mm").to_pylist()])
        np.testing.assert_allclose(ours[2], distances, atol=1e-12)
        theirs = [r or "Unknown" for r in table.column("region").to_pylist()]
        agree = np.array(theirs, dtype=object) == ours[1]
        assert agree.mean() > 0.995  # the rest are equidistant regions (ties)


def test_arrays_mapper_matches_file_labels():
    source = shipped_atlas("aal2")
    labels, affine = label_volume(str(source.volume))
    names = read_label_names(source.labels)
    vol = np.where(labels < 0, 0, labels)
    mapper = AtlasMapper("aal2", vol, affine, labels=list(names.values()), indexes=list(names))
    coords = np.random.default_rng(8).uniform([-75, -110, -60], [75, 75, 85], (5000, 3))
    expected = exact_labels(labels, affine, coords)
    got = mapper.locate(coords)[1]
    assert got.tolist() == [names.get(int(e), "Unknown") if e >= 0 else "Unknown"
                            for e in expected]


def test_save_and_load_round_trip(atlas, tmp_path):
    mapper, vol, affine, _ = atlas
    path = tmp_path / "blobs.c2r"
    mapper.save(str(path))
    loaded = AtlasMapper.load(str(path))
    np.testing.assert_array_equal(loaded.vol, mapper.vol)
    np.testing.assert_array_equal(loaded.hdr, mapper.hdr)
    assert loaded.labels == mapper.labels and loaded.name == "blobs"
    coords = _coords(affine, 200, seed=9)
    assert loaded.locate(coords, 5.0)[1].tolist() == mapper.locate(coords, 5.0)[1].tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs.c2r"]


class _Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle payload ran')",))


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "mapper.pkl"
    path.write_bytes(pickle.dumps({"metadata": {"class": "AtlasMapper"}, "state": _Boom()}))
    with pytest.raises(ValueError, match="not a file written by c2r-db"):
        AtlasMapper.load(str(path))
    with pytest.raises(FileFormatError):
        AtlasMapper.load(str(path))
