"""Nearest labelled voxel by KD-tree: the exact search behind every nearest-region answer that
the precomputed ``voxels`` table does not hold (and the build's path for oblique grids).

The nearest labelled voxel of any lattice point that is not itself labelled lies on the
labelled set's surface (a labelled voxel with an unlabelled 6-neighbour, or on the grid edge)
when the grid axes are orthogonal: from an interior voxel, one step towards the point is
shorter and still labelled. The build stores those candidates in ``boundary_voxels`` (all
labelled voxels for oblique grids), and the tree is built over them.
"""

from __future__ import annotations

import numpy as np

from c2r_db import grid

__all__ = ["is_orthogonal", "boundary_keys", "LabelledTree"]


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


def boundary_keys(keys, shape, affine):
    """Keys of the labelled voxels that can be the nearest one to an unlabelled point.

    Parameters
    ----------
    keys : (M,) array-like of int
        Linear keys of all labelled voxels (see :func:`c2r_db.grid.voxel_key`).
    shape : sequence of 3 int
    affine : (4, 4) array-like, voxel -> mm

    Returns
    -------
    (K,) ndarray of int64, sorted
        The surface voxels for orthogonal grids (see module doc); all keys otherwise.
    """
    keys = np.asarray(keys, dtype=np.int64)
    if not is_orthogonal(affine):
        return np.sort(keys)
    from scipy import ndimage

    mask = np.zeros(int(np.prod(shape)), dtype=bool)
    mask[keys] = True
    mask = mask.reshape(shape, order="F")
    interior = ndimage.binary_erosion(mask, border_value=0)
    return np.flatnonzero((mask & ~interior).ravel(order="F"))


class LabelledTree:
    """KD-tree over the labelled voxel centres of one atlas grid.

    Parameters
    ----------
    keys : (M,) array-like of int
        Linear keys of candidate labelled voxels (see :func:`boundary_keys`).
    region_ids : (M,) array-like of int
        Region of each of them.
    shape : sequence of 3 int
        Grid shape.
    affine : (4, 4) array-like
        Grid voxel -> mm affine.
    """

    def __init__(self, keys, region_ids, shape, affine):
        from scipy.spatial import cKDTree

        keys = np.asarray(keys, dtype=np.int64)
        if keys.size == 0:
            raise ValueError("the atlas has no labelled voxels")
        self._regions = np.asarray(region_ids, dtype=np.int64)
        self._tree = cKDTree(grid.voxel_to_mm(grid.key_to_voxel(keys, shape), affine))

    def query(self, points_mm, max_distance):
        """Nearest labelled voxel centre of each point, up to ``max_distance``.

        Parameters
        ----------
        points_mm : (N, 3) array-like, mm
        max_distance : float, mm (inclusive)

        Returns
        -------
        region_ids : (N,) ndarray of int64
            ``-1`` where no labelled voxel lies within ``max_distance``.
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
