"""Read-only access to a c2r-db database file."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pyarrow as pa

from c2r_db.errors import DatabaseError, UnknownNameError
from c2r_db.sqlfiles import statement

__all__ = ["SCHEMA_VERSION", "Database"]

SCHEMA_VERSION = 4


class Database:
    """A built c2r-db database, opened read-only.

    Parameters
    ----------
    path : str or Path
        The ``.duckdb`` file (see :func:`c2r_db.paths.resolve_db_path` for the default).

    Raises
    ------
    c2r_db.errors.DatabaseError
        If the file is missing, is not a DuckDB database, is not a c2r-db database or was built
        with another schema version.

    Examples
    --------
    >>> with Database("c2r.duckdb") as db:          # doctest: +SKIP
    ...     db.atlas_names()
    ['aal', 'aal2', ...]
    """

    def __init__(self, path):
        import duckdb

        self.path = Path(path)
        if not self.path.is_file():
            raise DatabaseError(
                f"{self.path}: database not found; build it with 'c2r-db build --db {self.path}'"
            )
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise DatabaseError(f"{self.path}: not a DuckDB database file ({exc})") from None
        self._attach(con)

    @classmethod
    def from_connection(cls, con, name):
        """A Database over an open connection, e.g. to an in-memory database filled by
        :func:`build_index.build.load_study_sets`; checked like a file.

        Parameters
        ----------
        con : duckdb.DuckDBPyConnection
            Closed by :meth:`close`.
        name : str
            Stands for the file name in messages.
        """
        database = cls.__new__(cls)
        database.path = Path(name)
        database._attach(con)
        return database

    def _attach(self, con):
        """Check the schema version of ``con`` and keep it (closing it if it is not usable)."""
        import duckdb

        self.con = con
        try:
            version = self.con.sql(statement("schema_version")).fetchall()[0][0]
        except duckdb.Error:
            version = None
        if version is None:
            self.con.close()
            raise DatabaseError(f"{self.path}: a DuckDB file, but not a c2r-db database")
        if int(version) != SCHEMA_VERSION:
            self.con.close()
            raise DatabaseError(
                f"{self.path}: built with schema version {version}, this c2r-db reads version "
                f"{SCHEMA_VERSION}; rebuild it with 'c2r-db build --force --db {self.path}'"
            )
        self.con.sql("SET enable_progress_bar = false")  # results only: no bar on stderr
        self._atlas_names = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close the connection."""
        self.con.close()

    def query(self, name, params=None) -> pa.Table:
        """Run the named statement from ``sql/*.sql`` and return its rows as an Arrow table."""
        return self.con.sql(statement(name), params=params or {}).to_arrow_table()

    @contextlib.contextmanager
    def input_coordinates(self, mni):
        """Register coordinates as the table ``c2r_input`` for the statements run in the block.

        Parameters
        ----------
        mni : (N, 3) array-like, MNI mm
            Rows of ``c2r_input``: ``row_id`` (0 to N - 1), ``x``, ``y``, ``z``.
        """
        xyz = np.asarray(mni, dtype=np.float64).reshape(-1, 3)
        self.con.register("c2r_input", pa.table({"row_id": np.arange(xyz.shape[0]),
                                                 "x": xyz[:, 0], "y": xyz[:, 1],
                                                 "z": xyz[:, 2]}))
        try:
            yield
        finally:
            self.con.unregister("c2r_input")

    def atlas_names(self) -> list[str]:
        """Names of the atlases in the database, sorted."""
        if self._atlas_names is None:
            self._atlas_names = self.query("list_atlases").column("atlas").to_pylist()
        return self._atlas_names

    def check_atlases(self, names) -> list[str]:
        """Return ``names`` (all atlases when empty or None) after checking each exists.

        Raises
        ------
        c2r_db.errors.UnknownNameError
        """
        available = self.atlas_names()
        if not names:
            return list(available)
        for name in names:
            if name not in available:
                raise UnknownNameError("atlas", name, available)
        return list(dict.fromkeys(names))

    def atlases(self) -> pa.Table:
        """Every atlas with kind, space, region count, voxel size, source and licence."""
        return self.query("list_atlases")

    def regions(self, atlas) -> pa.Table:
        """Every region of ``atlas`` with hemisphere, centroid (MNI mm), size and bounding box."""
        (atlas,) = self.check_atlases([atlas])
        return self.query("list_regions", {"atlas": atlas})
