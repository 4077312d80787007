"""Read tables of coordinates (csv, tsv, Parquet; a file or standard input) and validate them.

A table must have numeric columns ``x``, ``y``, ``z`` (any letter case); every other column is
carried through untouched. Blank lines are skipped, a UTF-8 byte-order mark and CRLF line
endings are accepted. Any value that is missing, non-numeric, NaN or infinite is an error
naming the file, the line (for text; the 1-based row for Parquet), the column and the value.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from c2r_db.errors import InputError
from c2r_db.spaces import to_mni

__all__ = [
    "COORD_COLUMNS",
    "read_coordinates",
    "read_coordinate_bytes",
    "read_input_bytes",
    "read_text_table",
    "coordinates_from_options",
    "coordinate_table",
    "column_numbers",
    "table_xyz",
    "with_mni",
    "check_free_columns",
    "check_distance",
]

COORD_COLUMNS = ("x", "y", "z")
_TEXT_FORMATS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_PARQUET_MAGIC = b"PAR1"


def read_input_bytes(source) -> bytes:
    """The bytes of file ``source`` (``"-"``: standard input).

    Raises
    ------
    c2r_db.errors.InputError
        If the file is missing, a folder, or unreadable.
    """
    if source == "-":
        import sys

        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a table file", path=source) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=source) from None


def _check_text(raw: bytes, source) -> None:
    if b"\x00" in raw[:65536]:
        raise InputError("binary file, expected csv, tsv or Parquet", path=source)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text, expected csv, tsv or Parquet", path=source, line=line) from None


def _delimiter(raw: bytes, source) -> str:
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix in _TEXT_FORMATS:
        return _TEXT_FORMATS[suffix]
    header = raw.split(b"\n", 1)[0]
    return "\t" if b"\t" in header else ","


def _header_names(raw: bytes, delimiter: str) -> list[str]:
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    return [h.strip() for h in header.split(delimiter)]


def read_text_table(raw: bytes, source, *, text_columns=None) -> tuple[pa.Table, np.ndarray]:
    """Parse csv or tsv bytes whose first line is a header; blank lines are dropped.

    Parameters
    ----------
    raw : bytes
        The file content (UTF-8, optionally with a byte-order mark; LF or CRLF lines).
    source : str or Path
        File name used in error messages (``"-"`` for standard input) and to choose the
        delimiter from the extension (else: tab if the header holds one, else comma).
    text_columns : collection of str, optional
        Columns read as strings, untouched; other columns get inferred types. Default: all.

    Returns
    -------
    table : pyarrow.Table
    lines : (N,) ndarray of int
        1-based physical line of each row in ``raw``.

    Raises
    ------
    c2r_db.errors.InputError
        Binary or non-UTF-8 content, an empty file, or a row with the wrong number of fields
        (its line named).
    """
    import pyarrow.csv as pacsv

    _check_text(raw, source)
    if not raw.strip():
        raise InputError("file is empty", path=source)
    delimiter = _delimiter(raw, source)
    names = _header_names(raw, delimiter)
    as_text = names if text_columns is None else [n for n in names if n in set(text_columns)]
    bad_rows = []

    def on_invalid(row):
        bad_rows.append(row)
        return "error"

    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in as_text},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if bad_rows:
            row = bad_rows[0]
            raise InputError(
                f"expected {row.expected_columns} fields, got {row.actual_columns}",
                path=source,
                line=row.number if row.number is not None else _line_of(raw, row.text),
                value=row.text,
            ) from None
        raise InputError(f"cannot parse table ({exc})", path=source) from None
    lines = np.arange(table.num_rows) + 2
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        if pa.types.is_string(column.type):
            empty = pc.equal(pc.utf8_trim_whitespace(column), "")
        else:
            empty = column.is_null()
        blank &= empty.to_numpy(zero_copy_only=False)
    if blank.any():
        table, lines = table.filter(pa.array(~blank)), lines[~blank]
    return table, lines


def _read_text(raw: bytes, source, text_columns) -> tuple[pa.Table, np.ndarray]:
    if not raw.strip():
        raise InputError("file is empty", path=source)
    _check_text(raw, source)
    coord_names = _coordinate_names(_header_names(raw, _delimiter(raw, source)), source)
    return read_text_table(raw, source, text_columns=[*coord_names, *text_columns])


def _line_of(raw: bytes, text: str):
    """1-based number of the first line after the header that reads ``text``, else None."""
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines()[1:], start=2):
        if line == text:
            return number
    return None


def _read_parquet(raw: bytes, source) -> tuple[pa.Table, np.ndarray]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(raw))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path=source) from None
    _coordinate_names(table.column_names, source)
    return table, None


def _coordinate_names(names, source) -> list[str]:
    found = []
    for wanted in COORD_COLUMNS:
        matches = [n for n in names if n.strip().lower() == wanted]
        if len(matches) != 1:
            problem = "missing" if not matches else f"given {len(matches)} times"
            raise InputError(
                f"column {wanted!r} {problem}; the table needs columns x, y, z "
                f"(found: {', '.join(names) if names else 'no columns'})",
                path=source,
                line=1 if source == "-" or not str(source).endswith(_PARQUET_SUFFIXES) else None,
            )
        found.append(matches[0])
    return found


def _to_float(column: pa.ChunkedArray, name, source, lines) -> np.ndarray:
    """Convert one coordinate column to float64, naming the first unusable value."""

    def where(i):
        return {"line": int(lines[i])} if lines is not None else {}

    def fail(i, raw, reason):
        label = reason if lines is not None else f"row {i + 1}: {reason}"
        raise InputError(label, path=source, column=name, value=raw, **where(i))

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = pc.utf8_trim_whitespace(column)
        try:
            values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            values = np.empty(len(text), dtype=np.float64)
            for i, raw in enumerate(text.to_pylist()):
                try:
                    values[i] = float(raw)
                except ValueError:
                    fail(i, raw, "missing value" if raw == "" else "not a number")
        text = text.to_numpy(zero_copy_only=False)
    elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        nulls = column.is_null().to_numpy(zero_copy_only=False)
        if nulls.any():
            fail(int(np.argmax(nulls)), None, "missing value")
        values = column.to_numpy().astype(np.float64)
        text = None
    else:
        raise InputError(f"column type {column.type} is not numeric", path=source, column=name)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        fail(i, text[i] if text is not None else str(values[i]), "not a finite number")
    return values


def read_coordinate_bytes(raw: bytes, source, *, text_columns=()) -> tuple[pa.Table, np.ndarray]:
    """Parse and validate a coordinate table held in memory (the body of
    :func:`read_coordinates`, also used by the build for study coordinate files).

    Parameters
    ----------
    raw : bytes
        csv, tsv or Parquet content.
    source : str or Path
        File name for messages and format detection (``"-"`` for standard input).
    text_columns : collection of str
        Other columns to read as strings rather than with inferred types (csv/tsv only).

    Returns
    -------
    table : pyarrow.Table
        Coordinate columns renamed to ``x``, ``y``, ``z`` and converted to float64.
    lines : (N,) ndarray of int, or None
        1-based physical line of each row (None for Parquet).

    Raises
    ------
    c2r_db.errors.InputError
    """
    source = str(source)
    if not raw:
        raise InputError("file is empty", path=source)
    is_parquet = raw[:4] == _PARQUET_MAGIC or source.lower().endswith(_PARQUET_SUFFIXES)
    if is_parquet:
        table, lines = _read_parquet(raw, source)
    else:
        table, lines = _read_text(raw, source, text_columns)
    if table.num_rows == 0:
        raise InputError("table has a header but no rows", path=source)
    coord_names = _coordinate_names(table.column_names, source)
    for wanted, name in zip(COORD_COLUMNS, coord_names):
        values = _to_float(table.column(name), name, source, lines)
        index = table.column_names.index(name)
        table = table.set_column(index, wanted, pa.array(values, pa.float64()))
    return table, lines


def read_coordinates(source) -> pa.Table:
    """Read and validate a coordinate table.

    Parameters
    ----------
    source : str or Path
        A csv/tsv/Parquet file, or ``"-"`` for standard input. The format comes from the
        extension (``.csv``, ``.tsv``/``.tab``, ``.parquet``/``.pq``), else from the content.

    Returns
    -------
    pyarrow.Table
        The table as read, with its coordinate columns renamed to ``x``, ``y``, ``z`` and
        converted to float64 (mm, in whatever space the caller declares).

    Raises
    ------
    c2r_db.errors.InputError
    """
    return read_coordinate_bytes(read_input_bytes(str(source)), source)[0]


def with_mni(coords, space="mni", tal_transform="lancaster") -> tuple[pa.Table, np.ndarray]:
    """Validate input coordinates and convert them to MNI.

    Parameters
    ----------
    coords : pyarrow.Table with columns x, y, z, or (N, 3) array-like
        mm, in ``space``.
    space : {"mni", "tal"}
    tal_transform : {"lancaster", "brett"}
        See :mod:`c2r_db.spaces`.

    Returns
    -------
    table : pyarrow.Table
        The input table; for Talairach input with columns ``x_mni``, ``y_mni``, ``z_mni``
        appended (the original x, y, z are kept).
    mni : (N, 3) ndarray of float64, MNI mm

    Raises
    ------
    c2r_db.errors.InputError
        If a column is missing or a coordinate is not a finite number.
    """
    table = coordinate_table(coords)
    mni = to_mni(table_xyz(table), space, tal_transform)
    if space != "mni":
        for i, axis in enumerate(COORD_COLUMNS):
            table = table.append_column(f"{axis}_mni", pa.array(mni[:, i]))
    return table, mni


def check_free_columns(table: pa.Table, new_names) -> None:
    """Refuse input columns that an answer is about to add (``new_names``).

    Raises
    ------
    c2r_db.errors.InputError
    """
    taken = set(table.column_names) & set(new_names)
    if taken:
        raise InputError(
            f"input column(s) {', '.join(sorted(taken))} clash with output columns; rename them"
        )


def check_distance(value, option) -> float:
    """Return ``value`` as a float after checking it is a finite number >= 0 (mm).

    Raises
    ------
    c2r_db.errors.InputError
        Naming ``option`` (e.g. ``"--radius"``) and the value.
    """
    if value is None or not np.isfinite(value) or value < 0:
        raise InputError(f"{option} must be a finite number >= 0", value=str(value))
    return float(value)


_COORD_OPTION = re.compile(r"^\s*([^,]+),([^,]+),([^,]+)\s*$")


def coordinates_from_options(values) -> pa.Table:
    """Build a coordinate table from ``--coord X,Y,Z`` option values.

    Parameters
    ----------
    values : sequence of str
        Each ``"X,Y,Z"`` in mm.

    Returns
    -------
    pyarrow.Table with float64 columns x, y, z
    """
    rows = []
    for text in values:
        match = _COORD_OPTION.match(text)
        try:
            xyz = [float(v) for v in match.groups()] if match else None
        except ValueError:
            xyz = None
        if xyz is None or not all(np.isfinite(xyz)):
            raise InputError("--coord expects three finite numbers X,Y,Z", value=text)
        rows.append(xyz)
    xyz = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return pa.table({name: xyz[:, i] for i, name in enumerate(COORD_COLUMNS)})


def coordinate_table(coords) -> pa.Table:
    """Return ``coords`` as an Arrow table: a table is returned as is, an array-like becomes
    float64 columns x, y, z.

    Parameters
    ----------
    coords : pyarrow.Table, or (N, 3) or (3,) array-like, mm
    """
    if isinstance(coords, pa.Table):
        return coords
    xyz = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    return pa.table({name: xyz[:, i] for i, name in enumerate(COORD_COLUMNS)})


def column_numbers(column, fill) -> np.ndarray:
    """An Arrow column as a numpy array, nulls replaced by ``fill``."""
    return column.combine_chunks().fill_null(fill).to_numpy(zero_copy_only=False)


def table_xyz(table: pa.Table) -> np.ndarray:
    """The x, y, z columns of a table as an (N, 3) float64 array.

    Raises
    ------
    c2r_db.errors.InputError
        If a column is missing or a value is not a finite number.
    """
    missing = [c for c in COORD_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"coordinate table lacks column(s) {', '.join(missing)}")
    xyz = np.column_stack([column_numbers(table.column(c), np.nan).astype(np.float64)
                           for c in COORD_COLUMNS])
    if not np.all(np.isfinite(xyz)):
        raise InputError("coordinates must be finite numbers")
    return xyz
