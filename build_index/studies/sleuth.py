"""Sleuth text files (BrainMap, GingerALE): one or more experiments, each a block of ``//``
header lines followed by one focus per line::

    // Reference = Talairach
    // Smith et al., 2010: Faces > Houses
    // Subjects = 12
    -38   34   20
    28    46   40

Rules, as read here:

- ``// Reference = MNI`` or ``// Reference = Talairach`` (also ``TAL``; any case, spaces
  optional) sets the space of the experiments that follow; it must come before the first focus.
- ``// Key = value`` lines (a key of letters and spaces) are metadata: ``PubMedId`` (or
  ``PMID``), ``DOI``, ``Year``, ``Authors`` and ``Publication`` (the journal), as NiMARE writes
  them, give the study's fields; ``Subjects`` and other keys are read and ignored.
- Other header lines name the experiment: the study is the text before the first ``:`` of its
  first name line, the contrast the text after it (all name lines' contrasts joined by ``; ``;
  ``1`` when there is no ``:``).
- A focus line holds exactly three numbers separated by spaces or tabs. Blank lines are
  ignored. A header line after foci, or a name line after ``// Subjects``, starts the next
  experiment.
- Experiments of the same study (same name) are one study with several contrasts.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pyarrow as pa

from build_index.studies.rows import FOCUS_SCHEMA, SourceRows, study_table, year_of
from c2r_db.errors import InputError
from c2r_db.peaks import read_input_bytes

__all__ = ["read_sleuth", "looks_like_sleuth"]

_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*=\s*(.*?)\s*$")
_REFERENCES = {"MNI": "MNI", "TAL": "TAL", "TALAIRACH": "TAL"}
_FIELDS = {"pubmedid": "pmid", "pmid": "pmid", "doi": "doi", "year": "year",
           "authors": "authors", "publication": "journal"}


def looks_like_sleuth(raw: bytes) -> bool:
    """Whether the first non-blank line of ``raw`` is a ``//`` comment."""
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"//")


class _Study:
    def __init__(self, name):
        self.name = name
        self.fields = dict.fromkeys(set(_FIELDS.values()))


def _focus(text: str, path: Path, number: int) -> list[float]:
    fields = text.split()
    if len(fields) != 3:
        raise InputError(f"expected a focus 'x y z' (3 numbers), got {len(fields)} fields",
                         path=path, line=number, value=text)
    values = []
    for field in fields:
        try:
            value = float(field)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError("not a finite number", path=path, line=number, value=field)
        values.append(value)
    return values


def read_sleuth(path) -> SourceRows:
    """Read a Sleuth text file.

    Parameters
    ----------
    path : Path

    Returns
    -------
    SourceRows

    Raises
    ------
    c2r_db.errors.InputError
        A line that breaks the rules in the module docstring (its number named), or a file
        without a reference space or without foci.
    """
    path = Path(path)
    raw = read_input_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text, expected a Sleuth file", path=path, line=line) from None
    studies: dict[str, _Study] = {}
    foci = {name: [] for name in FOCUS_SCHEMA.names}
    space = None
    names: list[str] = []     # name lines of the experiment being read
    fields: dict = {}         # its metadata lines: field -> (value, line number)
    subjects = False          # its Subjects line was read
    study = contrast = None   # set once its first focus is read
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("//"):
            body = stripped[2:].strip()
            pair = _KEY_VALUE.match(body)
            key = pair.group(1).replace(" ", "").lower() if pair else None
            if key == "reference":
                value = pair.group(2).replace(" ", "").upper()
                if value not in _REFERENCES:
                    raise InputError("unknown reference space; expected MNI or Talairach",
                                     path=path, line=number, value=pair.group(2))
                space = _REFERENCES[value]
                continue
            if study is not None or (subjects and not pair):
                names, fields, subjects, study = [], {}, False, None
            if key == "subjects":
                subjects = True
            elif key in _FIELDS:
                fields[_FIELDS[key]] = (pair.group(2), number)
            elif not pair and body:
                names.append(body)
            continue
        xyz = _focus(stripped, path, number)
        if space is None:
            raise InputError("focus before any '// Reference = MNI' or '// Reference = "
                             "Talairach' line", path=path, line=number)
        if study is None:
            if not names:
                raise InputError("focus before any experiment name line ('// Author, Year: "
                                 "Experiment')", path=path, line=number)
            name = names[0].partition(":")[0].strip() or names[0]
            study = studies.setdefault(name, _Study(name))
            parts = [n.partition(":")[2].strip() for n in names]
            contrast = "; ".join(p for p in parts if p) or "1"
            for field, (value, at) in fields.items():
                if study.fields[field] is None:
                    study.fields[field] = (year_of(value, path=path, line=at) if field == "year"
                                           else value)
        foci["native_id"].append(study.name)
        foci["contrast"].append(contrast)
        for axis, value in zip("xyz", xyz):
            foci[f"orig_{axis}"].append(value)
        foci["reported_space"].append(space)
    if not foci["native_id"]:
        raise InputError("no foci found; expected a Sleuth text file", path=path)
    listed = list(studies.values())
    columns = {"native_id": [s.name for s in listed]}
    for field in set(_FIELDS.values()):
        columns[field] = [s.fields[field] for s in listed]
    return SourceRows(study_table(columns), pa.table(foci, schema=FOCUS_SCHEMA))
