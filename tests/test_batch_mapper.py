"""BatchAtlasMapper answers exactly what the per-coordinate AtlasMapper methods answer (and
those are checked against brute force in test_atlas_mapper.py); MultiAtlasMapper runs every
atlas of the database and saves without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from build_index.catalog import shipped_atlas
from c2r_db import AtlasMapper, BatchAtlasMapper, MultiAtlasMapper

from reference import exact_labels, label_volume, read_label_names


@pytest.fixture(scope="module")
def aal2():
    source = shipped_atlas("aal2")
    labels, affine = label_volume(str(source.volume))
    names = read_label_names(source.labels)
    mapper = AtlasMapper("aal2", np.where(labels < 0, 0, labels), affine,
                         labels={str(k): v for k, v in names.items()})
    return mapper, labels, affine, names


def _coords(n, seed):
    return np.random.default_rng(seed).uniform([-80, -115, -65], [80, 80, 90], (n, 3))


def test_batch_equals_single_calls(aal2):
    mapper, labels, affine, names = aal2
    batch = BatchAtlasMapper(mapper)
    coords = _coords(300, seed=1)
    for max_distance in (None, 4.0):
        assert batch.batch_mni_to_region_index(coords, max_distance) == [
            mapper.mni_to_region_index(c, max_distance) for c in coords]
        assert batch.batch_mni_to_region_name(coords, max_distance=max_distance) == [
            mapper.mni_to_region_name(c, max_distance) for c in coords]
    assert batch.batch_mni_to_voxel(coords) == [mapper.mni_to_voxel(c) for c in coords]
    voxels = np.array(batch.batch_mni_to_voxel(coords[:20]))
    np.testing.assert_allclose(batch.batch_voxel_to_mni(voxels),
                               [mapper.voxel_to_mni(v) for v in voxels])
    ids = [2001, 2002, "3001", 12345, "x"]
    assert batch.batch_region_name_from_index(ids) == [mapper.region_name_from_index(i)
                                                       for i in ids]
    wanted = ["Insula_L", "Cingulate_Ant_R", "nope"]
    assert batch.batch_region_index_from_name(wanted) == [mapper.region_index_from_name(w)
                                                          for w in wanted]
    for got, name in zip(batch.batch_region_name_to_mni(wanted), wanted):
        np.testing.assert_array_equal(got, mapper.region_name_to_mni(name))
    for got, index in zip(batch.batch_region_index_to_mni([2001, 9999]), [2001, 9999]):
        np.testing.assert_array_equal(got, mapper.region_index_to_mni(index))


def test_batch_exact_names_match_the_file(aal2):
    mapper, labels, affine, names = aal2
    coords = _coords(20000, seed=2)
    expected = exact_labels(labels, affine, coords)
    got = BatchAtlasMapper(mapper).batch_mni_to_region_name(coords)
    assert got == [names[e] if e >= 0 else "Unknown" for e in expected]


def test_batch_needs_a_mapper():
    with pytest.raises(ValueError, match="instance of AtlasMapper"):
        BatchAtlasMapper("aal2")


def test_multi_atlas_mapper(db, tmp_path):
    multi = MultiAtlasMapper(str(tmp_path / "work"), {"aal3": {}, "juelich": {}}, db=db)
    assert set(multi.mappers) == {"aal3", "juelich"}
    coords = _coords(500, seed=3)
    names = multi.batch_mni_to_region_names(coords, max_distance=3)
    for atlas in ("aal3", "juelich"):
        single = BatchAtlasMapper(AtlasMapper.from_database(atlas, db))
        assert names[atlas] == single.batch_mni_to_region_name(coords, max_distance=3)
    regions = multi.batch_region_name_to_mni(["Precentral_L", "GM_Broca's_area_BA44_L"])
    assert [len(r) for r in regions["aal3"]][1] == 0 and len(regions["aal3"][0]) > 1000
    assert len(regions["juelich"][0]) == 0 and len(regions["juelich"][1]) > 100
    path = tmp_path / "multi.c2r"
    multi.save(str(path))
    loaded = MultiAtlasMapper.load(str(path))
    assert loaded.batch_mni_to_region_names(coords, max_distance=3) == names
    with pytest.raises(ValueError, match="holds a MultiAtlasMapper, not an AtlasMapper"):
        AtlasMapper.load(str(path))
