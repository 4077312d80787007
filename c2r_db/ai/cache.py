"""Local response cache: identical requests are answered without a network call.

A request is identified by the sha256 of a canonical JSON document holding the
provider's base URL, the model id, the endpoint and every request parameter
(messages included). The API key is never part of that document, and only the
hash, the model name, the kind of answer and the answer itself are stored, in a
SQLite file written in WAL mode so several processes and threads can share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Mapping
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

#: Environment variable that overrides the cache file location.
CACHE_ENV = "C2R_DB_LLM_CACHE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key        TEXT PRIMARY KEY,   -- sha256 hex of the canonical request
    kind       TEXT NOT NULL,      -- 'text' or 'image'
    model      TEXT NOT NULL,      -- model id sent to the provider
    created_at REAL NOT NULL,      -- seconds since the epoch
    value      BLOB NOT NULL       -- UTF-8 text or image bytes
)
"""


def default_cache_path() -> Path:
    """Return the cache file path.

    Returns
    -------
    pathlib.Path
        ``$C2R_DB_LLM_CACHE`` when set, else
        ``$XDG_CACHE_HOME/c2r-db/llm-cache.sqlite`` (``~/.cache`` when
        ``XDG_CACHE_HOME`` is unset).
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root).expanduser() / "c2r-db" / "llm-cache.sqlite"


def request_key(base_url: str, model: str, endpoint: str, params: Mapping[str, Any]) -> str:
    """Hash a request into a cache key.

    Parameters
    ----------
    base_url : str
        Provider endpoint; a trailing slash is ignored.
    model : str
        Model id sent to the provider.
    endpoint : str
        API operation, e.g. ``"chat"`` or ``"images"``.
    params : mapping
        JSON-serialisable request parameters (messages, max tokens, ...).

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    document = {
        "base_url": base_url.rstrip("/"),
        "model": model,
        "endpoint": endpoint,
        "params": params,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """SQLite-backed store of model answers keyed by request hash.

    Each operation opens its own short-lived connection, so one instance may be
    used from many threads; SQLite's locking (WAL journal, busy timeout)
    serialises concurrent writers across threads and processes.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Cache file; :func:`default_cache_path` when omitted.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self._ready = False
        self._setup_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

    def get(self, key: str) -> str | bytes | None:
        """Return the stored answer for ``key``, or None.

        Parameters
        ----------
        key : str
            Hash from :func:`request_key`.

        Returns
        -------
        str, bytes or None
            Text answers come back as str, images as bytes.
        """
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT kind, value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        kind, value = row
        return bytes(value).decode("utf-8") if kind == "text" else bytes(value)

    def put(self, key: str, model: str, value: str | bytes) -> None:
        """Store an answer, replacing any previous one for ``key``.

        Parameters
        ----------
        key : str
            Hash from :func:`request_key`.
        model : str
            Model id, kept for inspection.
        value : str or bytes
            Text answer or image bytes.
        """
        kind, blob = ("text", value.encode("utf-8")) if isinstance(value, str) else ("image", value)
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO responses (key, kind, model, created_at, value) VALUES (?, ?, ?, ?, ?)",
                (key, kind, model, time.time(), blob),
            )

    def clear(self) -> int:
        """Delete every stored answer.

        Returns
        -------
        int
            Number of answers deleted.
        """
        with closing(self._connect()) as conn, conn:
            return conn.execute("DELETE FROM responses").rowcount

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self._set_up()
        return sqlite3.connect(self.path, timeout=30.0)

    def _set_up(self) -> None:
        """Create the directory, the file and the table once per instance."""
        with self._setup_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                self._create_file()
            with closing(sqlite3.connect(self.path, timeout=30.0)) as conn, conn:
                conn.execute(_SCHEMA)  # a no-op unless the file was made elsewhere
            self._ready = True

    def _create_file(self) -> None:
        """Make a ready cache file beside the target and link it into place.

        Switching a shared file to WAL mode fails outright (no busy wait) while
        another connection holds it, so the journal mode and the table are set
        on a private file first; ``os.link`` then publishes it only if no other
        thread or process got there first. The file is private to the user
        (``mkstemp`` creates it with mode 0600), as answers may be sensitive.
        """
        handle, scratch = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        os.close(handle)
        try:
            with closing(sqlite3.connect(scratch)) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
                conn.commit()
            with suppress(FileExistsError):
                os.link(scratch, self.path)
        finally:
            Path(scratch).unlink(missing_ok=True)
