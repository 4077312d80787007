"""Where the database lives: ``--db``, else ``$C2R_DB``, else the user cache directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["DB_ENV_VAR", "default_db_path", "resolve_db_path", "user_cache_dir"]

DB_ENV_VAR = "C2R_DB"
_DB_FILE_NAME = "c2r.duckdb"


def user_cache_dir() -> Path:
    """Return the per-user cache directory for c2r-db (not created here).

    ``$XDG_CACHE_HOME/c2r-db`` (default ``~/.cache/c2r-db``) on Linux and other Unixes,
    ``~/Library/Caches/c2r-db`` on macOS, ``%LOCALAPPDATA%\\c2r-db`` on Windows.
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "c2r-db"


def default_db_path() -> Path:
    """Return the default database path, ``<user cache dir>/c2r.duckdb``."""
    return user_cache_dir() / _DB_FILE_NAME


def resolve_db_path(explicit=None) -> tuple[Path, bool]:
    """Return the database path to use and whether it is the default one.

    Parameters
    ----------
    explicit : str or Path, optional
        A path given on the command line or by the caller; it wins over ``$C2R_DB``.

    Returns
    -------
    path : Path
    is_default : bool
        True when neither ``explicit`` nor ``$C2R_DB`` was given. Only the default database
        is built automatically when missing.
    """
    if explicit:
        return Path(explicit).expanduser(), False
    from_env = os.environ.get(DB_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser(), False
    return default_db_path(), True
