"""Nearest labelled points by KD-tree: the exact search behind every nearest-region answer that
the precomputed ``voxels`` table does not hold (and the build's path for oblique grids), the k
nearest regions of a point, and the distance from points to each region.

The nearest labelled voxel of any lattice point that is not itself labelled lies on the
labelled set's surface (a labelled voxel with an unlabelled 6-neighbour, or on the grid edge)
when the grid axes are orthogonal: from an interior voxel, one step towards the point is
shorter and still labelled. The same holds region by region: the nearest voxel of region ``r``
to a point outside ``r``'s voxels lies on ``r``'s own surface (a voxel with a 6-neighbour of
another region or unlabelled). The build stores the first kind in ``boundary_voxels`` (all
labelled voxels for oblique grids); :func:`boundary_keys` computes either kind.
"""

from __future__ import annotations

import numpy as np

from c2r_db import grid

__all__ = ["is_orthogonal", "boundary_keys", "LabelledTree"]

_OUTSIDE = -2  # label of the padding around the grid: differs from every region and from -1


def is_orthogonal(affine, tol=1e-6):
    """Whether the voxel axes of ``affine`` are mutually orthogonal (any order, any sign).

    Parameters
    ----------
    affine : (4, 4) array-like, voxel -> mm
    """
    m = np.asarray(affine, dtype=np.float64)[:3, :3]
    gram = m.T @ m
    off = gram - np.diag(np.diag(gram))
    return bool(np.all(np.abs(off) <= tol * np.max(np.diag(gram))))


def boundary_keys(keys, shape, affine, region_ids=None):
    """Keys of the labelled voxels that can be the nearest one to a point outside them.

    Parameters
    ----------
    keys : (M,) array-like of int
        Linear keys of all labelled voxels (see :func:`c2r_db.grid.voxel_key`).
    shape : sequence of 3 int
    affine : (4, 4) array-like, voxel -> mm
    region_ids : (M,) array-like of int >= 0, optional
        Region of each voxel. Without it, the surface of the labelled set (a voxel with an
        unlabelled 6-neighbour); with it, the surface of every region (a voxel with a
        6-neighbour that is unlabelled or in another region). Grid-edge voxels count as
        surface either way.

    Returns
    -------
    (K,) ndarray of int64, sorted
        The surface voxels for orthogonal grids (see module doc); all keys otherwise.
    """
    keys = np.asarray(keys, dtype=np.int64)
    if not is_orthogonal(affine):
        return np.sort(keys)
    labels = np.full(int(np.prod(shape)), -1, dtype=np.int32)
    labels[keys] = 0 if region_ids is None else np.asarray(region_ids, dtype=np.int32)
    volume = np.pad(labels.reshape(shape, order="F"), 1, constant_values=_OUTSIDE)
    core = volume[1:-1, 1:-1, 1:-1]
    surface = np.zeros(core.shape, dtype=bool)
    for axis in range(3):
        for step in (-1, 1):
            window = [slice(1, -1)] * 3
            window[axis] = slice(1 + step, volume.shape[axis] - 1 + step)
            surface |= volume[tuple(window)] != core
    return np.flatnonzero((surface & (core >= 0)).ravel(order="F"))


