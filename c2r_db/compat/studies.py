"""coord2region's study search, ``search_studies`` and ``get_studies_for_coordinate``,
answered by the grid-indexed radius search in SQL (the macros of ``sql/study_macros.sql``).

NiMARE Datasets are searched through an in-memory copy of them loaded exactly as a database
build loads study sets (:mod:`c2r_db.compat.study_index`, kept between calls); a
:class:`c2r_db.Database`, or None for the default database, is searched directly.

Each study found is one dict: ``id``, ``source``, ``title`` and ``abstract`` (each only when
known) as in coord2region, then ``study_id``, ``pmid``, ``doi``, ``authors``, ``journal``,
``year`` (None when unknown), ``distance_mm`` (MNI mm from the coordinate to the study's
nearest focus) and ``n_foci`` (its foci within the radius).

- ``id``: for Datasets, the Dataset id (``<study>-<contrast>``) of the study's first contrast,
  in id order, with a focus within the radius in the Dataset named by ``source``, as
  coord2region returns it; for a database, the study id (its PubMed id, or
  ``<source>:<id>`` for studies without one).
- ``source``: the name of the first Dataset (in the order searched) with a focus of the
  study within the radius; for a database, the earliest-loaded study source among the
  study's foci within the radius.

Where c2r-db differs from coord2region 0.1.5 (each on purpose):

- Studies are ordered by distance (nearest focus first), then study id, not by Dataset and
  id; they are merged by PubMed id (else by the Dataset's study id) like the database's, and
  every contrast of a study counts, not only the first found.
- ``radius`` is inclusive (a focus exactly ``radius`` mm away counts) and 0 finds foci exactly
  at the coordinate, as in NiMARE. Coordinates are MNI mm; a Talairach-space Dataset's foci
  are moved to MNI with Lancaster's transform before the search.
- ``coord`` may also be an (N, 3) array: the answer is then one list per coordinate, from one
  query.
- No title is made up from the authors and year; no abstract, title or other field is
  fetched from PubMed (Entrez) or CrossRef: they come from the data only, and ``email`` is
  accepted and not used (c2r-db makes no network requests). The results do not carry the
  email address.
- An unknown name in ``sources`` raises :class:`c2r_db.errors.UnknownNameError` instead of
  being skipped.
- For a database, ``sources`` names its study sources and keeps the studies one of them
  lists (each study's foci within the radius count, whichever source reported them), and foci
  of unknown space are left out, as in every c2r-db study search. A NiMARE Dataset has no
  such foci: NiMARE has already relabelled them as the Dataset's space, and they are searched
  as such, as NiMARE does.
"""

from __future__ import annotations

import numpy as np

from c2r_db.compat.mapper import points_array
from c2r_db.errors import UnknownNameError
from c2r_db.peaks import check_distance

__all__ = ["COMBINED", "search_studies", "get_studies_for_coordinate"]

#: Source name of a single Dataset given to :func:`get_studies_for_coordinate`.
COMBINED = "Combined"

_FIELDS = ("study_id", "pmid", "doi", "authors", "journal", "year", "distance_mm", "n_foci")


def _entry(row, dataset_ids) -> dict:
    entry = {"id": row["contrast"] if dataset_ids else row["study_id"], "source": row["source"]}
    entry.update({key: row[key] for key in ("title", "abstract") if row[key] is not None})
    entry.update({key: row[key] for key in _FIELDS})
    return entry


def _answers(database, points, radius, *, sources, dataset_ids):
    """One list of study dicts per point (rows of an (N, 3) array, MNI mm)."""
    params = {"radius": radius, "unknown_space_as_mni": dataset_ids, "sources": sources}
    with database.input_coordinates(points):
        rows = database.query("compat_studies_input", params).to_pylist()
    answers = [[] for _ in range(len(points))]
    for row in rows:
        answers[row["row_id"]].append(_entry(row, dataset_ids))
    return answers


