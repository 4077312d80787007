"""mm <-> voxel arithmetic: Python (c2r_db.grid) and SQL (c2r_voxel_key macro) agree with each
other bit for bit and with nibabel's apply_affine, for diagonal, flipped, axis-swapped (LIA)
and oblique affines, including whole-mm coordinates that fall exactly between voxel centres."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from c2r_db import grid
from c2r_db.sqlfiles import statements_in

from reference import voxel_indices

AFFINES = {
    "ras_1mm": np.array([[1.0, 0, 0, -90], [0, 1, 0, -126], [0, 0, 1, -72], [0, 0, 0, 1]]),
    "las_2mm": np.array([[-2.0, 0, 0, 74], [0, 2, 0, -108], [0, 0, 2, -64], [0, 0, 0, 1]]),
    "las_1.5mm": np.array([[-1.5, 0, 0, 72], [0, 1.5, 0, -106.5], [0, 0, 1.5, -66], [0, 0, 0, 1]]),
    "lia_1mm": np.array([[-1.0, 0, 0, 72], [0, 0, 1, -107], [0, -1, 0, 82], [0, 0, 0, 1]]),
    "oblique": np.array([[1.9, 0.3, 0.1, -80], [-0.25, 1.8, 0.4, -110], [0.05, -0.35, 2.1, -60],
                         [0, 0, 0, 1]]),
}
SHAPE = (91, 109, 91)


def _sql_keys(coords, affine):
    con = duckdb.connect()
    for stmt in statements_in("macros.sql"):
        if "AS TABLE" not in stmt.sql:  # scalar macros: they need no tables
            con.execute(stmt.sql)
    con.register("pts", {"x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2]})
    inv = grid.inverse_rows(affine).tolist()
    rows = con.sql(
        "SELECT coalesce(c2r_voxel_key($inv::DOUBLE[12], $shape::INTEGER[3], x, y, z), -1) "
        "FROM pts", params={"inv": inv, "shape": list(SHAPE)}
    ).fetchall()
    return np.array([r[0] for r in rows], dtype=np.int64)


def _coords(affine, whole_mm, seed=0, n=20000):
    rng = np.random.default_rng(seed)
    ijk = rng.uniform(-3, np.array(SHAPE) + 2, size=(n, 3))
    mm = ijk @ affine[:3, :3].T + affine[:3, 3]
    return np.round(mm) if whole_mm else mm


@pytest.mark.parametrize("whole_mm", [False, True], ids=["float", "whole-mm"])
@pytest.mark.parametrize("name", list(AFFINES))
def test_python_sql_and_nibabel_agree(name, whole_mm):
    affine = AFFINES[name]
    coords = _coords(affine, whole_mm)
    ours = grid.mm_to_voxel(coords, grid.inverse_rows(affine))
    python_keys = grid.voxel_key(ours, SHAPE)
    np.testing.assert_array_equal(python_keys, _sql_keys(coords, affine))
    reference = voxel_indices(coords, affine)
    if name == "oblique":
        # Inverse entries are not exact binary fractions: nibabel's matrix product may differ
        # in the last bit, which only matters within 1e-9 of a voxel boundary.
        continuous = np.column_stack([
            coords @ np.linalg.inv(affine)[r, :3] + np.linalg.inv(affine)[r, 3] for r in range(3)
        ])
        near_tie = np.any(np.abs(continuous - np.floor(continuous) - 0.5) < 1e-9, axis=1)
        np.testing.assert_array_equal(ours[~near_tie], reference[~near_tie])
    else:
        np.testing.assert_array_equal(ours, reference)


def test_ties_go_to_the_larger_index():
    affine = AFFINES["las_2mm"]  # x = 74 - 2 i: odd whole-mm x falls between two centres
    ijk = grid.mm_to_voxel([[-41.0, 0.0, 0.0], [-39.0, 0.0, 0.0]], grid.inverse_rows(affine))
    assert ijk[:, 0].tolist() == [58, 57]  # 57.5 -> 58, 56.5 -> 57


def test_key_round_trip_and_outside():
    rng = np.random.default_rng(1)
    ijk = rng.integers(0, SHAPE, size=(500, 3))
    keys = grid.voxel_key(ijk, SHAPE)
    np.testing.assert_array_equal(grid.key_to_voxel(keys, SHAPE), ijk)
    assert grid.voxel_key([[-1, 0, 0], [0, SHAPE[1], 0]], SHAPE).tolist() == [-1, -1]
    # NIfTI (Fortran) order: i varies fastest.
    assert grid.voxel_key([[1, 0, 0], [0, 1, 0], [0, 0, 1]], SHAPE).tolist() == [
        1, SHAPE[0], SHAPE[0] * SHAPE[1]]


def test_voxel_to_mm_matches_nibabel():
    import nibabel as nib

    ijk = np.random.default_rng(2).integers(0, 90, size=(100, 3))
    for affine in AFFINES.values():
        np.testing.assert_allclose(grid.voxel_to_mm(ijk, affine),
                                   nib.affines.apply_affine(affine, ijk), atol=1e-12)
