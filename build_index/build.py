"""Build a c2r-db database file: read study sets and rasterise atlases to Parquet, load them
into DuckDB with the SQL macros and the manifest, then move the finished file into place.

The new database is written inside a staging directory next to the target and renamed over it
only once complete, so an interrupted or failed build leaves the previous database untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import os
import shutil
import signal
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from build_index.catalog import AtlasSource
from build_index.rasterise import rasterise
from build_index.studies.stage import CELL_MM, load_studies, stage_studies
from c2r_db.database import SCHEMA_VERSION
from c2r_db.errors import InputError
from c2r_db.sqlfiles import statement, statements_in

__all__ = ["BuildSummary", "build_database", "load_database", "load_study_sets"]

_TABLES = ("regions", "voxels", "boundary_voxels", "probabilities")
_STUDY_STAGING = "study-sets"  # not a valid atlas name, so never an atlas's staging folder


@dataclass(frozen=True)
class BuildSummary:
    """What a build produced.

    Attributes
    ----------
    path : Path
        The database file.
    atlases : list of str
    study_sources : list of str
    bytes : int
        Size of the database file.
    """

    path: Path
    atlases: list[str]
    study_sources: list[str]
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_row(kind, name, path: Path, relative: str, package, package_version) -> dict:
    """A manifest row: one input file with its checksum."""
    return {"kind": kind, "name": name, "path": relative, "package": package,
            "package_version": package_version, "sha256": _sha256(path),
            "bytes": path.stat().st_size}


def _rasterise_to_parquet(source: AtlasSource, folder: Path) -> tuple[dict, list[dict]]:
    """Worker: rasterise one atlas into ``folder/<table>.parquet``; return its rows."""
    tables = rasterise(source)
    folder.mkdir()
    for name in _TABLES:
        table = getattr(tables, name)
        if table is not None:
            pq.write_table(table, folder / f"{name}.parquet")
    manifest = [
        _file_row(kind, source.name, path, source.relative(path), source.package,
                  source.package_version)
        for kind, path in (("atlas_volume", source.volume), ("atlas_labels", source.labels))
    ]
    return tables.atlas, manifest


def _study_files(sources) -> list[dict]:
    return [_file_row("study_file", s.name, path, s.relative(path), s.package, s.package_version)
            for s in sources for path in s.files]


@contextlib.contextmanager
def _sigterm_as_exit():
    """Turn SIGTERM into SystemExit so that clean-up runs when a build is terminated."""

    def _exit(signum, frame):
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, _exit)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _build_info():
    return {
        "schema_version": str(SCHEMA_VERSION),
        "c2r_db_version": importlib.metadata.version("c2r-db"),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "duckdb_version": importlib.metadata.version("duckdb"),
    }


def load_database(con, staging: Path, atlas_rows, manifest_rows, study_rows, cell_mm) -> None:
    """Create the schema and the macros in ``con``, then load the staged rows into it.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An empty database: a new file, or one in memory.
    staging : Path
        Holds ``<atlas>/<table>.parquet`` per atlas and the staged study sets.
    atlas_rows, manifest_rows : list of dict
        Rows of ``atlases`` and ``manifest`` (either may be empty).
    study_rows : list of dict
        As returned by :func:`build_index.studies.stage.stage_studies`.
    cell_mm : float
        Size of the grid cells that index the foci, in mm.
    """
    for file in ("schema.sql", "macros.sql", "study_macros.sql"):
        for stmt in statements_in(file):
            con.execute(stmt.sql)
    if atlas_rows:
        con.register("atlas_rows", pa.Table.from_pylist(atlas_rows))
        con.execute(statement("load_atlases"))
    if manifest_rows:
        con.register("manifest_rows", pa.Table.from_pylist(manifest_rows))
        con.execute(statement("load_manifest"))
    for table in _TABLES:
        files = sorted(str(p) for p in staging.glob(f"*/{table}.parquet"))
        if files:
            con.execute(statement(f"load_{table}"), {"files": files})
    load_studies(con, staging / _STUDY_STAGING, study_rows, cell_mm)
    for key, value in _build_info().items():
        con.execute(statement("set_build_info"), {"key": key, "value": value})


def load_study_sets(con, studies, cell_mm=CELL_MM) -> None:
    """Fill an empty database (typically in memory) with study sets only, exactly as a build
    loads them: the same staging, merging by PubMed id, grid cells and stored macros.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    studies : sequence of study sources
        Objects with the interface of :class:`build_index.studies.sources.StudySource`, in
        load order; names must be unique.
    cell_mm : float
        Size of the grid cells that index the foci, in mm.
    """
    with tempfile.TemporaryDirectory(prefix="c2r-db-studies-") as staging:
        staging = Path(staging)
        rows = stage_studies(studies, staging / _STUDY_STAGING, lambda step: None)
        load_database(con, staging, [], [], rows, cell_mm)


def _load(db_path: Path, staging: Path, atlas_rows, manifest_rows, study_rows, cell_mm):
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        load_database(con, staging, atlas_rows, manifest_rows, study_rows, cell_mm)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build_database(target, sources, *, studies=(), force=False, workers=2, on_progress=None,
                   cell_mm=CELL_MM):
    """Build the database file ``target`` from atlas and study sources.

    Parameters
    ----------
    target : str or Path
        Database file to create (or replace, with ``force``).
    sources : sequence of AtlasSource
        Atlases to include; names must be unique.
    studies : sequence of build_index.studies.sources.StudySource
        Study sets, in load order (earlier sources win when studies or foci are merged);
        names must be unique.
    force : bool
        Replace an existing file.
    workers : int
        Processes rasterising atlases in parallel.
    on_progress : callable, optional
        Called with a short description after each step (one per study source, one per
        atlas, then one for loading).
    cell_mm : float
        Size of the grid cells that index the foci, in mm.

    Returns
    -------
    BuildSummary

    Raises
    ------
    c2r_db.errors.InputError
        If the target exists without ``force``, its folder is missing, or a source is unusable.
    """
    target = Path(target)
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise InputError(f"atlas names must be unique, got {names}")
    if not sources and not studies:
        raise InputError("nothing to build: no atlases and no study sets selected")
    if not target.parent.is_dir():
        raise InputError("directory does not exist", path=target.parent)
    if target.exists() and not force:
        raise InputError("database already exists; pass --force to rebuild it", path=target)
    report = on_progress or (lambda step: None)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    try:
        with _sigterm_as_exit():
            study_rows = stage_studies(studies, staging / _STUDY_STAGING, report)
            manifest_rows = _study_files(studies)
            atlas_rows = []
            with ProcessPoolExecutor(max_workers=max(1, min(workers, len(sources)))) as pool:
                futures = {
                    pool.submit(_rasterise_to_parquet, s, staging / s.name): s for s in sources
                }
                for future in as_completed(futures):
                    atlas, manifest = future.result()
                    atlas_rows.append(atlas)
                    manifest_rows.extend(manifest)
                    report(f"atlas {futures[future].name}")
            atlas_rows.sort(key=lambda row: row["atlas"])
            new_db = staging / target.name
            _load(new_db, staging, atlas_rows, manifest_rows, study_rows, cell_mm)
            report("database loaded")
            os.replace(new_db, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildSummary(target, sorted(names), [s.name for s in studies], target.stat().st_size)
