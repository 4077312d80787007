"""coord2region's ``AtlasFetcher``: atlases by name from the c2r-db database (the atlases
shipped in PyPI packages, rasterised by ``c2r-db build``), or from a local file or a URL.

Nothing is fetched from nilearn or MNE: ``prefer`` is accepted for compatibility and names
no source here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from c2r_db.compat.files import DOWNLOAD_OPTIONS, AtlasFileHandler
from c2r_db.errors import UnknownNameError

__all__ = ["AtlasFetcher", "database_atlas", "open_database", "PREFER"]

PREFER = ("nilearn", "mne")
_URL_SCHEMES = ("http://", "https://")


def open_database(db):
    """An open Database and whether the caller must close it.

    Parameters
    ----------
    db : c2r_db.Database or str or Path or None
        An open database (returned as is), a file, or None for ``$C2R_DB``, else the user
        cache database.

    Returns
    -------
    database : c2r_db.Database
    close : bool
        True when the database was opened here.
    """
    from c2r_db.database import Database
    from c2r_db.paths import resolve_db_path

    if isinstance(db, Database):
        return db, False
    return Database(resolve_db_path(db)[0]), True


def database_atlas(db, atlas):
    """The label map of a database atlas as a dict for :class:`AtlasMapper`.

    Parameters
    ----------
    db : c2r_db.Database or str or Path or None
        None: ``$C2R_DB``, else the user cache database.
    atlas : str

    Returns
    -------
    dict
        ``vol`` ((nx, ny, nz) int32, -1 where unlabelled; the maximum-probability map of a
        probabilistic atlas), ``hdr`` (4x4), ``labels`` and ``indexes`` (every region of
        the atlas), ``background`` (-1) and ``description``.
    """
    from c2r_db.regions import atlas_grid

    database, close = open_database(db)
    try:
        grid = atlas_grid(database, atlas)
        regions = database.regions(atlas)
        description = [row for row in database.atlases().to_pylist()
                       if row["atlas"] == atlas][0]["description"]
    finally:
        if close:
            database.close()
    flat = np.full(int(np.prod(grid.shape)), -1, dtype=np.int32)
    flat[grid.keys] = grid.region_ids
    return {"vol": flat.reshape(grid.shape, order="F"), "hdr": grid.affine,
            "labels": regions.column("name").to_pylist(),
            "indexes": regions.column("region_id").to_pylist(), "background": -1,
            "description": description}


class AtlasFetcher:
    """Fetch atlases: by name from the c2r-db database, or from a local file or a URL.

    Parameters
    ----------
    data_dir : str or None
        Working directory for downloads (default ``~/coord2region``).
    db : c2r_db.Database or str or Path, optional, keyword-only
        Database of the named atlases (default: ``$C2R_DB``, else the user cache database).

    Attributes
    ----------
    ATLAS_URLS : dict of str to str
        Atlas names fetched from a URL (none are registered; add your own).
    file_handler : AtlasFileHandler
    data_dir, nilearn_data : str
    subjects_dir : str or None
    """

    ATLAS_URLS: dict = {}

    def __init__(self, data_dir=None, *, db=None):
        self.file_handler = AtlasFileHandler(data_dir=data_dir)
        self.data_dir = self.file_handler.data_dir
        self.nilearn_data = self.file_handler.nilearn_data
        self.subjects_dir = self.file_handler.subjects_dir
        self._db = db

    def list_available_atlases(self):
        """Return the sorted atlas names: those in the database (the shipped atlases, which
        ``c2r-db build`` puts there, while it does not exist yet) and those of ATLAS_URLS."""
        from c2r_db.errors import DatabaseError

        try:
            database, close = open_database(self._db)
        except DatabaseError:
            from build_index.catalog import SHIPPED_ATLASES

            names = list(SHIPPED_ATLASES)
        else:
            names = database.atlas_names()
            if close:
                database.close()
        return sorted(set(names) | set(self.ATLAS_URLS))

    def fetch_atlas(self, atlas_name, atlas_url=None, prefer="nilearn", **kwargs):
        """Fetch an atlas given a name, a local file path or a URL.

        Parameters
        ----------
        atlas_name : str
            A database atlas (see :meth:`list_available_atlases`), a NIfTI file path or an
            http(s) URL.
        atlas_url : str, optional
            Explicit URL of the atlas file.
        prefer : {"nilearn", "mne"}
            Accepted for compatibility; c2r-db fetches from neither.
        labels : str or list of str, optional
            Label file or names for a file or URL atlas (see
            :meth:`AtlasFileHandler.fetch_from_local`).
        timeout, filename, force
            Download options (see :meth:`AtlasFileHandler.fetch_from_url`).

        Returns
        -------
        dict
            ``vol``, ``hdr``, ``labels`` and, where known, ``indexes``, ``background`` and
            ``description``.
        """
        if prefer not in PREFER:
            raise ValueError(f"prefer must be one of {', '.join(PREFER)}, got {prefer!r}")
        unknown = set(kwargs) - {"labels", *DOWNLOAD_OPTIONS}
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}")
        labels = kwargs.pop("labels", None)
        url = atlas_url or self.ATLAS_URLS.get(atlas_name)
        if url is None and atlas_name.startswith(_URL_SCHEMES):
            url = atlas_name
        if url is not None:
            path = Path(self.file_handler.fetch_from_url(url, **kwargs))
            return self.file_handler.fetch_from_local(path.name, str(path.parent), labels)
        if Path(atlas_name).expanduser().is_file():
            path = Path(atlas_name).expanduser()
            return self.file_handler.fetch_from_local(path.name, str(path.parent), labels)
        available = self.list_available_atlases()
        if atlas_name not in available:
            raise UnknownNameError("atlas", atlas_name, available)
        return database_atlas(self._db, atlas_name)
