"""Save and load objects without pickle: a zip of ``.npy`` arrays (numbers and fixed-width
text only) plus a JSON manifest, the layout of ``numpy.savez``.

coord2region pickles atlas mappers, and unpickling a file runs whatever code it holds. c2r-db
writes this format instead and reads only files it wrote: anything else (a pickle included)
is refused before a byte of it is interpreted, and arrays are read with
``allow_pickle=False``.

What can be stored: None, bool, int, float, str, lists, tuples, dicts (any of these as keys),
numpy arrays of numbers, booleans or text, and numpy scalars.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from c2r_db.errors import InputError

__all__ = ["FORMAT", "FileFormatError", "write", "read", "atomic_path"]

FORMAT = "c2r-db"
VERSION = 1
_MANIFEST = "__c2r_db__"


class FileFormatError(InputError, ValueError):
    """A file that is not one c2r-db wrote, or holds another kind of object than expected."""


def _encode(value, arrays):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), arrays)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufU":
            raise TypeError(f"cannot store an array of dtype {value.dtype} without pickle")
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, (list, tuple)):
        items = [_encode(item, arrays) for item in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        return {"__items__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    raise TypeError(f"cannot store a {type(value).__name__} without pickle")


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]]
    if "__tuple__" in value:
        return tuple(_decode(item, arrays) for item in value["__tuple__"])
    return {_hashable(_decode(k, arrays)): _decode(v, arrays) for k, v in value["__items__"]}


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, (list, tuple)) else key


class atomic_path:
    """Context manager yielding a temporary path beside ``target``, renamed onto it on success
    and removed on failure, so that ``target`` is never left half-written."""

    def __init__(self, target):
        self.target = Path(target)

    def __enter__(self):
        handle, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".part",
                                        dir=self.target.parent)
        os.close(handle)
        self.temporary = Path(name)
        return self.temporary

    def __exit__(self, kind, error, traceback):
        if kind is None:
            os.replace(self.temporary, self.target)
        else:
            self.temporary.unlink(missing_ok=True)


def write(path, kind, state, *, compress=False) -> None:
    """Write ``state`` (see module doc) tagged with ``kind`` to ``path``, atomically.

    Parameters
    ----------
    path : str or Path
    kind : str
        What the state describes, e.g. ``"AtlasMapper"``; :func:`read` returns it.
    state : object
    compress : bool
        Deflate the zip members (``numpy.savez_compressed``).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError("folder does not exist", path=path.parent)
    arrays = {}
    manifest = {"format": FORMAT, "version": VERSION, "kind": kind,
                "state": _encode(state, arrays)}
    text = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            (np.savez_compressed if compress else np.savez)(handle, **{_MANIFEST: text},
                                                             **arrays)


def read(path):
    """Read a file written by :func:`write`.

    Returns
    -------
    kind : str
    state : object

    Raises
    ------
    c2r_db.errors.InputError
        If the file is missing.
    FileFormatError
        If it was not written by c2r-db (pickles included: they are never loaded).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    refusal = ("not a file written by c2r-db; refusing to load it (c2r-db never unpickles "
               "files, which could run code)")
    if not zipfile.is_zipfile(path):
        raise FileFormatError(refusal, path=path)
    with np.load(path, allow_pickle=False) as archive:
        if _MANIFEST not in archive.files:
            raise FileFormatError(refusal, path=path)
        try:
            manifest = json.loads(archive[_MANIFEST].tobytes().decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise FileFormatError(refusal, path=path) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise FileFormatError(refusal, path=path)
        if manifest.get("version") != VERSION:
            raise FileFormatError(f"written by another c2r-db file format version "
                             f"({manifest.get('version')}; this one reads {VERSION})", path=path)
        try:
            arrays = {name: archive[name] for name in archive.files if name != _MANIFEST}
            return manifest["kind"], _decode(manifest["state"], arrays)
        except (ValueError, KeyError, TypeError) as exc:
            raise FileFormatError(f"damaged c2r-db file ({exc})", path=path) from None
