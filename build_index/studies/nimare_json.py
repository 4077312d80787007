"""NiMARE Dataset JSON files: ``{study: {"metadata": {...}, "contrasts": {contrast: {"coords":
{"space": ..., "x": [...], "y": [...], "z": [...]}, "metadata": {...}, "text": {...}}}}}``.

Study fields (title, authors, journal, year, doi, pmid) come from the study's ``metadata``,
else from its contrasts' ``metadata`` in file order; the abstract from ``text.abstract`` the
same way. The PubMed id is ``metadata.pmid`` when given, else the study key when it is all
digits (NiMARE's Neurosynth and NeuroQuery datasets key studies by PMID). A contrast without
``coords`` has no foci. Errors name the file and the line where the study (or contrast) starts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa

from build_index.studies.rows import FOCUS_SCHEMA, STUDY_SCHEMA, SourceRows, study_table, year_of
from c2r_db.errors import InputError
from c2r_db.peaks import read_input_bytes

__all__ = ["read_nimare_json"]

_TEXT_FIELDS = ("doi", "title", "authors", "journal")


class _Locator:
    """Line numbers of keys in the JSON text (the first occurrence after a position)."""

    def __init__(self, text: str):
        self.text = text

    def find(self, key: str, start: int = 0) -> int:
        at = self.text.find(json.dumps(key), start)
        return at if at >= 0 else start

    def line(self, position: int) -> int:
        return self.text.count("\n", 0, position) + 1


def _object(value, what, path, line) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{what} must be a JSON object", path=path, line=line)
    return value


def _numbers(values, axis, path, line) -> list[float]:
    if not isinstance(values, list):
        raise InputError(f"coords.{axis} must be a list of numbers", path=path, line=line)
    for i, value in enumerate(values):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise InputError(f"coords.{axis}[{i}] is not a finite number", path=path, line=line,
                             value=str(value))
    return [float(v) for v in values]


def _first(blocks, key):
    for block in blocks:
        value = block.get(key)
        if value not in (None, ""):
            return value
    return None


def read_nimare_json(path) -> SourceRows:
    """Read a NiMARE Dataset JSON file.

    Parameters
    ----------
    path : Path

    Returns
    -------
    SourceRows

    Raises
    ------
    c2r_db.errors.InputError
        Invalid JSON (its line named) or a study that does not follow the Dataset layout.
    """
    path = Path(path)
    try:
        text = read_input_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text, expected a NiMARE Dataset JSON file", path=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected a NiMARE Dataset: a JSON object of studies", path=path, line=1)
    where = _Locator(text)
    studies = {name: [] for name in STUDY_SCHEMA.names}
    foci = {name: [] for name in FOCUS_SCHEMA.names}
    for key, study in data.items():
        at = where.find(key)
        line = where.line(at)
        study = _object(study, f"study {key!r}", path, line)
        contrasts = _object(study.get("contrasts"), f"study {key!r}: contrasts", path, line)
        blocks = [_object(study.get("metadata"), f"study {key!r}: metadata", path, line)]
        texts = [_object(study.get("text"), f"study {key!r}: text", path, line)]
        for name, contrast in contrasts.items():
            c_line = where.line(where.find(name, at))
            contrast = _object(contrast, f"study {key!r}, contrast {name!r}", path, c_line)
            blocks.append(_object(contrast.get("metadata"), "metadata", path, c_line))
            texts.append(_object(contrast.get("text"), "text", path, c_line))
            coords = _object(contrast.get("coords"), "coords", path, c_line)
            if not coords:
                continue
            xyz = [_numbers(coords.get(axis), axis, path, c_line) for axis in "xyz"]
            if len({len(v) for v in xyz}) != 1:
                raise InputError(f"study {key!r}, contrast {name!r}: coords x, y, z have "
                                 f"{', '.join(str(len(v)) for v in xyz)} values",
                                 path=path, line=c_line)
            n = len(xyz[0])
            foci["native_id"] += [key] * n
            foci["contrast"] += [name] * n
            for axis, values in zip("xyz", xyz):
                foci[f"orig_{axis}"] += values
            space = coords.get("space")
            foci["reported_space"] += [None if space is None else str(space)] * n
        studies["native_id"].append(key)
        for field in _TEXT_FIELDS:
            value = _first(blocks, field)
            studies[field].append(None if value is None else str(value))
        pmid = _first(blocks, "pmid")
        studies["pmid"].append(key if pmid is None else str(pmid))
        studies["year"].append(year_of(_first(blocks, "year"), path=path, line=line))
        abstract = _first(texts, "abstract")
        studies["abstract"].append(None if abstract is None else str(abstract))
    return SourceRows(study_table(studies), pa.table(foci, schema=FOCUS_SCHEMA))
