"""Neurosynth (v7) and NeuroQuery (v1) coordinate and metadata tables (tab-separated, usually
gzip-compressed).

- Neurosynth ``coordinates``: id, table_id, table_num, peak_id, x, y, z (no space column);
  ``metadata``: id, doi, space, title, authors, year, journal. Each focus takes the space of
  its study's metadata row (a study without one is UNKNOWN).
- NeuroQuery ``coordinates``: id, table_id, table_name, x, y, z; ``metadata``: id, title.
  Every focus is MNI (NeuroQuery reports all foci in MNI space).

Ids are PubMed ids when they are all digits. The contrast of a focus is its table_id.
Malformed files stop the build with the file and line named.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from build_index.studies.rows import FOCUS_SCHEMA, SourceRows, study_table, text_or_null, year_of
from c2r_db.errors import InputError
from c2r_db.peaks import read_coordinate_bytes, read_input_bytes, read_text_table

__all__ = ["read_release"]

_METADATA_TEXT = ("doi", "title", "authors", "journal", "abstract")
_CONTRAST = "table_id"


def _decompressed(path: Path) -> bytes:
    raw = read_input_bytes(path)
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"not a readable gzip file ({exc})", path=path) from None


def _require(table: pa.Table, columns, path: Path) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(f"column(s) {', '.join(missing)} missing (found: "
                         f"{', '.join(table.column_names)})", path=path, line=1)


def _require_values(table: pa.Table, column: str, lines, path: Path) -> None:
    empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(table.column(column)), ""), True)
    if pc.any(empty).as_py():
        row = pc.index(empty, True).as_py()
        raise InputError("missing value", path=path, line=int(lines[row]), column=column)


def _read(coordinates: Path, metadata: Path, metadata_columns):
    """Coordinates (validated, x/y/z as float64) and metadata rows (text), with line numbers."""
    coords, lines = read_coordinate_bytes(_decompressed(coordinates), coordinates,
                                          text_columns=("id", _CONTRAST))
    _require(coords, ("id", _CONTRAST), coordinates)
    _require_values(coords, "id", lines, coordinates)
    meta, meta_lines = read_text_table(_decompressed(metadata), metadata)
    _require(meta, metadata_columns, metadata)
    _require_values(meta, "id", meta_lines, metadata)
    return coords, meta, meta_lines


def _studies(ids, meta: pa.Table, meta_lines, path: Path) -> tuple[pa.Table, pa.Array]:
    """One study row per distinct coordinate id, filled from its first metadata row (if any).

    Returns the study table and the trimmed metadata ids."""
    native = pc.unique(ids.combine_chunks())
    meta_ids = pc.utf8_trim_whitespace(meta.column("id")).combine_chunks()
    row = pc.index_in(native, value_set=meta_ids)
    columns = {"native_id": native, "pmid": native}
    for name in _METADATA_TEXT:
        if name in meta.column_names:
            columns[name] = meta.column(name).combine_chunks().take(row)
    if "year" in meta.column_names:
        years = meta.column("year").to_pylist()
        columns["year"] = [
            None if r is None else year_of(years[r], path=path, line=int(meta_lines[r]))
            for r in row.to_pylist()
        ]
    return study_table(columns), meta_ids


def _foci(coords: pa.Table, spaces: pa.Array) -> pa.Table:
    return pa.table({
        "native_id": pc.utf8_trim_whitespace(coords.column("id")),
        "contrast": text_or_null(coords.column(_CONTRAST).combine_chunks()),
        "orig_x": coords.column("x"),
        "orig_y": coords.column("y"),
        "orig_z": coords.column("z"),
        "reported_space": spaces,
    }, schema=FOCUS_SCHEMA)


_SPACE_COLUMN = {"neurosynth": "space", "neuroquery": None}


def read_release(fmt, coordinates, metadata) -> SourceRows:
    """Read a Neurosynth v7 or NeuroQuery v1 pair of files.

    Parameters
    ----------
    fmt : {"neurosynth", "neuroquery"}
        Neurosynth foci take their study's metadata space; NeuroQuery foci are all MNI.
    coordinates, metadata : Path
        The ``coordinates.tsv(.gz)`` and ``metadata.tsv(.gz)`` files.

    Returns
    -------
    SourceRows

    Raises
    ------
    c2r_db.errors.InputError
    """
    coordinates, metadata = Path(coordinates), Path(metadata)
    space_column = _SPACE_COLUMN[fmt]
    required = ("id",) if space_column is None else ("id", space_column)
    coords, meta, meta_lines = _read(coordinates, metadata, required)
    ids = pc.utf8_trim_whitespace(coords.column("id"))
    studies, meta_ids = _studies(ids, meta, meta_lines, metadata)
    if space_column is None:
        spaces = pa.array(["MNI"] * coords.num_rows, pa.string())
    else:
        row = pc.index_in(ids, value_set=meta_ids)
        spaces = text_or_null(meta.column(space_column).combine_chunks().take(row))
    return SourceRows(studies, _foci(coords, spaces))