class LabelledTree:
    """KD-tree over labelled points (voxel centres or mesh vertices), each in one region.

    Parameters
    ----------
    points_mm : (M, 3) array-like, mm
    region_ids : (M,) array-like of int >= 0
        Region of each point.
    """

    def __init__(self, points_mm, region_ids):
        from scipy.spatial import cKDTree

        points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)
        if points.shape[0] == 0:
            raise ValueError("the atlas has no labelled voxels")
        self._points = points
        self._regions = np.asarray(region_ids, dtype=np.int64)
        self._tree = cKDTree(points)
        self._region_trees = {}

    @classmethod
    def from_keys(cls, keys, region_ids, shape, affine):
        """Tree over voxel centres given by linear keys on a grid.

        Parameters
        ----------
        keys : (M,) array-like of int
            Linear keys of candidate labelled voxels (see :func:`boundary_keys`).
        region_ids : (M,) array-like of int
        shape : sequence of 3 int
        affine : (4, 4) array-like, voxel -> mm
        """
        keys = np.asarray(keys, dtype=np.int64)
        return cls(grid.voxel_to_mm(grid.key_to_voxel(keys, shape), affine), region_ids)

    def query(self, points_mm, max_distance):
        """Nearest labelled point of each point, up to ``max_distance``.

        Parameters
        ----------
        points_mm : (N, 3) array-like, mm
        max_distance : float, mm (inclusive)

        Returns
        -------
        region_ids : (N,) ndarray of int64
            ``-1`` where no labelled point lies within ``max_distance``.
        distances : (N,) ndarray of float64
            ``inf`` where none.
        """
        points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)
        bound = np.nextafter(max_distance, np.inf)
        distances, index = self._tree.query(points, distance_upper_bound=bound, workers=-1)
        found = np.isfinite(distances)
        regions = np.full(points.shape[0], -1, dtype=np.int64)
        regions[found] = self._regions[index[found]]
        return regions, distances

    def nearest_regions(self, points_mm, k, max_distance=np.inf):
        """The ``k`` nearest distinct regions of each point, nearest first.

        The distance to a region is the distance to its nearest point. Neighbours are
        fetched in growing batches until ``k`` distinct regions are among them: the first
        occurrence of a region in distance order is its exact distance.

        Parameters
        ----------
        points_mm : (N, 3) array-like, mm
        k : int >= 1
        max_distance : float, mm (inclusive)

        Returns
        -------
        region_ids : (N, k) ndarray of int64
            ``-1`` past the last region found within ``max_distance``.
        distances : (N, k) ndarray of float64
            ``inf`` where no region.
        """
        points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)
        n, size = points.shape[0], self._regions.size
        out_regions = np.full((n, k), -1, dtype=np.int64)
        out_distances = np.full((n, k), np.inf)
        k = min(k, np.unique(self._regions).size)  # no row can find more
        bound = np.nextafter(max_distance, np.inf)
        todo = np.arange(n)
        batch = min(4 * k, size)
        while todo.size:
            distances, index = self._tree.query(points[todo], k=batch,
                                                distance_upper_bound=bound, workers=-1)
            distances = distances.reshape(todo.size, batch)
            index = index.reshape(todo.size, batch)
            found = np.isfinite(distances)
            regions = np.where(found, self._regions[np.minimum(index, size - 1)], -1)
            first = _first_occurrences(regions)
            seen = np.cumsum(first, axis=1)
            done = (seen[:, -1] >= k) | ~found[:, -1] | (batch == size)
            rows, ranks = np.nonzero(first & (seen <= k))
            slot = seen[rows, ranks] - 1
            keep = done[rows]
            out_regions[todo[rows[keep]], slot[keep]] = regions[rows[keep], ranks[keep]]
            out_distances[todo[rows[keep]], slot[keep]] = distances[rows[keep], ranks[keep]]
            todo = todo[~done]
            batch = min(4 * batch, size)
        return out_regions, out_distances

    def region_distances(self, points_mm, region_ids):
        """Distance from each point to the nearest point of each region.

        Parameters
        ----------
        points_mm : (N, 3) array-like, mm
        region_ids : (R,) array-like of int

        Returns
        -------
        (N, R) ndarray of float64
            ``inf`` for a region with no point in the tree.
        """
        points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)
        region_ids = np.asarray(region_ids, dtype=np.int64).reshape(-1)
        out = np.full((points.shape[0], region_ids.size), np.inf)
        for column, region in enumerate(region_ids):
            tree = self._region_tree(int(region))
            if tree is not None:
                out[:, column] = tree.query(points, workers=-1)[0]
        return out

    def _region_tree(self, region):
        from scipy.spatial import cKDTree

        if region not in self._region_trees:
            members = self._points[self._regions == region]
            self._region_trees[region] = cKDTree(members) if members.size else None
        return self._region_trees[region]


def _first_occurrences(regions):
    """Mark, per row, the first position of each region id >= 0.

    Parameters
    ----------
    regions : (N, M) ndarray of int, -1 for nothing

    Returns
    -------
    (N, M) ndarray of bool
    """
    n, m = regions.shape
    rows = np.repeat(np.arange(n), m)
    flat = regions.ravel()
    order = np.lexsort((np.tile(np.arange(m), n), flat, rows))
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = (rows[order][1:] != rows[order][:-1]) | (flat[order][1:] != flat[order][:-1])
    first = np.zeros(order.size, dtype=bool)
    first[order] = starts
    return first.reshape(n, m) & (regions >= 0)
