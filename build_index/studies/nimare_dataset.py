"""NiMARE ``Dataset`` objects, in memory, as a study source: their coordinates, metadata and
texts (``abstract``) as :class:`~build_index.studies.rows.SourceRows`.

A Dataset holds its coordinates in its own space (``Dataset.space``, ``"mni152_2mm"`` by
default): NiMARE has already moved Talairach foci into it and relabelled foci of unknown space
as that space without moving them. They are taken as NiMARE holds them, labelled MNI for MNI
spaces (NiMARE's rule: the name contains ``mni`` or ``ale``) and TAL for Talairach ones (moved
to MNI by the build with Lancaster's transform); a Dataset without a space keeps each focus's
own label. The contrast of a focus is the Dataset's id of its contrast (``<study>-<contrast>``,
what ``Dataset.get_studies_by_coordinate`` returns), so that answers can name it.

Study fields (title, authors, journal, year, doi, pmid) come from the first of the study's
contrasts (in id order) that has them, the abstract from ``texts`` the same way; years that
are not whole numbers are left out. The PubMed id is the ``pmid`` metadata field when given,
else the study id when it is all digits (NiMARE's Neurosynth and NeuroQuery datasets key
studies by PubMed id).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from build_index.studies.rows import FOCUS_SCHEMA, SourceRows, study_table
from c2r_db.errors import InputError

__all__ = ["DatasetSource", "read_nimare_dataset", "space_class"]

_TEXT_FIELDS = ("pmid", "doi", "title", "authors", "journal")


def space_class(space) -> str | None:
    """"MNI" or "TAL" for a NiMARE space name (``"mni152_2mm"``, ``"ale_2mm"``,
    ``"tal"`` ...), following NiMARE's own rule; None for None or any other name."""
    name = str(space or "").lower()
    if "mni" in name or "ale" in name:
        return "MNI"
    return "TAL" if "tal" in name else None


def _texts(series) -> pa.Array:
    """A pandas column as text: missing values null, whole numbers without ``.0``."""
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects
        values = series.astype(object).where(series.notna(), None)
        array = pa.array([None if v is None else str(v) for v in values], pa.string())
    if pa.types.is_floating(array.type):
        whole = pc.and_(pc.is_finite(array), pc.equal(array, pc.round(array)))
        as_int = pc.cast(pc.cast(array, pa.int64(), safe=False), pa.string())
        return pc.if_else(whole, as_int, pc.cast(array, pa.string()))
    return pc.cast(array, pa.string())


def _years(series) -> pa.Array:
    """Whole-number years of a pandas column; anything else null."""
    import pandas as pd

    number = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    whole = np.isfinite(number) & (number == np.round(number))
    return pa.array(np.where(whole, number, 0).astype(np.int32), mask=~whole)


def _first_per_study(frame, fields) -> pa.Table:
    """study_id and, per study, the first non-null value of each field (in id order)."""
    present = [f for f in fields if f in frame.columns]
    ordered = frame.sort_values("id", kind="stable")
    table = pa.table({"study_id": _texts(ordered["study_id"]),
                      **{f: _years(ordered[f]) if f == "year" else _texts(ordered[f])
                         for f in present}})
    first = table.group_by("study_id", use_threads=False).aggregate(
        [(f, "first") for f in present])
    return first.rename_columns(["study_id", *present])


def read_nimare_dataset(dataset, name="dataset") -> SourceRows:
    """Study and focus rows of a NiMARE Dataset.

    Parameters
    ----------
    dataset : nimare.dataset.Dataset
    name : str
        Names the Dataset in error messages.

    Returns
    -------
    SourceRows
        One study row per study id of the Dataset, one focus row per row of
        ``dataset.coordinates`` (in id order).

    Raises
    ------
    c2r_db.errors.InputError
        If a coordinate is not a finite number.
    """
    coords = dataset.coordinates.sort_values("id", kind="stable")
    xyz = coords[["x", "y", "z"]].to_numpy(dtype=np.float64).reshape(-1, 3)
    bad = ~np.all(np.isfinite(xyz), axis=1)
    if bad.any():
        raise InputError(f"Dataset {name!r}: coordinates of {coords['id'].iloc[np.argmax(bad)]!r}"
                         " are not finite numbers")
    space = space_class(dataset.space)
    spaces = _texts(coords["space"]) if space is None else pa.array([space] * len(coords))
    foci = pa.table({"native_id": _texts(coords["study_id"]), "contrast": _texts(coords["id"]),
                     "orig_x": xyz[:, 0], "orig_y": xyz[:, 1], "orig_z": xyz[:, 2],
                     "reported_space": spaces.cast(pa.string())}, schema=FOCUS_SCHEMA)

    ids = pc.unique(pa.chunked_array([_texts(dataset.metadata["study_id"]),
                                      foci.column("native_id").combine_chunks()]))
    columns = {"native_id": ids}
    for frame, fields in ((dataset.metadata, (*_TEXT_FIELDS, "year")),
                          (dataset.texts, ("abstract",))):
        first = _first_per_study(frame, fields)
        row = pc.index_in(ids, value_set=first.column("study_id"))
        for field in first.column_names[1:]:
            columns[field] = first.column(field).combine_chunks().take(row)
    columns["pmid"] = pc.coalesce(columns["pmid"], ids) if "pmid" in columns else ids
    return SourceRows(study_table(columns), foci)


@dataclass(frozen=True)
class DatasetSource:
    """A NiMARE Dataset as a study source for :func:`build_index.build.load_study_sets`
    (the interface of :class:`build_index.studies.sources.StudySource`).

    Attributes
    ----------
    name : str
        Source name: the Dataset's name in the caller's mapping.
    dataset : nimare.dataset.Dataset
    """

    name: str
    dataset: object
    format: str = "nimare_dataset"

    @property
    def location(self) -> str:
        return f"NiMARE Dataset {self.name!r} (in memory)"

    @property
    def description(self) -> str:
        return f"NiMARE Dataset in {self.dataset.space or 'mixed'} space"

    def read(self) -> SourceRows:
        """Study and focus rows (see :func:`read_nimare_dataset`)."""
        return read_nimare_dataset(self.dataset, self.name)

    def relative(self, location) -> str:
        return str(location)
