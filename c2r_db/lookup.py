"""Coordinate -> region lookups: labels in every chosen atlas, as one SQL join per atlas over
the precomputed voxel tables, plus an exact KD-tree search for the few coordinates the tables
do not cover (beyond the precomputed nearest range, or outside an atlas grid).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from c2r_db import grid
from c2r_db.hemisphere import hemisphere_of_x
from c2r_db.nearest import LabelledTree
from c2r_db.peaks import check_distance, check_free_columns, column_numbers, with_mni

__all__ = ["DEFAULT_MAX_DISTANCE_MM", "LONG_COLUMNS", "regions_at", "region_columns",
           "check_free_columns", "decoded"]

DEFAULT_MAX_DISTANCE_MM = 5.0
LONG_COLUMNS = ("atlas", "region_id", "region", "hemisphere", "distance_mm", "probability")
_SIDES = ("L", "R", "M")


class _AtlasAnswer:
    """Per-row answer in one atlas: region id (-1 for none), distance (NaN for none), voxel."""

    def __init__(self, db, atlas_row, max_distance, n_rows):
        rows = db.query("nearest_region_input",
                        {"atlas": atlas_row["atlas"], "max_distance": float(max_distance)})
        # SQL rows come in any order: scatter them back.
        order = column_numbers(rows.column("row_id"), -1)
        self.region_id = np.full(n_rows, -1, dtype=np.int64)
        self.distance = np.full(n_rows, np.nan)
        self.on_grid = np.zeros(n_rows, dtype=bool)
        self.region_id[order] = column_numbers(rows.column("region_id"), -1)
        self.distance[order] = column_numbers(rows.column("distance_mm"), np.nan)
        self.on_grid[order] = column_numbers(rows.column("voxel"), -1) >= 0


def _search_beyond_table(db, atlas_row, answer, mni, max_distance) -> None:
    """Fill rows the voxel table cannot answer with an exact KD-tree search (in place)."""
    if max_distance <= 0:
        return
    unanswered = answer.region_id < 0
    if max_distance < atlas_row["nearest_range_mm"]:
        unanswered &= ~answer.on_grid
    rows = np.flatnonzero(unanswered)
    affine = np.vstack([np.reshape(atlas_row["affine"], (3, 4)), [0.0, 0.0, 0.0, 1.0]])
    centres = grid.voxel_to_mm(grid.mm_to_voxel(mni[rows], atlas_row["inverse_affine"]), affine)
    # Distance to the box around all labelled voxels bounds the distance to any of them.
    low, high = np.asarray(atlas_row["labelled_min"]), np.asarray(atlas_row["labelled_max"])
    gap = np.maximum(low - centres, 0) + np.maximum(centres - high, 0)
    reachable = np.linalg.norm(gap, axis=1) <= max_distance
    rows, centres = rows[reachable], centres[reachable]
    if rows.size == 0:
        return
    candidates = db.query("boundary_voxels", {"atlas": atlas_row["atlas"]})
    tree = LabelledTree.from_keys(column_numbers(candidates.column("voxel"), -1),
                                  column_numbers(candidates.column("region_id"), -1),
                                  atlas_row["shape"], affine)
    found, distance = tree.query(centres, max_distance)
    hit = found >= 0
    answer.region_id[rows[hit]] = found[hit]
    answer.distance[rows[hit]] = distance[hit]


def _side_codes(x) -> np.ndarray:
    """Index into _SIDES of the hemisphere of each MNI x (for regions without a side)."""
    sides = hemisphere_of_x(x)
    return np.select([sides == side for side in _SIDES], range(len(_SIDES)))


def region_columns(db, atlas, region_ids, distances, x) -> dict:
    """Arrow columns region_id, region, hemisphere, distance_mm for region ids of one atlas.

    Parameters
    ----------
    db : c2r_db.Database
    atlas : str
    region_ids : (N,) ndarray of int, -1 for no region (the row's columns are null)
    distances : (N,) ndarray of float, mm
    x : (N,) ndarray of float, MNI mm
        Gives the hemisphere of regions the atlas does not lateralise.

    Returns
    -------
    dict of str to pyarrow.Array
        ``region`` and ``hemisphere`` are dictionary-encoded.
    """
    regions = db.query("region_names", {"atlas": atlas})
    ids = column_numbers(regions.column("region_id"), -1)
    row_of_id = np.zeros(ids.max() + 2, dtype=np.int64)  # region id -> row in `regions`
    row_of_id[ids] = np.arange(ids.size)
    found = region_ids >= 0
    position = row_of_id[region_ids]  # -1 (no region) reads the unused last slot
    names = regions.column("region").combine_chunks()
    region_sides = regions.column("hemisphere").to_pylist()
    side_code = np.array([_SIDES.index(s) if s else -1 for s in region_sides], dtype=np.int64)
    sides = side_code[position]
    sides = np.where(sides < 0, _side_codes(x), sides)
    missing = ~found
    return {
        "region_id": pa.array(region_ids, pa.int32(), mask=missing),
        "region": pa.DictionaryArray.from_arrays(pa.array(position, pa.int32(), mask=missing),
                                                 names),
        "hemisphere": pa.DictionaryArray.from_arrays(pa.array(sides, pa.int32(), mask=missing),
                                                     pa.array(_SIDES)),
        "distance_mm": pa.array(distances, pa.float64(), mask=missing),
    }


def _probabilities(db, atlas, max_distance, n_rows) -> pa.Array:
    rows = db.query("probability_input", {"atlas": atlas, "max_distance": float(max_distance)})
    values = np.full(n_rows, np.nan)
    row_ids = column_numbers(rows.column("row_id"), -1)
    values[row_ids] = column_numbers(rows.column("probability"), np.nan)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def regions_at(
    db,
    coords,
    atlases=None,
    *,
    max_distance=DEFAULT_MAX_DISTANCE_MM,
    space="mni",
    tal_transform="lancaster",
    long=False,
) -> pa.Table:
    """Label coordinates with the region they fall in, in each chosen atlas.

    Parameters
    ----------
    db : c2r_db.Database
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like
        Coordinates in mm, in ``space``. Other table columns are carried through.
    atlases : sequence of str, optional
        Atlas names; all atlases in the database by default.
    max_distance : float
        mm. A coordinate outside every region gets the nearest region whose nearest voxel
        centre lies within this distance of the coordinate's voxel centre; 0 = exact only.
    space : {"mni", "tal"}
        Space of ``coords``; Talairach input is converted to MNI and columns ``x_mni``,
        ``y_mni``, ``z_mni`` are added (the original x, y, z are kept).
    tal_transform : {"lancaster", "brett"}
        MNI <-> Talairach transform (see :mod:`c2r_db.spaces`).
    long : bool
        False: one row per coordinate with, per atlas, ``<atlas>`` (region name, null when
        none) and ``<atlas>_mm`` (distance, 0 inside a region). True: one row per
        (coordinate, atlas) with atlas, region_id, region, hemisphere, distance_mm and
        probability (probabilistic atlases; null otherwise).

    Returns
    -------
    pyarrow.Table
        Rows in input order. A database built without atlases returns the input table
        unchanged (plus the MNI columns of Talairach input).
    """
    max_distance = check_distance(max_distance, "--max-distance")
    table, mni = with_mni(coords, space, tal_transform)
    names = db.check_atlases(atlases)
    if not names:
        return table
    grids = {row["atlas"]: row for row in db.query("atlas_grids", {"atlases": names}).to_pylist()}
    n = mni.shape[0]
    with db.input_coordinates(mni):
        results = {}
        for name in names:
            answer = _AtlasAnswer(db, grids[name], max_distance, n)
            _search_beyond_table(db, grids[name], answer, mni, max_distance)
            results[name] = region_columns(db, name, answer.region_id, answer.distance,
                                           mni[:, 0])
            if long:
                probabilistic = grids[name]["kind"] == "probabilistic"
                results[name]["probability"] = (
                    _probabilities(db, name, max_distance, n) if probabilistic
                    else pa.nulls(n, pa.float64()))
    return _long(table, results) if long else _wide(table, results)


def decoded(column):
    """A dictionary-encoded Arrow array as a plain array of its values; others unchanged."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _wide(table: pa.Table, results) -> pa.Table:
    check_free_columns(table, [c for name in results for c in (name, f"{name}_mm")])
    for name, columns in results.items():
        table = table.append_column(name, columns["region"])
        table = table.append_column(f"{name}_mm", columns["distance_mm"])
    return table


def _long(table: pa.Table, results) -> pa.Table:
    check_free_columns(table, LONG_COLUMNS)
    n, k = table.num_rows, len(results)
    # Output row i * k + a holds input row i in atlas a.
    out = table.take(pa.array(np.repeat(np.arange(n), k)))
    out = out.append_column("atlas", pa.array(np.tile(np.array(list(results), dtype=object), n),
                                              pa.string()))
    for column in LONG_COLUMNS[1:]:
        per_atlas = [results[name][column] for name in results]
        if column in ("region", "hemisphere"):
            per_atlas = [a.cast(pa.string()) for a in per_atlas]
        interleaved = pa.concat_arrays(per_atlas).take(
            pa.array((np.arange(k)[None, :] * n + np.arange(n)[:, None]).ravel()))
        out = out.append_column(column, interleaved)
    return out
