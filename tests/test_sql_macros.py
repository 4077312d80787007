"""The macros stored in the database answer plain DuckDB SQL (no c2r_db code on the connection)
exactly as the library does, within the precomputed nearest range."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from c2r_db.lookup import DEFAULT_MAX_DISTANCE_MM, regions_at


@pytest.fixture(scope="module")
def peaks_file(tmp_path_factory):
    rng = np.random.default_rng(9)
    xyz = rng.uniform([-75, -110, -60], [75, 75, 85], size=(3000, 3))
    table = pa.table({"peak": np.arange(3000), "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]})
    path = tmp_path_factory.mktemp("macros") / "peaks.parquet"
    pq.write_table(table, path)
    return path, table


@pytest.mark.parametrize("atlas, max_distance", [
    ("aal3", 0.0), ("destrieux", 12.0), ("harvard_oxford", 4.0), ("talairach_ba", 20.0),
])
def test_macro_equals_library(shipped_db, db, peaks_file, atlas, max_distance):
    path, table = peaks_file
    con = duckdb.connect(str(shipped_db), read_only=True)
    rows = con.sql(
        f"SELECT peak, voxel, region_id, region, hemisphere, distance_mm, probability "
        f"FROM c2r_label('{path}', '{atlas}', max_distance := {max_distance}) ORDER BY peak"
    ).to_arrow_table()
    con.close()
    library = regions_at(db, table, [atlas], max_distance=max_distance, long=True)
    # Outside the atlas grid the macro has no voxel and no answer; the library searches a
    # KD-tree there. Everywhere else the two agree exactly.
    on_grid = rows.column("voxel").is_valid()
    for column in ("region_id", "region", "hemisphere", "distance_mm", "probability"):
        assert (rows.column(column).filter(on_grid).to_pylist()
                == library.column(column).filter(on_grid).to_pylist()), column
    assert rows.column("region_id").filter(on_grid).null_count < pc.sum(on_grid).as_py()
    assert set(rows.column("region_id").filter(pc.invert(on_grid)).to_pylist()) <= {None}


def test_macro_default_distance_is_documented_default(shipped_db, peaks_file):
    path, _ = peaks_file
    con = duckdb.connect(str(shipped_db), read_only=True)
    default, explicit = (
        con.sql(f"SELECT count(region_id), max(distance_mm) FROM c2r_label('{path}', 'aal3'{extra})")
        .fetchall()[0]
        for extra in ("", f", max_distance := {DEFAULT_MAX_DISTANCE_MM}")
    )
    assert default == explicit and 0 < default[1] <= DEFAULT_MAX_DISTANCE_MM
