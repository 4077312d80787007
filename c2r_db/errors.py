"""Named exceptions: every failure a user can cause has one, and the CLI turns each into exit 2."""

from __future__ import annotations

__all__ = ["C2RError", "InputError", "DatabaseError", "UnknownNameError"]


class C2RError(Exception):
    """Base class of every error c2r-db raises on purpose.

    The message is written for the user: it names the file, line and value at fault (or the
    allowed choices) and never needs a traceback to be understood.
    """


class InputError(C2RError):
    """An input file, argument or value cannot be used.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str, optional
        The file at fault; ``"-"`` means standard input.
    line : int, optional
        1-based physical line number in ``path``.
    column : str, optional
        Column name at fault.
    value : str, optional
        The offending value, as it appears in the file.
    """

    def __init__(self, message, *, path=None, line=None, column=None, value=None):
        self.path, self.line, self.column, self.value = path, line, column, value
        where = []
        if path is not None:
            where.append("<stdin>" if path == "-" else str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        detail = message if value is None else f"{message}: {value!r}"
        super().__init__(f"{prefix}: {detail}" if prefix else detail)


class DatabaseError(C2RError):
    """The database file is missing, is not a c2r-db database, or was built by another schema."""


class UnknownNameError(C2RError):
    """A name (atlas, region, study) is not in the database.

    Parameters
    ----------
    kind : str
        What was looked up, e.g. ``"atlas"``.
    name : str
        The name given.
    choices : sequence of str
        Names that do exist (all of them, or the closest ones).
    hint : str, optional
        Wording placed before the choices, default ``"choose from"``.
    """

    def __init__(self, kind, name, choices, *, hint="choose from"):
        self.kind, self.name, self.choices = kind, name, list(choices)
        listed = ", ".join(self.choices) if self.choices else "(none)"
        super().__init__(f"unknown {kind} {name!r}; {hint}: {listed}")
