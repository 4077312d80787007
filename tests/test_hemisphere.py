"""Hemispheres: region names give L/R, and the published id rules of each atlas (odd ids are
left in AAL/AAL2/AAL3/AICHA, HCPex left = 1-180 and 361-393, Harvard-Oxford cortical maps even
= left) agree with what the database holds; coordinates use a +-2 mm midline band, the same in
Python and SQL."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from c2r_db.hemisphere import MIDLINE_BAND_MM, hemisphere_of_x, side_from_name
from c2r_db.sqlfiles import statements_in


@pytest.mark.parametrize("name, side", [
    ("Precentral_L", "L"), ("G_Frontal_Sup-1-R", "R"), ("Left_Thalamus", "L"),
    ("Right-Cerebellum-Cortex", "R"), ("ctx-lh-insula", "L"), ("ctx_rh_G_front_middle", "R"),
    ("GM_Insula_Id1_R", "R"), ("Vermis_4_5", None), ("Brodmann_area_20", None),
    ("Brain-Stem", None), ("Lateral_Globus_Pallidus", None), ("Left_and_Right", None),
])
def test_side_from_name(name, side):
    assert side_from_name(name) == side


def _regions(db, atlas):
    return db.regions(atlas).to_pylist()


@pytest.mark.parametrize("atlas", ["aal", "aal2", "aal3", "aicha"])
def test_odd_ids_are_left(db, atlas):
    sided = [r for r in _regions(db, atlas) if r["hemisphere"] in ("L", "R")]
    assert len(sided) >= 100
    assert all((r["hemisphere"] == "L") == (r["region_id"] % 2 == 1) for r in sided)
    vermis = [r for r in _regions(db, atlas) if r["name"].startswith("Vermis")]
    assert all(r["hemisphere"] == "M" for r in vermis)


def test_hcpex_ranges(db):
    regions = _regions(db, "hcpex")
    assert len(regions) == 426
    for r in regions:
        left = 1 <= r["region_id"] <= 180 or 361 <= r["region_id"] <= 393
        assert r["hemisphere"] == ("L" if left else "R"), r


def test_harvard_oxford_even_cortical_maps_are_left(db):
    regions = _regions(db, "harvard_oxford")
    cortical = [r for r in regions if r["region_id"] < 96]
    assert len(cortical) == 96
    assert all(r["hemisphere"] == ("L" if r["region_id"] % 2 == 0 else "R") for r in cortical)


def test_talairach_regions_have_no_side(db):
    assert {r["hemisphere"] for r in _regions(db, "talairach_ba")} == {None}


def test_centroids_lie_on_their_side(db):
    for atlas in ("aal3", "destrieux", "hcpex", "juelich"):
        for r in _regions(db, atlas):
            if r["hemisphere"] in ("L", "R") and r["n_voxels"] > 50:
                assert (r["centroid_x"] < 0) == (r["hemisphere"] == "L"), (atlas, r["name"])


def test_x_band_python_equals_sql():
    xs = np.array([-10.0, -2.0001, -2.0, -1.0, 0.0, 1.9, 2.0, 2.0001, 35.0])
    con = duckdb.connect()
    for stmt in statements_in("macros.sql"):
        if "c2r_hemisphere_of_x" in stmt.sql and "TABLE" not in stmt.sql:
            con.execute(stmt.sql)
    sql = [con.sql(f"SELECT c2r_hemisphere_of_x({x}::DOUBLE)").fetchall()[0][0] for x in xs]
    assert list(hemisphere_of_x(xs)) == sql
    assert sql == ["L", "L", "M", "M", "M", "M", "M", "R", "R"]
    assert MIDLINE_BAND_MM == 2.0
    assert hemisphere_of_x(-5.0) == "L"


@pytest.mark.parametrize("coord, word", [
    ([-30.0, 10.0, 5.0], "left"), ((35, -60, 20), "right"), (np.array([1.5, 0, 0]), "midline"),
    ([-2.0, 0, 0], "midline"), ([1.0, 2.0], "unknown"), (None, "unknown"),
    ([float("nan"), 0, 0], "unknown"), (["a", "b", "c"], "unknown"),
])
def test_infer_hemisphere(coord, word):
    from c2r_db import infer_hemisphere

    assert infer_hemisphere(coord) == word
