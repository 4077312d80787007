"""Region membership of coordinates, vectorised over many coordinates.

``probability`` (probabilistic atlases: harvard_oxford, juelich)
    The atlas file's own probabilities at the coordinate's voxel: every region above a
    threshold, from the ``probabilities`` table (one SQL join, macro ``c2r_membership``).
``centroid`` and ``boundary`` (any atlas)
    coord2region's ``membership_scores``: ``exp(-d)`` over the regions, normalised to sum to
    1, where ``d`` is the distance (mm) from the coordinate to the region's centroid, or to
    the nearest voxel centre of the region (from the coordinate itself, so it is not 0
    inside the region: see :mod:`c2r_db.labelled_grid`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from c2r_db.errors import InputError
from c2r_db.lookup import check_free_columns, decoded, region_columns
from c2r_db.peaks import column_numbers, coordinate_table, table_xyz
from c2r_db.regions import atlas_grid

__all__ = ["MEMBERSHIP_METHODS", "membership", "membership_scores", "normalised_scores",
           "score_distances"]

MEMBERSHIP_METHODS = ("probability", "centroid", "boundary")
_PROBABILITY_COLUMNS = ("region_id", "region", "hemisphere", "probability")
_SCORE_COLUMNS = ("region_id", "region", "hemisphere", "distance_mm", "score")


def normalised_scores(distances):
    """``exp(-d)`` normalised over each row, computed without underflow.

    Parameters
    ----------
    distances : (N, R) array-like of float, mm (``inf`` for a region out of reach)

    Returns
    -------
    (N, R) ndarray of float64
        Rows sum to 1; a row whose distances are all infinite is all 0.
    """
    d = np.asarray(distances, dtype=np.float64)
    nearest = d.min(axis=1, keepdims=True)
    weights = np.exp(-(d - np.where(np.isfinite(nearest), nearest, 0.0)))
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def _check_threshold(value, name):
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{name} must be a number from 0 to 1", value=str(value))


def _long_rows(table, atlas_names, per_atlas, columns):
    """Interleave per-atlas answers: input order, then atlas order, then answer order.

    Parameters
    ----------
    table : pyarrow.Table
        The input rows.
    atlas_names : sequence of str
    per_atlas : sequence of (rows, dict of str to pyarrow.Array)
        For each atlas: the input row of each answer, and the answer's columns.
    columns : sequence of str
        The answer columns to add after ``atlas``, in order.
    """
    check_free_columns(table, ("atlas", *columns))
    parts, keys = [], []
    for position, (atlas, (rows, values)) in enumerate(zip(atlas_names, per_atlas)):
        part = table.take(pa.array(rows))
        part = part.append_column("atlas", pa.array([atlas] * len(rows), pa.string()))
        for name in columns:
            part = part.append_column(name, decoded(values[name]))
        parts.append(part)
        keys.append(np.column_stack([rows, np.full(len(rows), position), np.arange(len(rows))]))
    keys = np.vstack(keys)
    order = np.lexsort((keys[:, 2], keys[:, 1], keys[:, 0]))
    return pa.concat_tables(parts).take(pa.array(order))


def membership(db, coords, atlases, *, min_prob=0.0) -> pa.Table:
    """The probability of every region at each coordinate's voxel, in probabilistic atlases.

    Parameters
    ----------
    db : c2r_db.Database
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like, MNI mm
        Other table columns are carried through.
    atlases : sequence of str
        Probabilistic atlases.
    min_prob : float in [0, 1]
        Report regions whose probability is at least this (and above 0).

    Returns
    -------
    pyarrow.Table
        One row per (input row, atlas, region), in input order, then atlas order, then by
        decreasing probability: the input columns plus ``atlas``, ``region_id``, ``region``,
        ``hemisphere`` and ``probability`` (0-1, the file's value at the voxel). An input row
        with no region in an atlas appears once for it, with nulls.

    Raises
    ------
    c2r_db.errors.InputError
        If an atlas is deterministic or ``min_prob`` is outside [0, 1].
    """
    _check_threshold(min_prob, "min_prob")
    table = coordinate_table(coords)
    names = db.check_atlases(atlases)
    kinds = {row["atlas"]: row["kind"] for row in db.atlases().to_pylist()}
    deterministic = [name for name in names if kinds[name] != "probabilistic"]
    if deterministic:
        raise InputError(f"atlas {deterministic[0]!r} is deterministic and has no "
                         "probabilities; use the centroid or boundary membership scores")
    per_atlas = []
    with db.input_coordinates(table_xyz(table)):
        for name in names:
            found = db.query("membership_input", {"atlas": name, "min_prob": float(min_prob)})
            rows = column_numbers(found.column("row_id"), -1)
            per_atlas.append((rows, {c: found.column(c).combine_chunks()
                                     for c in _PROBABILITY_COLUMNS}))
    return _long_rows(table, names, per_atlas, _PROBABILITY_COLUMNS)


def score_distances(db, xyz, atlas, method):
    """Distances behind the membership scores, from each coordinate to each region.

    Parameters
    ----------
    db : c2r_db.Database
    xyz : (N, 3) ndarray, MNI mm
    atlas : str
    method : {"centroid", "boundary"}

    Returns
    -------
    region_ids : (R,) ndarray of int64
        The regions with voxels.
    distances : (N, R) ndarray of float64, mm
    """
    if method not in MEMBERSHIP_METHODS[1:]:
        raise InputError(f"unknown membership score method {method!r}; choose from "
                         f"{', '.join(MEMBERSHIP_METHODS[1:])}")
    centroids = db.query("region_centroids", {"atlas": atlas})
    ids = column_numbers(centroids.column("region_id"), -1)
    if method == "centroid":
        points = np.column_stack([column_numbers(centroids.column(f"centroid_{axis}"), np.nan)
                                  for axis in "xyz"])
        return ids, np.linalg.norm(xyz[:, None, :] - points[None, :, :], axis=2)
    return ids, atlas_grid(db, atlas).region_distances(xyz, ids, exact=True)


def membership_scores(db, coords, atlases, *, method="centroid", min_score=0.0) -> pa.Table:
    """coord2region's membership scores of every region, for many coordinates at once.

    Parameters
    ----------
    db : c2r_db.Database
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like, MNI mm
        Other table columns are carried through.
    atlases : sequence of str
    method : {"centroid", "boundary"}
        Distance to the region's centroid, or to its nearest voxel centre (module doc).
    min_score : float in [0, 1]
        Report regions whose score is at least this.

    Returns
    -------
    pyarrow.Table
        One row per (input row, atlas, region) with a score >= ``min_score``, in input
        order, then atlas order, then by decreasing score: the input columns plus ``atlas``,
        ``region_id``, ``region``, ``hemisphere``, ``distance_mm`` and ``score`` (per row
        and atlas, the scores of all regions sum to 1).
    """
    _check_threshold(min_score, "min_score")
    table = coordinate_table(coords)
    names = db.check_atlases(atlases)
    xyz = table_xyz(table)
    per_atlas = []
    for name in names:
        ids, distances = score_distances(db, xyz, name, method)
        scores = normalised_scores(distances)
        order = np.argsort(-scores, axis=1, kind="stable")
        ranked = np.take_along_axis(scores, order, axis=1)
        keep = ranked >= min_score
        keep[:, 0] = True  # every input row appears at least once
        rows, ranks = np.nonzero(keep)
        regions = ids[order[rows, ranks]]
        listed = ranked[rows, ranks] >= min_score
        columns = region_columns(db, name, np.where(listed, regions, -1),
                                 np.take_along_axis(distances, order, axis=1)[rows, ranks],
                                 xyz[rows, 0])
        columns["score"] = pa.array(ranked[rows, ranks], mask=~listed)
        per_atlas.append((rows, columns))
    return _long_rows(table, names, per_atlas, _SCORE_COLUMNS)
