"""c2r-db: brain coordinates -> atlas regions, nearby studies and grounded summaries, answered
from one spatially indexed DuckDB file.

>>> import c2r_db                                         # doctest: +SKIP
>>> with c2r_db.Database("c2r.duckdb") as db:             # doctest: +SKIP
...     table = c2r_db.regions_at(db, [[-42, 22, 8]], ["aal3"])
...     near = c2r_db.studies_near(db, [[-42, 22, 8]], radius=6)

Names are imported on first use, so ``import c2r_db`` (and the CLI's start-up) stays fast.
"""

from __future__ import annotations

import importlib

__all__ = [
    "Database",
    "regions_at",
    "studies_near",
    "study",
    "read_coordinates",
    "default_db_path",
    "C2RError",
    "InputError",
    "DatabaseError",
    "UnknownNameError",
]

_WHERE = {
    "Database": "c2r_db.database",
    "regions_at": "c2r_db.lookup",
    "studies_near": "c2r_db.studies",
    "study": "c2r_db.studies",
    "read_coordinates": "c2r_db.peaks",
    "default_db_path": "c2r_db.paths",
    "C2RError": "c2r_db.errors",
    "InputError": "c2r_db.errors",
    "DatabaseError": "c2r_db.errors",
    "UnknownNameError": "c2r_db.errors",
}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'c2r_db' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
