"""Independent reference lookups for tests: plain nibabel/numpy, written without any code from
c2r_db or build_index (the label files are read here with the csv module)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import nibabel as nib
import numpy as np


def read_label_names(path) -> dict[int, str]:
    path = Path(path)
    names = {}
    if path.suffix == ".csv":
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                names[int(row["index"])] = row["name"]
    else:
        for line in path.read_text().splitlines():
            if line.strip():
                fields = line.split()
                names[int(fields[0])] = fields[1]
    return names


@lru_cache(maxsize=2)
def label_volume(volume_path: str):
    """Return (labels, affine): integer labels with -1 for unlabelled voxels.

    4D probabilistic images become their maximum-probability map (np.argmax takes the first,
    i.e. lowest, volume on ties); voxels where every map is zero are unlabelled.
    """
    img = nib.load(volume_path)
    data = np.asarray(img.dataobj)
    if data.ndim == 4:
        labels = np.where(data.max(axis=3) > 0, data.argmax(axis=3), -1)
    else:
        labels = np.where(data == 0, -1, np.rint(data)).astype(np.int64)
    return labels.astype(np.int64), img.affine


def voxel_indices(coords, affine):
    """floor(v + 0.5) of the continuous voxel coordinate, via nibabel's apply_affine."""
    continuous = nib.affines.apply_affine(np.linalg.inv(affine), coords)
    return np.floor(continuous + 0.5).astype(np.int64)


def exact_labels(labels, affine, coords):
    """Label under each coordinate, -1 when unlabelled or outside the grid."""
    ijk = voxel_indices(coords, affine)
    inside = np.all((ijk >= 0) & (ijk < np.array(labels.shape)), axis=1)
    out = np.full(len(coords), -1, dtype=np.int64)
    out[inside] = labels[tuple(ijk[inside].T)]
    return out


def brute_force_nearest(labels, affine, coords):
    """Distance from each coordinate's voxel centre to every labelled voxel centre.

    Returns (min_distance, set of region ids at that distance) per coordinate.
    """
    labelled = np.argwhere(labels >= 0)
    centres = nib.affines.apply_affine(affine, labelled)
    regions = labels[tuple(labelled.T)]
    snapped = nib.affines.apply_affine(affine, voxel_indices(coords, affine))
    results = []
    for point in snapped:
        d = np.sqrt(((centres - point) ** 2).sum(axis=1))
        best = d.min()
        results.append((best, set(regions[np.abs(d - best) < 1e-9].tolist())))
    return results
