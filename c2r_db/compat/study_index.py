"""In-memory study databases for NiMARE Datasets, built once per selection of Datasets.

A selection (Datasets with their names, in order) is loaded into an in-memory DuckDB database
by the build's own study loading (:func:`build_index.build.load_study_sets`): the same schema,
merging by PubMed id, grid cells and stored macros as a database file, so a radius search runs
the same SQL. The database is kept while its Datasets live and still hold the same
coordinate, metadata and text tables (NiMARE replaces a table when it is set; changing one in
place is not noticed), for the last :data:`KEEP` selections searched.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

__all__ = ["KEEP", "dataset_database"]

#: How many selections of Datasets keep their in-memory database.
KEEP = 4

_TABLES = ("coordinates", "metadata", "texts")
_LOCK = threading.RLock()  # re-entrant: a weak reference's callback may run inside
_KEPT: OrderedDict = OrderedDict()  # key -> (weak references, tables, Database)


def _key(named):
    return tuple((name, id(dataset)) for name, dataset in named)


def _current(entry, named) -> bool:
    references, tables, _ = entry
    return all(ref() is dataset and all(table is getattr(dataset, t)
                                        for table, t in zip(held, _TABLES))
               for ref, held, (_, dataset) in zip(references, tables, named))


def _forget(key):
    with _LOCK:
        entry = _KEPT.pop(key, None)
    if entry is not None:
        entry[2].close()


def _build(named):
    import duckdb

    from build_index.build import load_study_sets
    from build_index.studies.nimare_dataset import DatasetSource
    from c2r_db.database import Database

    con = duckdb.connect()
    try:
        load_study_sets(con, [DatasetSource(name, dataset) for name, dataset in named])
    except BaseException:
        con.close()
        raise
    label = "in-memory study index of " + ", ".join(name for name, _ in named)
    return Database.from_connection(con, label)


def dataset_database(named):
    """The in-memory database of some NiMARE Datasets, built on first use.

    Parameters
    ----------
    named : sequence of (str, nimare.dataset.Dataset)
        Source names (unique) and Datasets, in load order: where Datasets share a study
        (same PubMed id), its fields come from the first that has them.

    Returns
    -------
    c2r_db.Database
        Owned by this module: do not close it.
    """
    named = tuple(named)
    key = _key(named)
    with _LOCK:
        entry = _KEPT.get(key)
        if entry is not None and _current(entry, named):
            _KEPT.move_to_end(key)
            return entry[2]
    _forget(key)
    database = _build(named)
    references = tuple(weakref.ref(d, lambda _, key=key: _forget(key)) for _, d in named)
    tables = tuple(tuple(getattr(d, t) for t in _TABLES) for _, d in named)
    with _LOCK:
        _KEPT[key] = (references, tables, database)
        stale = list(_KEPT)[:-KEEP]
    for old in stale:
        _forget(old)
    return database

