"""Read region label files: csv/tsv, whitespace ``id name`` text, FreeSurfer LUT, FSL XML.

Every reader returns ``{region_id: name}`` and raises :class:`c2r_db.errors.InputError` naming
the file and line of the first entry it cannot use.

Formats
-------
csv / tsv (``.csv``, ``.tsv``)
    A header with an id column (``index``, ``id``, ``label_id`` or ``value``) and a name column
    (``name``, ``label`` or ``region``); other columns are ignored.
whitespace text (``.txt``, ``.lut`` and anything else)
    ``id name [more columns]`` per line, ``#`` comments and blank lines skipped. The name is the
    second field, so FreeSurfer colour tables (``id name R G B A``) read the same way; names
    with spaces need csv/tsv.
FSL XML (``.xml``)
    ``<label index="k">name</label>`` entries. FSL indexes are 0-based volume numbers of the 4D
    probabilistic image; its 3D summary images store ``index + 1``, so for a 3D volume the ids
    returned are ``index + 1``.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

from c2r_db.errors import InputError

__all__ = ["read_labels", "LABEL_FORMATS"]

LABEL_FORMATS = ("csv", "tsv", "whitespace", "fsl_xml")
_ID_COLUMNS = ("index", "id", "label_id", "value")
_NAME_COLUMNS = ("name", "label", "region")


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".csv": "csv", ".tsv": "tsv", ".xml": "fsl_xml"}.get(suffix, "whitespace")


def _parse_id(text, path, line):
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not value.is_integer():
            raise InputError("region id is not an integer", path=path, line=line, value=text)
        return int(value)


def _add(labels, region_id, name, path, line):
    if region_id in labels:
        raise InputError(
            f"region id {region_id} is listed twice ({labels[region_id]!r} and {name!r})",
            path=path,
            line=line,
        )
    if not name:
        raise InputError(f"region id {region_id} has an empty name", path=path, line=line)
    labels[region_id] = name


def _read_delimited(path: Path, text: str, delimiter: str) -> dict[int, str]:
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        raise InputError("label file is empty", path=path)
    lowered = [h.strip().lower() for h in header]
    id_col = next((lowered.index(c) for c in _ID_COLUMNS if c in lowered), None)
    name_col = next((lowered.index(c) for c in _NAME_COLUMNS if c in lowered), None)
    if id_col is None or name_col is None:
        raise InputError(
            f"label header needs an id column ({'/'.join(_ID_COLUMNS)}) and a name column "
            f"({'/'.join(_NAME_COLUMNS)}); found {header}",
            path=path,
            line=1,
        )
    labels: dict[int, str] = {}
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(id_col, name_col):
            raise InputError(f"expected {len(header)} fields, got {len(row)}", path=path, line=line)
        _add(labels, _parse_id(row[id_col].strip(), path, line), row[name_col].strip(), path, line)
    return labels


def _read_whitespace(path: Path, text: str) -> dict[int, str]:
    labels: dict[int, str] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        fields = stripped.split()
        if len(fields) < 2:
            raise InputError("expected 'id name'", path=path, line=line_number, value=line)
        _add(labels, _parse_id(fields[0], path, line_number), fields[1], path, line_number)
    return labels


def _read_fsl_xml(path: Path, text: str, volume_is_4d: bool) -> dict[int, str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"not valid XML ({exc})", path=path, line=exc.position[0]) from None
    labels: dict[int, str] = {}
    offset = 0 if volume_is_4d else 1
    for element in root.iter("label"):
        index = element.get("index")
        if index is None:
            raise InputError("<label> without an index attribute", path=path)
        _add(labels, _parse_id(index, path, None) + offset, (element.text or "").strip(), path, None)
    if not labels:
        raise InputError("no <label index=...> entries found", path=path)
    return labels


def read_labels(path, *, volume_is_4d: bool = False, fmt: str | None = None) -> dict[int, str]:
    """Read a label file.

    Parameters
    ----------
    path : str or Path
    volume_is_4d : bool
        Whether the atlas image is 4D (probabilistic); only changes FSL XML ids (see module doc).
    fmt : {"csv", "tsv", "whitespace", "fsl_xml"}, optional
        Format; by default inferred from the extension.

    Returns
    -------
    dict of int to str
        Region id -> name, in file order.
    """
    path = Path(path)
    fmt = fmt or _format_of(path)
    if fmt not in LABEL_FORMATS:
        raise InputError(f"unknown label format {fmt!r}; choose from {', '.join(LABEL_FORMATS)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read label file ({exc.strerror})", path=path) from None
    if b"\x00" in raw[:8192]:
        raise InputError("label file is binary, expected text", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("label file is not UTF-8 text", path=path, line=line) from None
    if fmt == "fsl_xml":
        labels = _read_fsl_xml(path, text, volume_is_4d)
    elif fmt == "whitespace":
        labels = _read_whitespace(path, text)
    else:
        labels = _read_delimited(path, text, "," if fmt == "csv" else "\t")
    if not labels:
        raise InputError("label file lists no regions", path=path)
    return labels
