"""Write result tables as csv, tsv, json (an array of row objects), ndjson or Parquet, to a file
or to standard output. Files are written to a temporary name in the target folder and renamed
into place, so a failed or interrupted run never leaves a partial file behind.

List columns (e.g. study ids) stay lists in json, ndjson and Parquet and are joined with ``;``
in csv and tsv.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from c2r_db.errors import InputError

__all__ = ["OUTPUT_FORMATS", "output_format", "write_table"]

OUTPUT_FORMATS = ("csv", "tsv", "json", "ndjson", "parquet")
_BY_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".ndjson": "ndjson",
              ".jsonl": "ndjson", ".parquet": "parquet", ".pq": "parquet"}
_COPY_OPTIONS = {
    "csv": "FORMAT csv, HEADER true, DELIMITER ','",
    "tsv": "FORMAT csv, HEADER true, DELIMITER '\t'",
    "json": "FORMAT json, ARRAY true",
    "ndjson": "FORMAT json",
    "parquet": "FORMAT parquet",
}


def output_format(out_path, explicit=None) -> str:
    """Choose the output format: ``explicit``, else from the extension of ``out_path``, else csv."""
    if explicit:
        return explicit
    if out_path is not None:
        return _BY_SUFFIX.get(Path(out_path).suffix.lower(), "csv")
    return "csv"


def _select_list(table: pa.Table, fmt: str) -> str:
    columns = []
    for field in table.schema:
        quoted = '"' + field.name.replace('"', '""') + '"'
        if fmt in ("csv", "tsv") and pa.types.is_list(field.type):
            columns.append(f"array_to_string({quoted}, ';') AS {quoted}")
        else:
            columns.append(quoted)
    return ", ".join(columns) if columns else "*"


def _copy(table: pa.Table, path: Path, fmt: str) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("result", table)
        target = str(path).replace("'", "''")
        con.execute(
            f"COPY (SELECT {_select_list(table, fmt)} FROM result) TO '{target}' "
            f"({_COPY_OPTIONS[fmt]})"
        )
    finally:
        con.close()


def write_table(table: pa.Table, out_path=None, fmt=None, stdout=None) -> None:
    """Write ``table`` to ``out_path`` (atomically) or to ``stdout``.

    Parameters
    ----------
    table : pyarrow.Table
    out_path : str or Path, optional
        Destination file; its folder must exist. ``None`` or ``"-"`` writes to ``stdout``.
    fmt : {"csv", "tsv", "json", "ndjson", "parquet"}, optional
        Default: from the extension of ``out_path``, else csv.
    stdout : binary file object, optional
        Where standard output goes (default ``sys.stdout.buffer``).

    Raises
    ------
    c2r_db.errors.InputError
        If the destination folder does not exist or the format is unknown.
    """
    if out_path == "-":
        out_path = None
    fmt = output_format(out_path, fmt)
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format {fmt!r}; choose from {', '.join(OUTPUT_FORMATS)}")
    if out_path is not None:
        out_path = Path(out_path)
        if not out_path.parent.is_dir():
            raise InputError("output folder does not exist", path=out_path.parent)
        if out_path.is_dir():
            raise InputError("output path is a folder, expected a file name", path=out_path)
    folder = out_path.parent if out_path is not None else None
    scratch = Path(tempfile.mkdtemp(prefix=".c2r-out-", dir=folder))
    try:
        staged = scratch / f"result.{fmt}"
        _copy(table, staged, fmt)
        if out_path is not None:
            os.replace(staged, out_path)
        else:
            import sys

            target = stdout if stdout is not None else sys.stdout.buffer
            with open(staged, "rb") as handle:
                shutil.copyfileobj(handle, target)
            target.flush()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
