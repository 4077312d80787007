"""NiMARE Datasets saved and loaded without pickle.

NiMARE (and coord2region after it) saves a Dataset as a gzip-compressed pickle, and loading a
pickle runs whatever code the file holds. c2r-db writes the Dataset instead as NiMARE's own
Dataset dictionary (the layout of NiMARE's Dataset JSON files: studies, their contrasts'
coordinates, metadata, texts, annotations and image paths) in c2r-db's pickle-free file
format (:mod:`c2r_db.compat.storage`, deflated), whatever the file is called, and reads only
files it wrote: a pickle, or any other file, is refused without being unpickled.

Loading rebuilds the Dataset with ``nimare.dataset.Dataset(dictionary, target=space)``. Its
coordinates are saved labelled with their space class (MNI or TAL), so that NiMARE leaves
them where they are. Not saved: the masker (the loaded Dataset has the default mask of its
space) and the base path of relative image paths (``Dataset.update_path``).
"""

from __future__ import annotations

import math

import numpy as np

from c2r_db.compat import storage

__all__ = ["KIND", "dataset_dict", "save_dataset", "load_dataset"]

KIND = "nimare.Dataset"

_IDS = ("id", "study_id", "contrast_id")
_COORDS = ("x", "y", "z", "space")
_RELATIVE = "__relative"
_PARTS = (("metadata", "metadata"), ("text", "texts"), ("labels", "annotations"))


def _plain(value):
    """A DataFrame cell as plain data: numpy scalars unwrapped, missing values None."""
    import pandas as pd

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None if value is pd.NA or value is pd.NaT else value


def _plain_list(values):
    """A column slice as a list of plain data (finite floats converted in one step)."""
    if values.dtype.kind == "f" and np.isfinite(values).all():
        return values.tolist()
    return [_plain(v) for v in values]


def _rows(frame, columns):
    """{(study_id, contrast_id): {column: value}} for the given columns of a Dataset frame."""
    table = frame[["study_id", "contrast_id", *columns]]
    return {(sid, cid): dict(zip(columns, map(_plain, values)))
            for sid, cid, *values in table.itertuples(index=False, name=None)}


def _images(frame):
    """Image paths per contrast, keyed by image type: the absolute path if NiMARE holds one,
    else the relative one (``<type>__relative``)."""
    types = dict.fromkeys(c.removesuffix(_RELATIVE) for c in frame.columns if c not in _IDS)
    rows = _rows(frame, [c for c in frame.columns if c not in _IDS])
    return {key: {t: values.get(t) if values.get(t) is not None
                  else values.get(t + _RELATIVE) for t in types}
            for key, values in rows.items()}


def _coordinates(coordinates, label):
    """{(study_id, contrast_id): coords block} in NiMARE's layout, one block per contrast."""
    extra = [c for c in coordinates.columns if c not in _IDS + _COORDS]
    ordered = coordinates.sort_values("id", kind="stable")
    ids = ordered["id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else []
    columns = {c: ordered[c].to_numpy() for c in ("study_id", "contrast_id", "space",
                                                   "x", "y", "z", *extra)}
    blocks = {}
    for start, stop in zip(starts, [*starts[1:], len(ids)]):
        block = {"space": label or _plain(columns["space"][start])}
        block.update({c: _plain_list(columns[c][start:stop]) for c in ("x", "y", "z", *extra)})
        blocks[(columns["study_id"][start], columns["contrast_id"][start])] = block
    return blocks


def dataset_dict(dataset) -> dict:
    """A NiMARE Dataset as NiMARE's Dataset dictionary (what its JSON files hold).

    Parameters
    ----------
    dataset : nimare.dataset.Dataset

    Returns
    -------
    dict
        ``{study_id: {"contrasts": {contrast_id: {"coords": {...}, "metadata": {...},
        "text": {...}, "labels": {...}, "images": {...}}}}}``, holding plain data only;
        ``Dataset(dictionary, target=dataset.space)`` rebuilds the Dataset.
    """
    from build_index.studies.nimare_dataset import space_class

    parts = {key: _rows(getattr(dataset, attribute),
                        [c for c in getattr(dataset, attribute).columns if c not in _IDS])
             for key, attribute in _PARTS}
    parts["images"] = _images(dataset.images)
    parts["coords"] = _coordinates(dataset.coordinates, space_class(dataset.space))
    studies = {}
    for sid, cid in dataset.metadata[["study_id", "contrast_id"]].itertuples(index=False,
                                                                              name=None):
        contrast = {key: rows[(sid, cid)] for key, rows in parts.items()
                    if (sid, cid) in rows and rows[(sid, cid)]}
        studies.setdefault(str(sid), {"contrasts": {}})["contrasts"][str(cid)] = contrast
    return studies


def save_dataset(dataset, path) -> None:
    """Save a NiMARE Dataset to ``path`` (any name; written atomically, see module doc).

    Parameters
    ----------
    dataset : nimare.dataset.Dataset
    path : str or Path
    """
    state = {"space": dataset.space, "studies": dataset_dict(dataset)}
    storage.write(path, KIND, state, compress=True)


def load_dataset(path):
    """Load a Dataset saved by :func:`save_dataset`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    nimare.dataset.Dataset

    Raises
    ------
    c2r_db.errors.InputError
        If the file is missing.
    c2r_db.compat.storage.FileFormatError
        If c2r-db did not write it, or it holds something else than a Dataset (pickles are
        refused unread).
    """
    kind, state = storage.read(path)
    if kind != KIND:
        raise storage.FileFormatError(f"holds a {kind}, not a NiMARE Dataset", path=path)
    from nimare.dataset import Dataset

    return Dataset(state["studies"], target=state["space"])