def _selected(names, sources):
    """The names to search, in the order searched (``sources`` order when given)."""
    if sources is None:
        return list(names)
    for name in sources:
        if name not in names:
            raise UnknownNameError("dataset", name, names)
    return list(dict.fromkeys(sources))


def _search(datasets, coord, radius, sources):
    from c2r_db.database import Database

    radius = check_distance(radius, "radius")
    points = points_array(coord)
    if datasets is None or isinstance(datasets, Database):
        from c2r_db.compat.fetcher import open_database

        database, close = open_database(datasets)
        try:
            names = database.query("study_source_names").column("source").to_pylist()
            chosen = None if sources is None else _selected(names, sources)
            answers = _answers(database, points, radius, sources=chosen, dataset_ids=False)
        finally:
            if close:
                database.close()
    else:
        _check_datasets(datasets)
        chosen = _selected(list(datasets), sources)
        if chosen:
            from c2r_db.compat.study_index import dataset_database

            database = dataset_database([(name, datasets[name]) for name in chosen])
            answers = _answers(database, points, radius, sources=None, dataset_ids=True)
        else:
            answers = [[] for _ in range(len(points))]
    return answers[0] if np.ndim(coord) == 1 else answers


def _check_datasets(datasets):
    if not isinstance(datasets, dict):
        raise TypeError("datasets must be a dict of NiMARE Datasets, a single Dataset (for "
                        "get_studies_for_coordinate), a c2r_db.Database or None, got "
                        f"{type(datasets).__name__}")
    from nimare.dataset import Dataset

    for name, dataset in datasets.items():
        if not isinstance(dataset, Dataset):
            raise TypeError(f"datasets[{name!r}] is a {type(dataset).__name__}, not a NiMARE "
                            "Dataset")


def search_studies(datasets, coord, radius=0, sources=None, email=None):
    """Search selected datasets for studies reporting an MNI coordinate.

    Parameters
    ----------
    datasets : dict of str to nimare.dataset.Dataset, or c2r_db.Database, or None
        NiMARE Datasets keyed by source name; or a c2r-db database (None: ``$C2R_DB``, else
        the user cache database).
    coord : (3,) or (N, 3) array-like, MNI mm
        One coordinate ``[x, y, z]``, or several.
    radius : float
        Search radius in mm (inclusive); 0 finds foci exactly at the coordinate.
    sources : list of str, optional
        Dataset names (for a database: its study source names) to search, in this order.
        None searches them all.
    email : str, optional
        Accepted for compatibility and not used: nothing is fetched from PubMed.

    Returns
    -------
    list of dict
        One dict per study (see the module doc), nearest first; for an (N, 3) ``coord``, one
        such list per coordinate.

    Raises
    ------
    c2r_db.errors.UnknownNameError
        For a name in ``sources`` that is not searched.
    c2r_db.errors.InputError
        For a negative or non-finite radius.
    ValueError
        For a coordinate that is not 3 finite numbers (or an (N, 3) array of them).
    """
    return _search(datasets, coord, radius, sources)


def get_studies_for_coordinate(datasets, coord, radius=0, email=None, sources=None):
    """Find studies reporting an MNI coordinate across all datasets.

    A thin wrapper around :func:`search_studies`; a single (deduplicated) Dataset is searched
    as the source :data:`COMBINED` (``"Combined"``).

    Parameters
    ----------
    datasets : dict of str to nimare.dataset.Dataset, or nimare.dataset.Dataset, or
        c2r_db.Database, or None
        See :func:`search_studies`.
    coord : (3,) or (N, 3) array-like, MNI mm
    radius : float
        Search radius in mm (inclusive); 0 finds foci exactly at the coordinate.
    email : str, optional
        Accepted for compatibility and not used.
    sources : list of str, optional
        Restrict the search to these names.

    Returns
    -------
    list of dict
        See :func:`search_studies`.
    """
    from c2r_db.database import Database

    if datasets is not None and not isinstance(datasets, (dict, Database)):
        datasets = {COMBINED: datasets}
    return _search(datasets, coord, radius, sources)
