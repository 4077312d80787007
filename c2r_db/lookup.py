"""Coordinate -> region lookups: labels in every chosen atlas, as one SQL join per atlas over
the precomputed voxel tables, plus an exact KD-tree search for the few coordinates the tables
do not cover (beyond the precomputed nearest range, or outside an atlas grid).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from c2r_db import grid
from c2r_db.errors import InputError
from c2r_db.hemisphere import hemisphere_of_x
from c2r_db.nearest import LabelledTree
from c2r_db.spaces import to_mni

__all__ = ["DEFAULT_MAX_DISTANCE_MM", "regions_at", "LONG_COLUMNS"]

DEFAULT_MAX_DISTANCE_MM = 5.0
LONG_COLUMNS = ("atlas", "region_id", "region", "hemisphere", "distance_mm", "probability")
_RESULT_COLUMNS = ("region_id", "region", "hemisphere", "distance_mm", "probability")


def _as_table(coords) -> pa.Table:
    if isinstance(coords, pa.Table):
        return coords
    xyz = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    return pa.table({"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]})


def _xyz(table: pa.Table) -> np.ndarray:
    missing = [c for c in "xyz" if c not in table.column_names]
    if missing:
        raise InputError(f"coordinate table lacks column(s) {', '.join(missing)}")
    xyz = np.column_stack([table.column(c).to_numpy().astype(np.float64) for c in "xyz"])
    if not np.all(np.isfinite(xyz)):
        raise InputError("coordinates must be finite numbers")
    return xyz


def _needs_search(result: pa.Table, max_distance: float, nearest_range: float) -> np.ndarray:
    """Rows without a region that the precomputed table cannot answer within max_distance."""
    if max_distance <= 0:
        return np.zeros(result.num_rows, dtype=bool)
    unlabelled = result.column("region_id").is_null().to_numpy(zero_copy_only=False)
    outside = result.column("voxel").is_null().to_numpy(zero_copy_only=False)
    if max_distance >= nearest_range:
        return unlabelled
    return unlabelled & outside


def _search_fallback(db, atlas_row, result, mni, max_distance) -> pa.Table:
    rows = np.flatnonzero(_needs_search(result, max_distance, atlas_row["nearest_range_mm"]))
    shape, affine = atlas_row["shape"], np.vstack([np.reshape(atlas_row["affine"], (3, 4)),
                                                   [0.0, 0.0, 0.0, 1.0]])
    centres = grid.voxel_to_mm(grid.mm_to_voxel(mni[rows], atlas_row["inverse_affine"]), affine)
    # Distance to the box around all labelled voxels bounds the distance to any of them.
    low, high = np.asarray(atlas_row["labelled_min"]), np.asarray(atlas_row["labelled_max"])
    outside_box = np.linalg.norm(np.maximum(low - centres, 0) + np.maximum(centres - high, 0),
                                 axis=1)
    near_box = outside_box <= max_distance
    rows, centres = rows[near_box], centres[near_box]
    if rows.size == 0:
        return result
    labelled = db.query("labelled_voxels", {"atlas": atlas_row["atlas"]})
    tree = LabelledTree(labelled.column("voxel").to_numpy(),
                        labelled.column("region_id").to_numpy(), shape, affine)
    found_regions, found_distance = tree.query(centres, max_distance)
    hit = found_regions >= 0
    if not hit.any():
        return result
    rows, found_regions, found_distance = rows[hit], found_regions[hit], found_distance[hit]
    names = db.query("region_names", {"atlas": atlas_row["atlas"]})
    position = {r: i for i, r in enumerate(names.column("region_id").to_pylist())}
    picks = pa.array([position[r] for r in found_regions.tolist()], pa.int64())
    sides = names.column("hemisphere").take(picks)
    sides = pc.if_else(sides.is_null(), pa.array(hemisphere_of_x(mni[rows, 0])), sides)
    patches = {
        "region_id": pa.array(found_regions, pa.int32()),
        "region": names.column("region").take(picks),
        "hemisphere": sides,
        "distance_mm": pa.array(found_distance, pa.float64()),
    }
    mask = np.zeros(result.num_rows, dtype=bool)
    mask[rows] = True
    for name, values in patches.items():
        old = result.column(name)
        scattered = np.full(result.num_rows, None, dtype=object)
        scattered[rows] = values.to_pylist()
        column = pc.if_else(pa.array(mask), pa.array(scattered, old.type), old)
        result = result.set_column(result.column_names.index(name), name, column)
    return result


def _label_one_atlas(db, atlas_row, mni, max_distance) -> pa.Table:
    result = db.query(
        "label_input", {"atlas": atlas_row["atlas"], "max_distance": float(max_distance)}
    )
    return _search_fallback(db, atlas_row, result, mni, max_distance)


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
        probability (probabilistic atlases).

    Returns
    -------
    pyarrow.Table
        Rows in input order.
    """
    if max_distance is None or not np.isfinite(max_distance) or max_distance < 0:
        raise InputError("--max-distance must be a finite number >= 0", value=str(max_distance))
    table = _as_table(coords)
    names = db.check_atlases(atlases)
    mni = to_mni(_xyz(table), space, tal_transform)
    if space != "mni":
        for i, axis in enumerate("xyz"):
            table = table.append_column(f"{axis}_mni", pa.array(mni[:, i]))
    grids = {row["atlas"]: row for row in db.query("atlas_grids", {"atlases": names}).to_pylist()}
    n = mni.shape[0]
    db.con.register("c2r_input", pa.table({"row_id": np.arange(n), "x": mni[:, 0],
                                           "y": mni[:, 1], "z": mni[:, 2]}))
    try:
        results = {name: _label_one_atlas(db, grids[name], mni, max_distance) for name in names}
    finally:
        db.con.unregister("c2r_input")
    return _long(table, results) if long else _wide(table, results)


def _check_free(table: pa.Table, new_names) -> None:
    taken = set(table.column_names) & set(new_names)
    if taken:
        raise InputError(
            f"input column(s) {', '.join(sorted(taken))} clash with output columns; rename them"
        )


def _wide(table: pa.Table, results) -> pa.Table:
    new = [c for name in results for c in (name, f"{name}_mm")]
    _check_free(table, new)
    for name, result in results.items():
        table = table.append_column(name, result.column("region"))
        table = table.append_column(f"{name}_mm", result.column("distance_mm"))
    return table


def _long(table: pa.Table, results) -> pa.Table:
    _check_free(table, LONG_COLUMNS)
    n, k = table.num_rows, len(results)
    parts = []
    for name, result in results.items():
        part = result.select(list(_RESULT_COLUMNS))
        parts.append(part.add_column(0, "atlas", pa.array([name] * n, pa.string())))
    stacked = pa.concat_tables(parts)
    # stacked row a * n + i  ->  output row i * k + a
    order = (np.arange(k)[None, :] * n + np.arange(n)[:, None]).ravel()
    stacked = stacked.take(pa.array(order))
    base = table.take(pa.array(np.repeat(np.arange(n), k)))
    for field in stacked.schema:
        base = base.append_column(field, stacked.column(field.name))
    return base
