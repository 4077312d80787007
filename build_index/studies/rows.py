"""The rows every study reader returns, and the normalisation they all share: space labels
to MNI / TAL / UNKNOWN, Talairach foci to MNI, PubMed ids, empty-value markers, years.

A reader returns a :class:`SourceRows`: one study row per study id the source uses (its
``native_id``) and one focus row per reported coordinate, in file order. :func:`staged` adds
what the database load needs (source name, load order, row number, MNI coordinates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from c2r_db.errors import InputError
from c2r_db.spaces import tal_to_mni

__all__ = [
    "STUDY_SCHEMA",
    "FOCUS_SCHEMA",
    "SourceRows",
    "space_classes",
    "pmid_from_id",
    "text_or_null",
    "year_of",
    "study_table",
    "staged",
]

STUDY_SCHEMA = pa.schema([
    ("native_id", pa.string()),   # the source's own study id
    ("pmid", pa.string()),        # digits only, or null
    ("doi", pa.string()),
    ("title", pa.string()),
    ("authors", pa.string()),
    ("journal", pa.string()),
    ("year", pa.int32()),
    ("abstract", pa.string()),
])
FOCUS_SCHEMA = pa.schema([
    ("native_id", pa.string()),
    ("contrast", pa.string()),
    ("orig_x", pa.float64()),     # mm, as reported
    ("orig_y", pa.float64()),
    ("orig_z", pa.float64()),
    ("reported_space", pa.string()),  # the source's label, or null
])

_EMPTY = ("", "n/a", "na", "nan", "none", "null")
_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class SourceRows:
    """What one study source holds.

    Attributes
    ----------
    studies : pyarrow.Table, :data:`STUDY_SCHEMA`
        One row per native id; every native id of ``foci`` has one.
    foci : pyarrow.Table, :data:`FOCUS_SCHEMA`
        One row per reported focus, in file order.
    """

    studies: pa.Table
    foci: pa.Table


def space_classes(reported) -> pa.Array:
    """Classify space labels: MNI (``MNI*``, ``ICBM*``), TAL (``TAL*``), else UNKNOWN.

    Parameters
    ----------
    reported : pyarrow string array or sequence of str/None
        Labels as the source gives them, any case; null means not given.

    Returns
    -------
    pyarrow string array of "MNI", "TAL" or "UNKNOWN"
    """
    label = pc.utf8_upper(pc.utf8_trim_whitespace(pa.array(reported, pa.string())))
    is_mni = pc.fill_null(pc.or_(pc.starts_with(label, "MNI"), pc.starts_with(label, "ICBM")),
                          False)
    is_tal = pc.fill_null(pc.starts_with(label, "TAL"), False)
    return pc.if_else(is_mni, "MNI", pc.if_else(is_tal, "TAL", "UNKNOWN"))


def pmid_from_id(ids) -> pa.Array:
    """The ids that are PubMed ids (digits only) as they are, the others as null."""
    ids = pa.array(ids, pa.string())
    digits = pc.fill_null(pc.match_substring_regex(ids, _DIGITS.pattern), False)
    return pc.if_else(digits, ids, pa.nulls(len(ids), pa.string()))


def text_or_null(values) -> pa.Array:
    """Strings trimmed, with empty values and markers (``n/a``, ``NA``, ``nan``, ``None``,
    ``null``; any case) as null."""
    text = pc.utf8_trim_whitespace(pa.array(values, pa.string()))
    empty = pc.fill_null(pc.is_in(pc.utf8_lower(text), value_set=pa.array(_EMPTY)), False)
    return pc.if_else(empty, pa.nulls(len(text), pa.string()), text)


def year_of(value, *, path, line=None) -> int | None:
    """A publication year from text or a number (``2006``, ``"2006"``, ``"2006.0"``).

    Returns None for empty values (see :func:`text_or_null`).

    Raises
    ------
    c2r_db.errors.InputError
        For anything else, naming ``path`` and ``line``.
    """
    if value is None or isinstance(value, float) and np.isnan(value):
        return None
    text = str(value).strip()
    if text.lower() in _EMPTY:
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or not number.is_integer():
        raise InputError("year is not a whole number", path=path, line=line, column="year",
                         value=text)
    return int(number)


def study_table(columns: dict) -> pa.Table:
    """Study rows in :data:`STUDY_SCHEMA` from a dict of columns (sequences or arrays).

    Text fields pass through :func:`text_or_null`; ``pmid`` keeps digits-only values (others
    become null). Columns not given are null.
    """
    n = len(columns["native_id"])
    out = {}
    for field in STUDY_SCHEMA:
        values = columns.get(field.name)
        if values is None:
            out[field.name] = pa.nulls(n, field.type)
        elif field.name == "year":
            out[field.name] = pa.array(values, field.type)
        elif field.name == "pmid":
            out[field.name] = pmid_from_id(text_or_null(values))
        else:
            out[field.name] = text_or_null(values)
    return pa.table(out, schema=STUDY_SCHEMA)


def staged(rows: SourceRows, source: str, load_order: int) -> tuple[pa.Table, pa.Table]:
    """Study and focus rows ready for the database load.

    Parameters
    ----------
    rows : SourceRows
    source : str
        The source's name.
    load_order : int
        Its position among the build's sources (earlier sources win ties, see README).

    Returns
    -------
    studies : pyarrow.Table
        ``rows.studies`` plus source, load_order and row (0-based, file order).
    foci : pyarrow.Table
        ``rows.foci`` plus source, load_order, row, orig_space (MNI / TAL / UNKNOWN) and
        x, y, z in MNI mm: Talairach foci through Lancaster's transform
        (:func:`c2r_db.spaces.tal_to_mni`), MNI and UNKNOWN foci as reported.
    """
    foci = rows.foci
    orig = np.column_stack([foci.column(c).to_numpy() for c in ("orig_x", "orig_y", "orig_z")])
    orig_space = space_classes(foci.column("reported_space"))
    mni = orig.reshape(-1, 3).copy()
    tal = pc.equal(orig_space, "TAL").to_numpy(zero_copy_only=False)
    if tal.any():
        mni[tal] = tal_to_mni(orig[tal], "lancaster")
    mni += 0.0  # -0.0 becomes 0.0, so that equal positions compare and group as equal

    def labelled(table):
        n = table.num_rows
        return (table.append_column("source", pa.array([source] * n, pa.string()))
                .append_column("load_order", pa.array(np.full(n, load_order, np.int32)))
                .append_column("row", pa.array(np.arange(n, dtype=np.int64))))

    foci = labelled(foci).append_column("orig_space", orig_space)
    for i, axis in enumerate("xyz"):
        foci = foci.append_column(axis, pa.array(mni[:, i]))
    return labelled(rows.studies), foci
