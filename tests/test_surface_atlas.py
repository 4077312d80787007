"""Surface atlases on nilearn's shipped fsaverage5 meshes, with per-vertex labels made here and
written as a FreeSurfer .annot (left) and a GIfTI label file (right): every vertex method
against a numpy brute force over the mesh coordinates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.freesurfer import write_annot, write_geometry

from c2r_db import AtlasMapper, BatchAtlasMapper

from reference import min_distances, softmax_of_negative

NAMES = ["alpha", "beta", "gamma", "delta", "epsilon"]


def _fsaverage5(hemi):
    folder = Path(importlib.util.find_spec("nilearn").origin).parent / "datasets" / "data"
    image = nib.load(str(folder / "fsaverage5" / f"pial_{hemi}.gii.gz"))
    return image.darrays[0].data.astype(np.float64), image.darrays[1].data


def _labels(coords, seed):
    """Each vertex takes the label of the nearest of five seed vertices; the front is -1."""
    seeds = coords[np.random.default_rng(seed).choice(len(coords), len(NAMES), replace=False)]
    labels = np.argmin(((coords[:, None] - seeds[None]) ** 2).sum(axis=2), axis=1)
    return np.where(coords[:, 1] > 40, -1, labels)


@pytest.fixture(scope="module")
def surface(tmp_path_factory):
    folder = tmp_path_factory.mktemp("surface")
    (lh, lh_faces), (rh, rh_faces) = _fsaverage5("left"), _fsaverage5("right")
    lh_labels, rh_labels = _labels(lh, 1), _labels(rh, 2)
    colours = np.column_stack([np.arange(5) * 40, np.full(5, 100), np.full(5, 50),
                               np.zeros(5), np.zeros(5)]).astype(int)
    write_annot(str(folder / "lh.test.annot"), lh_labels, colours, NAMES, fill_ctab=True)
    table = nib.gifti.GiftiLabelTable()
    for key, name in enumerate(NAMES):
        label = nib.gifti.GiftiLabel(key=key, red=key / 5, green=0.5, blue=0.2, alpha=1)
        label.label = name
        table.labels.append(label)
    gifti = nib.gifti.GiftiImage(labeltable=table, darrays=[nib.gifti.GiftiDataArray(
        rh_labels.astype(np.int32), intent="NIFTI_INTENT_LABEL", datatype="NIFTI_TYPE_INT32")])
    nib.save(gifti, str(folder / "rh.test.label.gii"))
    lh_path = Path(importlib.util.find_spec("nilearn").origin).parent / "datasets" / "data" \
        / "fsaverage5" / "pial_left.gii.gz"
    mapper = AtlasMapper.from_surface("test", [lh_path, rh],
                                      [folder / "lh.test.annot", folder / "rh.test.label.gii"])
    subjects = folder / "subjects" / "fsaverage5" / "surf"
    subjects.mkdir(parents=True)
    write_geometry(str(subjects / "lh.white"), lh, lh_faces)
    write_geometry(str(subjects / "rh.white"), rh, rh_faces)
    return {"mapper": mapper, "coords": (lh, rh), "labels": (lh_labels, rh_labels),
            "subjects_dir": str(folder / "subjects"), "folder": folder}


def _queries(surface, n=80, seed=3):
    lh, rh = surface["coords"]
    both = np.vstack([lh, rh])
    return both[np.random.default_rng(seed).choice(len(both), n)] + \
        np.random.default_rng(seed + 1).normal(0, 4, (n, 3))


def _brute_nearest(surface, coord, hemis=(0, 1)):
    best = min(((np.linalg.norm(surface["coords"][h] - coord, axis=1), h) for h in hemis),
               key=lambda pair: pair[0].min())
    distances, hemi = best
    return hemi, int(np.argmin(distances)), float(distances.min())


def test_regions_and_names(surface):
    mapper = surface["mapper"]
    assert mapper.atlas_type == "surface" and mapper.hdr is None
    assert sorted(mapper.list_all_regions()) == sorted(
        [f"{n}-{h}" for n in NAMES for h in ("lh", "rh")])
    lh_labels, rh_labels = surface["labels"]
    np.testing.assert_array_equal(mapper.region_index_from_name("beta-lh"),
                                  np.flatnonzero(lh_labels == 1))
    np.testing.assert_array_equal(mapper.region_index_from_name("gamma-rh"),
                                  np.flatnonzero(rh_labels == 2))
    assert mapper.region_index_from_name("nope").size == 0
    assert mapper.infer_hemisphere("gamma-rh") == "R" and mapper.infer_hemisphere("beta-lh") == "L"
    vertex = int(np.flatnonzero(lh_labels == 3)[0])
    assert mapper.region_name_from_index(vertex) == "delta-lh"  # a bare vertex: left first
    epsilon = rh_labels == 4
    assert list(mapper.vertex_to_region[1][epsilon]) == ["epsilon-rh"] * epsilon.sum()
    assert set(mapper.vertex_to_region[0][lh_labels < 0]) == {"Unknown"}


def test_vertex_conversions(surface):
    mapper = surface["mapper"]
    lh, rh = surface["coords"]
    for coord in _queries(surface, 30):
        hemi, vertex, _ = _brute_nearest(surface, coord)
        assert mapper.mni_to_vertex(coord) == vertex
        assert mapper.mni_to_vertex(coord, hemi=1) == _brute_nearest(surface, coord, (1,))[1]
        assert mapper.convert_to_source(coord, hemi=[0]) == _brute_nearest(surface, coord, (0,))[1]
    assert mapper.mni_to_vertex(rh[123], hemi=1) == 123
    np.testing.assert_allclose(mapper.vertex_to_mni(123, 1), rh[123])
    np.testing.assert_allclose(mapper.vertex_to_mni([5, 6], 0), lh[[5, 6]])
    np.testing.assert_allclose(mapper.vertex_to_mni([5, 6], [0, 1]), [lh[5], rh[6]])
    np.testing.assert_allclose(mapper.convert_to_mni([7], hemi=1), rh[[7]])
    with pytest.raises(ValueError, match="hemi must be provided"):
        mapper.convert_to_mni([7])
    with pytest.raises(ValueError, match="volumetric atlas"):
        mapper.mni_to_voxel([0, 0, 0])


def test_region_lookup_is_the_nearest_vertex(surface):
    mapper = surface["mapper"]
    labels = surface["labels"]
    for coord in _queries(surface):
        hemi, vertex, distance = _brute_nearest(surface, coord)
        label = labels[hemi][vertex]
        name = f"{NAMES[label]}-{('lh', 'rh')[hemi]}" if label >= 0 else "Unknown"
        assert mapper.mni_to_region_index(coord, return_distance=True) == (
            vertex, pytest.approx(distance))
        assert mapper.mni_to_region_name(coord) == name
        limited = mapper.mni_to_region_name(coord, max_distance=2.0)
        assert limited == (name if distance <= 2.0 else "Unknown")
        right = _brute_nearest(surface, coord, (1,))
        assert mapper.mni_to_region_name(coord, hemi="rh") == (
            f"{NAMES[labels[1][right[1]]]}-rh" if labels[1][right[1]] >= 0 else "Unknown")


def test_region_coordinates_and_scores(surface):
    mapper = surface["mapper"]
    lh, rh = surface["coords"]
    lh_labels, rh_labels = surface["labels"]
    points = {f"{n}-lh": lh[lh_labels == i] for i, n in enumerate(NAMES)}
    points.update({f"{n}-rh": rh[rh_labels == i] for i, n in enumerate(NAMES)})
    np.testing.assert_allclose(mapper.region_name_to_mni("alpha-rh"), points["alpha-rh"])
    np.testing.assert_allclose(mapper.region_index_to_mni([3, 4], hemi=1), rh[[3, 4]])
    np.testing.assert_allclose(mapper.region_centroid("gamma-lh"), points["gamma-lh"].mean(0))
    coords = _queries(surface, 6, seed=9)
    for coord in coords:
        assert mapper.distance_to_region_boundary(coord, "beta-rh") == pytest.approx(
            min_distances([coord], points["beta-rh"])[0])
        assert mapper.distance_to_region_centroid(coord, "delta-lh") == pytest.approx(
            np.linalg.norm(coord - points["delta-lh"].mean(0)))
        order = mapper.list_all_regions()
        for method in ("centroid", "boundary"):
            distances = [np.linalg.norm(coord - points[r].mean(0)) if method == "centroid"
                         else min_distances([coord], points[r])[0] for r in order]
            scores = mapper.membership_scores(coord, method)
            assert list(scores) == order
            np.testing.assert_allclose(list(scores.values()),
                                       softmax_of_negative([distances])[0], atol=1e-12)


def test_batch_on_surface(surface):
    mapper = surface["mapper"]
    batch = BatchAtlasMapper(mapper)
    coords = _queries(surface, 50, seed=11)
    assert batch.batch_mni_to_region_name(coords) == [mapper.mni_to_region_name(c)
                                                      for c in coords]
    assert batch.batch_mni_to_region_index(coords, max_distance=1.0) == [
        mapper.mni_to_region_index(c, max_distance=1.0) for c in coords]


def test_mesh_from_subjects_dir_and_save(surface, tmp_path):
    mapper = surface["mapper"]
    from_subject = AtlasMapper("fs", [np.arange(10242), np.arange(10242)], None,
                               subject="fsaverage5", regions=mapper.regions,
                               subjects_dir=surface["subjects_dir"])
    coords = _queries(surface, 40, seed=12)
    expected = [mapper.mni_to_region_name(c) for c in coords]
    assert [from_subject.mni_to_region_name(c) for c in coords] == expected
    path = tmp_path / "surface.c2r"
    mapper.save(str(path))
    loaded = AtlasMapper.load(str(path))
    assert [loaded.mni_to_region_name(c) for c in coords] == expected
    with pytest.raises(ValueError, match="needs `mesh`"):
        AtlasMapper("fs", [np.arange(3), np.arange(3)], None, regions=None)
    with pytest.raises(ValueError, match="cannot tell the hemisphere"):
        AtlasMapper("fs", [np.arange(3), np.arange(3)], None, regions={"middle": [0]},
                    mesh=[np.zeros((3, 3)), np.zeros((3, 3))])
