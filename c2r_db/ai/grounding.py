"""Evidence for the AI layer, taken from the database: for each MNI coordinate, its region in
each chosen atlas and the studies with foci within a radius, nearest first.

Every prompt c2r-db sends is built from an :class:`Evidence`, so a summary or report can only
draw on what the database holds; with no study in the radius the prompt says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .reports import ReasonedReportContext

__all__ = ["DEFAULT_RADIUS_MM", "LISTED_STUDIES", "Evidence", "gather_evidence"]

DEFAULT_RADIUS_MM = 6.0
#: Studies given in full (with abstracts) per coordinate; the rest are only counted.
LISTED_STUDIES = 25
_STUDY_KEYS = ("study_id", "pmid", "doi", "title", "authors", "journal", "year", "distance_mm",
               "n_foci")


@dataclass(frozen=True)
class Evidence:
    """What the database knows about one coordinate.

    Attributes
    ----------
    coordinate_mni : tuple of 3 float, MNI mm
    radius_mm : float
        Radius of the study search.
    labels : list of dict
        One per atlas: atlas, region (None when none), region_id, hemisphere, distance_mm
        (0 inside the region) and probability (probabilistic atlases).
    studies : list of dict
        Studies with a focus within ``radius_mm``, nearest first: study_id, pmid, doi, title,
        authors, journal, year, distance_mm (nearest focus), n_foci (within the radius), and
        abstract for the first :data:`LISTED_STUDIES`.
    """

    coordinate_mni: tuple[float, float, float]
    radius_mm: float
    labels: list[dict[str, Any]] = field(default_factory=list)
    studies: list[dict[str, Any]] = field(default_factory=list)

    def atlas_labels(self) -> dict[str, str]:
        """``{atlas: label}`` for prompts; a nearest-region label names its distance."""
        out = {}
        for label in self.labels:
            if label["region"] is None:
                out[label["atlas"]] = "no region within the search distance"
            elif label["distance_mm"]:
                out[label["atlas"]] = f"{label['region']} (nearest region, {label['distance_mm']:.1f} mm away)"
            else:
                out[label["atlas"]] = label["region"]
        return out

    def report_context(self) -> ReasonedReportContext:
        """The structured context of a reasoned report about this coordinate."""
        from c2r_db.hemisphere import infer_hemisphere

        atlas = {
            label["atlas"]: {k: label[k] for k in ("region", "hemisphere", "distance_mm", "probability")
                             if label[k] is not None}
            for label in self.labels
        }
        notes = [
            f"{label['atlas']}: the coordinate lies outside every region; {label['region']} is the "
            f"nearest, {label['distance_mm']:.1f} mm away"
            for label in self.labels
            if label["region"] is not None and label["distance_mm"]
        ]
        notes.append(f"Studies: every study with an activation focus within {self.radius_mm:g} mm.")
        return ReasonedReportContext(
            coordinate_mni=list(self.coordinate_mni),
            hemisphere=infer_hemisphere(self.coordinate_mni),
            atlas=atlas,
            atlas_notes=notes,
            studies=self.studies,
        )


def _labels_per_row(db, mni, atlases, max_distance) -> list[list[dict]]:
    from c2r_db.lookup import regions_at

    rows = regions_at(db, mni, atlases, max_distance=max_distance, long=True).to_pylist()
    per_row = len(rows) // len(mni) if len(mni) else 0
    keys = ("atlas", "region", "region_id", "hemisphere", "distance_mm", "probability")
    return [[{k: r[k] for k in keys} for r in rows[i * per_row:(i + 1) * per_row]]
            for i in range(len(mni))]


def _studies_per_row(db, mni, radius, unknown_space_as_mni) -> list[list[dict]]:
    import pyarrow as pa

    from c2r_db.studies import studies_near

    points = pa.table({"input_row": np.arange(len(mni)), "x": mni[:, 0], "y": mni[:, 1],
                       "z": mni[:, 2]})
    table = studies_near(db, points, radius, unknown_space_as_mni=unknown_space_as_mni, long=True)
    per_row = [[] for _ in range(len(mni))]
    for record in table.select(["input_row", *_STUDY_KEYS]).to_pylist():
        per_row[record.pop("input_row")].append(record)
    listed = [study for studies in per_row for study in studies[:LISTED_STUDIES]]
    found = db.query("study_abstracts", {"study_ids": sorted({s["study_id"] for s in listed})})
    abstracts = dict(zip(found.column("study_id").to_pylist(), found.column("abstract").to_pylist()))
    for study in listed:
        study["abstract"] = abstracts.get(study["study_id"])
    return per_row


def gather_evidence(db, coords_mni, atlases=None, *, radius=DEFAULT_RADIUS_MM, max_distance=None,
                    unknown_space_as_mni=False) -> list[Evidence]:
    """Collect the evidence for each coordinate.

    Parameters
    ----------
    db : c2r_db.Database
    coords_mni : (N, 3) array-like, MNI mm
    atlases : sequence of str, optional
        Atlases to label with (all by default).
    radius : float
        Study search radius, mm.
    max_distance : float, optional
        Nearest-region distance for labels (the lookup's default when None).
    unknown_space_as_mni : bool
        Also use foci whose source gave no known space.

    Returns
    -------
    list of Evidence, one per coordinate, in input order
    """
    from c2r_db.lookup import DEFAULT_MAX_DISTANCE_MM

    mni = np.asarray(coords_mni, dtype=np.float64).reshape(-1, 3)
    distance = DEFAULT_MAX_DISTANCE_MM if max_distance is None else max_distance
    labels = _labels_per_row(db, mni, atlases, distance)
    studies = _studies_per_row(db, mni, radius, unknown_space_as_mni)
    return [Evidence(tuple(float(v) for v in point), float(radius), row_labels, row_studies)
            for point, row_labels, row_studies in zip(mni.tolist(), labels, studies)]
