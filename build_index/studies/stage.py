"""Study sets into the database: each source read and normalised to Parquet in the build's
staging folder, then loaded, merged and indexed by the SQL in ``sql/build.sql``.

The grid cell size, ``CELL_MM``, was chosen by measurement (``python bench/bench_studies.py
--cell-sizes 3,4,5,6,8,10``). On Neurosynth-scale foci, 10,000-peak queries at r = 3, 6 and
10 mm took within about 15% of each other for any cell from 3 to 10 mm, because their time
goes mostly into grouping the answer (about 400 studies per peak at r = 6), not into finding
it. 6 mm was fastest at r = 6 and close to the best at r = 3 and r = 10: a sphere of the
common 6-10 mm radii then spans 3-5 cells per axis.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from build_index.studies.rows import staged
from c2r_db.errors import InputError
from c2r_db.sqlfiles import statement

__all__ = ["CELL_MM", "stage_studies", "load_studies"]

CELL_MM = 6.0


def stage_studies(sources, folder: Path, report) -> list[dict]:
    """Read every source and write its rows to ``folder/<order>/{studies,foci}.parquet``.

    Parameters
    ----------
    sources : sequence of build_index.studies.sources.StudySource
        In load order; names must be unique.
    folder : Path
        Created here.
    report : callable
        Called with a short description after each source.

    Returns
    -------
    list of dict
        One row per source for the ``study_sources`` table (without its counts).

    Raises
    ------
    c2r_db.errors.InputError
        Repeated source names, or a source that cannot be read.
    """
    names = [s.name for s in sources]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"study source names must be unique, got {', '.join(repeated)} more "
                         "than once; name them with --studies NAME=PATH")
    folder.mkdir()
    rows = []
    for order, source in enumerate(sources):
        studies, foci = staged(source.read(), source.name, order)
        part = folder / f"{order:04d}"
        part.mkdir()
        pq.write_table(studies, part / "studies.parquet")
        pq.write_table(foci, part / "foci.parquet")
        rows.append({"source": source.name, "load_order": order, "format": source.format,
                     "location": source.relative(source.location),
                     "description": source.description})
        report(f"studies {source.name}")
    return rows


def load_studies(con, folder: Path, source_rows, cell_mm=CELL_MM) -> None:
    """Load the staged rows into ``studies``, ``foci``, ``study_grid`` and ``study_sources``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The new database, with the schema and the study macros created.
    folder : Path
        As written by :func:`stage_studies`.
    source_rows : list of dict
        As returned by :func:`stage_studies`.
    cell_mm : float
        Grid cell size in mm.
    """
    if source_rows:
        for table, stem in (("study_rows", "studies"), ("focus_rows", "foci")):
            files = sorted(str(p) for p in folder.glob(f"*/{stem}.parquet"))
            con.execute(statement(f"stage_{table}"), {"files": files})
        con.execute(statement("load_studies"))
        con.execute(statement("load_foci"), {"cell_mm": cell_mm})
        con.execute(statement("count_foci"))
        con.register("source_rows", pa.Table.from_pylist(source_rows))
        con.execute(statement("load_study_sources"))
    con.execute(statement("load_study_grid"), {"cell_mm": cell_mm})
