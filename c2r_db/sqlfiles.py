"""Named SQL statements, loaded once from the ``sql/*.sql`` files shipped with the package.

Each file holds one or more statements. A statement starts with a ``-- name: <name>`` line,
followed by comment lines that document it, then the SQL itself; parameters are DuckDB named
parameters (``$atlas``). A malformed file (text before the first name, a repeated name, an
empty statement) fails when the files are loaded, not when the statement is first used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["Statement", "statement", "statements_in"]

_NAME_LINE = re.compile(r"^--\s*name:\s*(\S+)\s*$", re.MULTILINE)
_VALID_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Statement:
    """One named SQL statement.

    Attributes
    ----------
    name : str
        Unique name across all files.
    file : str
        The ``.sql`` file it came from (without directory).
    doc : str
        The comment lines that follow the name line, without the ``--`` markers.
    sql : str
        The statement text, without the name and doc comments.
    """

    name: str
    file: str
    doc: str
    sql: str


def _parse_file(file_name: str, text: str) -> list[Statement]:
    parts = _NAME_LINE.split(text)
    head, pieces = parts[0], parts[1:]
    if head.strip() and not all(
        line.strip().startswith("--") for line in head.strip().splitlines()
    ):
        raise ValueError(f"sql/{file_name}: SQL before the first '-- name:' line")
    parsed = []
    for name, body in zip(pieces[0::2], pieces[1::2]):
        if not _VALID_NAME.match(name):
            raise ValueError(f"sql/{file_name}: invalid statement name {name!r}")
        lines = body.strip("\n").splitlines()
        doc_lines = []
        while lines and lines[0].lstrip().startswith("--"):
            doc_lines.append(lines.pop(0).lstrip()[2:].strip())
        sql = "\n".join(lines).strip()
        if not sql:
            raise ValueError(f"sql/{file_name}: statement {name!r} is empty")
        parsed.append(Statement(name, file_name, "\n".join(doc_lines), sql))
    return parsed


def _sql_folder():
    """The ``sql/`` folder: the ``c2r_db.sql`` package when installed, else (running from a
    source checkout, where ``sql/`` sits beside ``c2r_db/``) the folder itself."""
    try:
        return resources.files("c2r_db.sql")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "sql"


@cache
def _load_all() -> dict[str, Statement]:
    loaded: dict[str, Statement] = {}
    folder = _sql_folder()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        for stmt in _parse_file(entry.name, entry.read_text(encoding="utf-8")):
            if stmt.name in loaded:
                raise ValueError(
                    f"sql/{entry.name}: statement {stmt.name!r} already defined in "
                    f"sql/{loaded[stmt.name].file}"
                )
            loaded[stmt.name] = stmt
    return loaded


def statement(name: str) -> str:
    """Return the SQL text of the statement called ``name``.

    Raises
    ------
    KeyError
        If no ``sql/*.sql`` file defines ``name``.
    """
    try:
        return _load_all()[name].sql
    except KeyError:
        raise KeyError(f"no SQL statement named {name!r} in sql/*.sql") from None


def statements_in(file_name: str) -> list[Statement]:
    """Return every statement of one file, in file order (used to run DDL and macros)."""
    found = [s for s in _load_all().values() if s.file == file_name]
    if not found:
        raise KeyError(f"sql/{file_name} defines no statements")
    return found
