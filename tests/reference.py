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


@lru_cache(maxsize=8)
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


def voxel_centres(labels, affine, region=None):
    """Centres (mm) of the labelled voxels (or those of one region), in np.argwhere order,
    with the label of each."""
    ijk = np.argwhere(labels >= 0) if region is None else np.argwhere(labels == region)
    return nib.affines.apply_affine(affine, ijk), labels[tuple(ijk.T)]


def snapped(coords, affine):
    """Centre of the voxel each coordinate falls in (floor(v + 0.5)), even off the grid."""
    return nib.affines.apply_affine(affine, voxel_indices(coords, affine))


def min_distances(points, targets, chunk=256):
    """Distance from each point to its nearest target, by brute force."""
    points, targets = np.asarray(points, float), np.asarray(targets, float)
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        block = points[start:start + chunk]
        squared = ((block[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)
        out[start:start + chunk] = np.sqrt(squared.min(axis=1))
    return out


def region_distance_table(labels, affine, origins):
    """(region ids, (N, R) distance from each origin to each region's nearest voxel centre)."""
    centres, owners = voxel_centres(labels, affine)
    regions = np.unique(owners)
    table = np.column_stack([min_distances(origins, centres[owners == r]) for r in regions])
    return regions, table


def softmax_of_negative(distances):
    """exp(-d) / sum(exp(-d)) per row, the textbook way."""
    weights = np.exp(-np.asarray(distances, float))
    return weights / weights.sum(axis=1, keepdims=True)


def brett_mni2tal(xyz):
    """Matthew Brett's mni2tal: 0.99 x; above z = 0 (y, z) -> (0.9688 y + 0.0460 z,
    -0.0485 y + 0.9189 z), below (0.9688 y + 0.0420 z, -0.0485 y + 0.8390 z)."""
    x, y, z = np.asarray(xyz, float).T
    above = z >= 0
    return np.column_stack([0.99 * x,
                            0.9688 * y + np.where(above, 0.0460, 0.0420) * z,
                            -0.0485 * y + np.where(above, 0.9189, 0.8390) * z])


# --- studies --------------------------------------------------------------------------------

# Offsets of exact Euclidean length (every square and sum exact in float64), by radius.
ON_SPHERE = {
    2.5: [(1.5, 2.0, 0.0), (0.0, -1.5, -2.0)],
    3.0: [(1.0, 2.0, 2.0), (-2.0, 1.0, -2.0), (0.0, 0.0, 3.0)],
    4.5: [(4.5, 0.0, 0.0), (0.0, -4.5, 0.0)],
    6.0: [(2.0, 4.0, 4.0), (-6.0, 0.0, 0.0), (0.0, 0.0, -6.0), (4.0, -4.0, 2.0)],
    7.0: [(2.0, 3.0, 6.0), (-6.0, -2.0, 3.0)],
}


def cell_key(xyz, cell_mm):
    """Grid cell key of MNI mm points: per-axis floor(v / cell_mm), clamped to [-2^20, 2^20),
    offset by 2^20 and packed as i * 2^42 + j * 2^21 + k (Python integers, no overflow)."""
    keys = []
    for point in np.asarray(xyz, dtype=np.float64).reshape(-1, 3):
        i, j, k = (min(max(int(np.floor(v / cell_mm)), -(2**20)), 2**20 - 1) + 2**20
                   for v in point)
        keys.append(i * 2**42 + j * 2**21 + k)
    return keys


def brute_force_studies(foci_xyz, foci_study, peaks, radius):
    """Every focus within ``radius`` (Euclidean, inclusive) of each peak, by exhaustive search.

    Returns one dict per peak: study_id -> (nearest distance, number of foci within radius),
    with distances computed as sqrt(dx*dx + dy*dy + dz*dz).
    """
    foci_xyz = np.asarray(foci_xyz, dtype=np.float64)
    foci_study = np.asarray(foci_study, dtype=object)
    answers = []
    for peak in np.asarray(peaks, dtype=np.float64).reshape(-1, 3):
        dx, dy, dz = (foci_xyz[:, a] - peak[a] for a in range(3))
        distance = np.sqrt(dx * dx + dy * dy + dz * dz)
        inside = np.flatnonzero(distance <= radius)
        found = {}
        for i in inside:
            best, count = found.get(foci_study[i], (np.inf, 0))
            found[foci_study[i]] = (min(best, distance[i]), count + 1)
        answers.append(found)
    return answers


def ordered_ids(found):
    """Study ids of one brute-force answer, by nearest focus, then id."""
    return [s for s, _ in sorted(found.items(), key=lambda item: (item[1][0], item[0]))]
