"""NeuroStore studyset releases in NiMARE's Parquet layout: a folder with ``studies.parquet``
(study_id, name, description, authors, publication; optionally pmid, doi, year),
``coordinates.parquet`` (id = analysis id, study_id, contrast_id, x, y, z, space) and
optionally ``analyses.parquet`` (id, name) and ``metadata.parquet`` (study_id, slug).

Title = name, abstract = description, journal = publication. The PubMed id is the ``pmid``
column when present, else the leading 6-9 digits of the study's NeuroStore slug
(``<pmid>-<doi>[-<pmcid>]``, e.g. ``16039570-10-1016-j-neuron-2005-06-008``). The slug's DOI
is not used: the slug has lost its dots and slashes. The contrast of a focus is its analysis
name, else its contrast_id. Each focus keeps its own space (MNI, TAL, UNKNOWN, OTHER, ...).
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from build_index.studies.rows import (
    FOCUS_SCHEMA,
    SourceRows,
    study_table,
    text_or_null,
    year_of,
)
from c2r_db.errors import InputError
from c2r_db.peaks import read_coordinate_bytes, read_input_bytes

__all__ = ["NEUROSTORE_TABLES", "read_neurostore"]

NEUROSTORE_TABLES = ("studies", "coordinates", "analyses", "metadata")
_SLUG_PMID = r"^(?P<pmid>[0-9]{6,9})(?:-|$)"


def _parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(read_input_bytes(path)))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path=path) from None


def _column(table: pa.Table, name: str, path: Path, *, required=True):
    if name in table.column_names:
        return table.column(name).cast(pa.string()).combine_chunks()
    if required:
        raise InputError(f"column {name!r} missing (found: {', '.join(table.column_names)})",
                         path=path)
    return None


def _lookup(keys, table: pa.Table, key: str, value: str, path: Path):
    """For each of ``keys``, ``value`` of the first row of ``table`` whose ``key`` equals it."""
    found = pc.index_in(keys, value_set=_column(table, key, path))
    return _column(table, value, path).take(found)


def read_neurostore(folder) -> SourceRows:
    """Read a NeuroStore Parquet studyset folder.

    Parameters
    ----------
    folder : Path

    Returns
    -------
    SourceRows

    Raises
    ------
    c2r_db.errors.InputError
        Missing tables or columns, unreadable Parquet, or a coordinate that is not a finite
        number (its row named).
    """
    folder = Path(folder)
    files = {name: folder / f"{name}.parquet" for name in NEUROSTORE_TABLES}
    for name in ("studies", "coordinates"):
        if not files[name].is_file():
            raise InputError(f"not a NeuroStore studyset folder: {name}.parquet missing",
                             path=folder)
    coords, _ = read_coordinate_bytes(read_input_bytes(files["coordinates"]),
                                      files["coordinates"])
    study_ids = _column(coords, "study_id", files["coordinates"])
    contrast = _column(coords, "contrast_id", files["coordinates"], required=False)
    if files["analyses"].is_file() and "id" in coords.column_names:
        names = _lookup(_column(coords, "id", files["coordinates"]),
                        _parquet(files["analyses"]), "id", "name", files["analyses"])
        contrast = names if contrast is None else pc.coalesce(names, contrast)
    space = _column(coords, "space", files["coordinates"], required=False)
    n = coords.num_rows
    foci = pa.table({
        "native_id": study_ids,
        "contrast": contrast if contrast is not None else pa.nulls(n, pa.string()),
        "orig_x": coords.column("x"),
        "orig_y": coords.column("y"),
        "orig_z": coords.column("z"),
        "reported_space": space if space is not None else pa.nulls(n, pa.string()),
    }, schema=FOCUS_SCHEMA)

    native = pc.unique(study_ids)
    listing = _parquet(files["studies"])
    _column(listing, "study_id", files["studies"])
    columns = {"native_id": native}
    for field, name in (("title", "name"), ("abstract", "description"), ("authors", "authors"),
                        ("journal", "publication"), ("doi", "doi"), ("pmid", "pmid")):
        if name in listing.column_names:
            columns[field] = _lookup(native, listing, "study_id", name, files["studies"])
    if "year" in listing.column_names:
        years = _lookup(native, listing, "study_id", "year", files["studies"]).to_pylist()
        columns["year"] = [year_of(y, path=files["studies"]) for y in years]
    if files["metadata"].is_file():
        metadata = _parquet(files["metadata"])
        if {"study_id", "slug"} <= set(metadata.column_names):
            slugs = _lookup(native, metadata.filter(pc.is_valid(metadata.column("slug"))),
                            "study_id", "slug", files["metadata"])
            from_slug = pc.extract_regex(slugs, _SLUG_PMID).field("pmid")
            given = columns.get("pmid")
            columns["pmid"] = (from_slug if given is None
                               else pc.coalesce(text_or_null(given), from_slug))
    return SourceRows(study_table(columns), foci)
