"""Coordinate -> studies: the published studies that reported activation foci within a radius
of each coordinate, answered in SQL by the macros stored in the database (a grid-cell join,
then the exact Euclidean distance), and one study with its foci.

Foci in UNKNOWN space (the source did not say MNI or Talairach) are left out unless
``unknown_space_as_mni=True``: they are not silently treated as MNI.
"""

from __future__ import annotations

import pyarrow as pa

from c2r_db.errors import UnknownNameError
from c2r_db.peaks import check_distance, check_free_columns, with_mni

__all__ = ["COUNT_COLUMNS", "LONG_COLUMNS", "studies_near", "study"]

COUNT_COLUMNS = ("n_studies", "n_foci", "study_ids")
LONG_COLUMNS = ("study_id", "distance_mm", "n_foci", "pmid", "doi", "title", "authors",
                "journal", "year")


def studies_near(
    db,
    coords,
    radius,
    *,
    space="mni",
    tal_transform="lancaster",
    unknown_space_as_mni=False,
    long=False,
) -> pa.Table:
    """Find the studies with foci within ``radius`` of each coordinate.

    Parameters
    ----------
    db : c2r_db.Database
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like
        Coordinates in mm, in ``space``. Other table columns are carried through.
    radius : float
        mm, >= 0. A focus counts when its Euclidean distance (MNI mm) is <= radius: foci
        exactly on the sphere count, and radius 0 finds foci exactly at the coordinate.
    space : {"mni", "tal"}
        Space of ``coords``; Talairach input is converted to MNI and columns ``x_mni``,
        ``y_mni``, ``z_mni`` are added.
    tal_transform : {"lancaster", "brett"}
        Talairach -> MNI transform for ``space="tal"`` (see :mod:`c2r_db.spaces`).
    unknown_space_as_mni : bool
        Also search foci whose source gave no known space, taking them as MNI.
    long : bool
        False: one row per coordinate with ``n_studies``, ``n_foci`` (foci within the radius)
        and ``study_ids`` (list, ordered by each study's nearest focus, ties by study_id).
        True: one row per (coordinate, study) with study_id, distance_mm (its nearest
        focus), n_foci, pmid, doi, title, authors, journal and year, ordered by coordinate,
        then distance, then study_id; coordinates without studies have no row.

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    c2r_db.errors.InputError
        A radius that is negative or not finite, bad coordinates, or input columns that
        clash with the output columns.
    """
    radius = check_distance(radius, "--radius")
    table, mni = with_mni(coords, space, tal_transform)
    check_free_columns(table, LONG_COLUMNS if long else COUNT_COLUMNS)
    params = {"radius": radius, "unknown_space_as_mni": bool(unknown_space_as_mni)}
    with db.input_coordinates(mni):
        rows = db.query("studies_near_input" if long else "study_counts_input", params)
    if long:
        table = table.take(rows.column("row_id"))
    for name in LONG_COLUMNS if long else COUNT_COLUMNS:
        table = table.append_column(name, rows.column(name))
    return table


def study(db, study_id, *, abstract=False) -> pa.Table:
    """One study and its foci, one row per focus.

    Parameters
    ----------
    db : c2r_db.Database
    study_id : str
        The study's id: its PubMed id, or ``<source>:<id>`` for studies without one.
    abstract : bool
        Include the abstract column.

    Returns
    -------
    pyarrow.Table
        study_id, pmid, doi, title, authors, journal, year, [abstract,] sources, then per
        focus contrast, x, y, z (MNI mm), orig_x, orig_y, orig_z, orig_space, reported_space,
        source and implausible.

    Raises
    ------
    c2r_db.errors.UnknownNameError
        If no study has this id (the closest ids are listed).
    """
    rows = db.query("study_foci", {"study_id": str(study_id).strip()})
    if rows.num_rows == 0:
        similar = db.query("similar_study_ids", {"study_id": str(study_id)})
        raise UnknownNameError("study", study_id, similar.column("study_id").to_pylist(),
                               hint="closest ids")
    return rows if abstract else rows.drop_columns(["abstract"])
