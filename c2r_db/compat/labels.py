"""Region index <-> name tables, built from coord2region's ``labels`` and ``indexes`` arguments.

``labels`` may be a dict ``{"<index>": name}`` (``indexes`` not needed), a list or array of
names matching ``indexes``, a list or array of names whose position is the index (no
``indexes``), or None (no names: every index is ``"Unknown"``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["UNKNOWN", "LabelTable", "positions_in"]

UNKNOWN = "Unknown"


def positions_in(sorted_values, values):
    """Where each of ``values`` sits in the sorted array ``sorted_values``.

    Returns
    -------
    position : (N,) ndarray of int64
        Index into ``sorted_values`` (meaningful where ``found``).
    found : (N,) ndarray of bool
    """
    values = np.asarray(values, dtype=np.int64).reshape(-1)
    if len(sorted_values) == 0:
        return np.zeros(values.size, dtype=np.int64), np.zeros(values.size, dtype=bool)
    position = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return position, sorted_values[position] == values


def _as_index(value):
    """An int for an int or a string holding one, else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


class LabelTable:
    """Sorted region indexes and their names.

    Parameters
    ----------
    indexes : (R,) array-like of int
    names : (R,) sequence of str
    """

    def __init__(self, indexes, names):
        indexes = np.asarray(indexes, dtype=np.int64).reshape(-1)
        names = [str(n) for n in names]
        if indexes.size != len(names):
            raise ValueError(f"{len(names)} labels for {indexes.size} indexes")
        order = np.argsort(indexes, kind="stable")
        self.indexes = indexes[order]
        self.names = np.array(names, dtype=object)[order]
        if np.any(np.diff(self.indexes) == 0):
            raise ValueError("region indexes must be unique")
        self._by_name = {}
        for index, name in zip(indexes.tolist(), names):
            self._by_name.setdefault(name, index)  # the first index listed for a name

    @classmethod
    def from_compat(cls, labels, indexes=None):
        """Build from coord2region's ``labels`` / ``indexes`` arguments (see module doc)."""
        if labels is None:
            return cls([], [])
        if isinstance(labels, dict):
            keys = [_as_index(key) for key in labels]
            bad = [key for key, index in zip(labels, keys) if index is None]
            if bad:
                raise ValueError(f"labels keys must be region indexes, got {bad[0]!r}")
            return cls(keys, list(labels.values()))
        names = list(np.asarray(labels, dtype=object).reshape(-1))
        if indexes is None:
            return cls(np.arange(len(names)), names)
        return cls(np.asarray(indexes).reshape(-1).astype(np.int64), names)

    def names_of(self, values):
        """Names of region indexes (ints or strings holding ints), ``"Unknown"`` if unlisted.

        Parameters
        ----------
        values : (N,) array-like

        Returns
        -------
        (N,) ndarray of object (str)
        """
        values = np.asarray(values)
        if values.dtype.kind not in "iu":
            parsed = [_as_index(v) for v in values.reshape(-1).tolist()]
            known = np.array([p is not None for p in parsed], dtype=bool)
            values = np.array([p if p is not None else -1 for p in parsed], dtype=np.int64)
        else:
            values = values.reshape(-1).astype(np.int64)
            known = np.ones(values.size, dtype=bool)
        out = np.full(values.size, UNKNOWN, dtype=object)
        position, listed = positions_in(self.indexes, values)
        listed &= known
        out[listed] = self.names[position[listed]]
        return out

    def index_of(self, name):
        """The index of ``name`` (the first listed if repeated), or ``"Unknown"``."""
        return self._by_name.get(name, UNKNOWN)

    def unique_names(self):
        """Every name once, in the order given."""
        return list(self._by_name)
