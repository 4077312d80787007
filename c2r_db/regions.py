"""Region queries: a region by name (its statistics and every voxel), the distance from
coordinates to a region, and the k nearest regions of each coordinate. Each returns an Arrow
table; the SQL lives in ``sql/regions.sql`` and the macros of ``sql/macros.sql``.

Region names are matched exactly but ignoring case; a name that matches nothing raises
:class:`c2r_db.errors.UnknownNameError` with a "did you mean" list of the closest names.

Distances follow the c2r-db convention (see :mod:`c2r_db.labelled_grid`): from the centre of
the voxel a coordinate falls in to the nearest voxel centre of the region, 0 inside it. The
centroid distance is from the coordinate itself.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from c2r_db.errors import InputError, UnknownNameError
from c2r_db.labelled_grid import LabelledGrid
from c2r_db.lookup import check_free_columns, decoded, region_columns
from c2r_db.peaks import column_numbers, coordinate_table, table_xyz

__all__ = ["find_region", "region_info", "region_voxels", "atlas_grid", "region_distances",
           "nearest_regions"]


def find_region(db, atlas, name) -> dict:
    """Return the region of ``atlas`` called ``name`` (case ignored) with its statistics.

    Parameters
    ----------
    db : c2r_db.Database
    atlas : str
    name : str

    Returns
    -------
    dict
        ``region_id``, ``region`` (the name as the atlas spells it), ``hemisphere``,
        ``centroid_x/y/z``, ``n_voxels``, ``volume_mm3`` and the bounding box ``min_x`` ...
        ``max_z`` (MNI mm).

    Raises
    ------
    c2r_db.errors.UnknownNameError
        No region has that name; the message lists the closest names.
    c2r_db.errors.InputError
        Several regions differ from ``name`` only in case and none is spelt exactly so.
    """
    (atlas,) = db.check_atlases([atlas])
    rows = db.query("find_region", {"atlas": atlas, "name": name}).to_pylist()
    exact = [row for row in rows if row["region"] == name]
    if len(exact) == 1 or len(rows) == 1:
        return (exact or rows)[0]
    if rows:
        raise InputError(f"{atlas} region name {name!r} matches "
                         f"{', '.join(row['region'] for row in rows)} ignoring case; "
                         "spell it exactly")
    suggestions = db.query("region_suggestions", {"atlas": atlas, "name": name})
    raise UnknownNameError(f"{atlas} region", name, suggestions.column("name").to_pylist(),
                           hint="did you mean")


def region_info(db, atlas, name) -> pa.Table:
    """One row describing a region: ``atlas`` plus the fields of :func:`find_region`.

    The hemisphere is L, R, M (a structure the atlas does not lateralise) or null (a label
    that covers both hemispheres, as in the Talairach atlases).
    """
    row = find_region(db, atlas, name)
    return pa.Table.from_pylist([{"atlas": atlas, **row}])


def region_voxels(db, atlas, name) -> pa.Table:
    """Every voxel of a region: ``voxel`` key, grid indices ``i, j, k`` and centre ``x, y, z``
    (MNI mm), in key order. Probabilistic atlases: the voxels where the region has the
    highest probability (the voxels behind its centroid and volume)."""
    row = find_region(db, atlas, name)
    return db.query("region_voxels", {"atlas": atlas, "name": row["region"]})


def atlas_grid(db, atlas, region_id=None) -> LabelledGrid:
    """Load the labelled voxels of ``atlas`` (or of one region) into a :class:`LabelledGrid`.

    Parameters
    ----------
    db : c2r_db.Database
    atlas : str
    region_id : int, optional
        Load only this region's voxels: enough for distances to it.
    """
    (atlas,) = db.check_atlases([atlas])
    grid_row = db.query("atlas_grid", {"atlas": atlas}).to_pylist()[0]
    voxels = db.query("labelled_voxels", {"atlas": atlas, "region_id": region_id})
    affine = np.vstack([np.reshape(grid_row["affine"], (3, 4)), [0.0, 0.0, 0.0, 1.0]])
    return LabelledGrid(column_numbers(voxels.column("voxel"), -1),
                        column_numbers(voxels.column("region_id"), -1),
                        grid_row["shape"], affine)


def region_distances(db, coords, atlas, region) -> pa.Table:
    """Distance from each coordinate to a region's centroid and to its nearest voxel.

    Parameters
    ----------
    db : c2r_db.Database
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like, MNI mm
        Other table columns are carried through.
    atlas : str
    region : str
        Region name (case ignored).

    Returns
    -------
    pyarrow.Table
        The input rows in order plus ``centroid_mm`` (from the coordinate to the region's
        centroid) and ``nearest_voxel_mm`` (from the coordinate's voxel centre to the region's
        nearest voxel centre; 0 inside the region).
    """
    table = coordinate_table(coords)
    check_free_columns(table, ("centroid_mm", "nearest_voxel_mm"))
    xyz = table_xyz(table)
    row = find_region(db, atlas, region)
    if row["n_voxels"] == 0:
        raise InputError(f"{atlas} region {row['region']!r} has no voxels in the atlas image")
    centroid = np.array([row["centroid_x"], row["centroid_y"], row["centroid_z"]])
    nearest = atlas_grid(db, atlas, row["region_id"]).region_distances(xyz, [row["region_id"]])
    table = table.append_column("centroid_mm", pa.array(np.linalg.norm(xyz - centroid, axis=1)))
    return table.append_column("nearest_voxel_mm", pa.array(nearest[:, 0]))


def nearest_regions(db, coords, atlas, k=3, max_distance=np.inf) -> pa.Table:
    """The ``k`` nearest regions of each coordinate, with distances.

    Parameters
    ----------
    db : c2r_db.Database
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like, MNI mm
        Other table columns are carried through.
    atlas : str
    k : int >= 1
    max_distance : float, mm
        Leave out regions farther than this.

    Returns
    -------
    pyarrow.Table
        Up to ``k`` rows per input row, nearest first (a row with no region within
        ``max_distance`` appears once, with nulls): the input columns plus ``rank`` (1 = the
        region the coordinate is in, or the nearest), ``region_id``, ``region``,
        ``hemisphere`` and ``distance_mm`` (voxel centre to nearest voxel centre, 0 inside).
    """
    if int(k) != k or k < 1:
        raise InputError("k must be a whole number >= 1", value=str(k))
    if not max_distance >= 0:
        raise InputError("max distance must be a number >= 0", value=str(max_distance))
    table = coordinate_table(coords)
    check_free_columns(table, ("rank", "region_id", "region", "hemisphere", "distance_mm"))
    xyz = table_xyz(table)
    regions, distances = atlas_grid(db, atlas).nearest_regions(xyz, int(k), max_distance)
    keep = regions >= 0
    keep[:, 0] = True  # every input row appears at least once
    rows, ranks = np.nonzero(keep)
    out = table.take(pa.array(rows))
    out = out.append_column("rank", pa.array((ranks + 1).astype(np.int32),
                                             mask=regions[rows, ranks] < 0))
    columns = region_columns(db, atlas, regions[rows, ranks], distances[rows, ranks],
                             xyz[rows, 0])
    for name in ("region_id", "region", "hemisphere", "distance_mm"):
        out = out.append_column(name, decoded(columns[name]))
    return out
