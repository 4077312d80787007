"""Decide whether SQL text only reads, before ``c2r-db sql`` runs it.

The database is opened read-only, but DuckDB still lets a read-only connection write elsewhere
(``COPY ... TO`` a file, ``ATTACH`` another database, ``INSTALL``/``LOAD`` extensions, ``SET``
options, temporary tables). Each statement is parsed with sqlglot (DuckDB dialect) and only
queries (``SELECT``/``FROM``/``WITH``/set operations, without ``INTO``), ``DESCRIBE``,
``SHOW``, ``SUMMARIZE``, ``PIVOT`` and ``EXPLAIN`` of those are allowed.
"""

from __future__ import annotations

import logging
import re

from c2r_db.errors import InputError

__all__ = ["check_read_only"]

_EXPLAIN = re.compile(r"^\s*EXPLAIN(\s+ANALYZE)?\s+", re.IGNORECASE)


def _verdict(statement, text):
    from sqlglot import exp

    reading = (exp.Query, exp.Describe, exp.Show, exp.Summarize, exp.Pivot)
    if isinstance(statement, exp.Command) and statement.name.upper() == "EXPLAIN":
        inner = _EXPLAIN.sub("", text, count=1)
        return None if inner != text and _first_problem(inner) is None else "EXPLAIN of a write"
    if isinstance(statement, reading):
        if statement.find(exp.Into) is not None:
            return "SELECT ... INTO"
        return None
    kind = statement.key.upper() if not isinstance(statement, exp.Command) else statement.name
    return kind


def _first_problem(text):
    import sqlglot

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise InputError(f"cannot parse the SQL ({str(exc).splitlines()[0]})") from None
    for statement in statements:
        if statement is None:
            continue
        problem = _verdict(statement, statement.sql(dialect="duckdb"))
        if problem is not None:
            return problem
    return None


def check_read_only(text: str) -> None:
    """Raise unless every statement in ``text`` only reads.

    Parameters
    ----------
    text : str
        One or more SQL statements (DuckDB dialect).

    Raises
    ------
    c2r_db.errors.InputError
        Naming the first statement kind that could write (DDL, DML, COPY, ATTACH, SET, ...) or
        the parse error.
    """
    if not text.strip():
        raise InputError("no SQL given")
    problem = _first_problem(text)
    if problem is not None:
        raise InputError(
            f"refusing {problem} statement: 'c2r-db sql' only runs queries that read "
            "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"
        )
