"""Voxel grids: MNI mm <-> voxel indices <-> linear voxel keys, for any affine.

Rounding rule (the same in ``sql/macros.sql``): a coordinate maps to the voxel whose index is
``floor(v + 0.5)`` per axis, where ``v`` is the continuous voxel coordinate obtained with the
full inverse affine. A coordinate exactly halfway between two voxel centres (whole-mm peaks on
2 mm grids) goes to the voxel with the larger index. The continuous coordinate is evaluated as
``((a*x + b*y) + c*z) + d`` in float64, term by term, so that Python and DuckDB produce the same
bits (a matrix product could fuse or reorder the sums and break ties differently).

Linear keys follow NIfTI storage order: ``key = i + nx * (j + ny * k)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["inverse_rows", "mm_to_voxel", "voxel_to_mm", "voxel_key", "key_to_voxel"]


def inverse_rows(affine):
    """Return the first three rows of the inverse of a voxel-to-mm affine, flattened.

    Parameters
    ----------
    affine : (4, 4) array-like
        Voxel index -> mm affine of an atlas grid.

    Returns
    -------
    (12,) ndarray of float64
        Row-major ``inv(affine)[:3, :]``, the layout stored in ``atlases.inverse_affine``.
    """
    return np.linalg.inv(np.asarray(affine, dtype=np.float64))[:3, :].ravel()


def mm_to_voxel(coords_mm, inverse_affine):
    """Map coordinates to the nearest voxel indices with ``floor(v + 0.5)`` rounding.

    Parameters
    ----------
    coords_mm : (N, 3) array-like, mm in the atlas space
    inverse_affine : (12,) or (3, 4) or (4, 4) array-like
        Inverse of the voxel-to-mm affine (rows 0-2 are used).

    Returns
    -------
    (N, 3) ndarray of int64
        Voxel indices; they may lie outside the grid.
    """
    xyz = np.asarray(coords_mm, dtype=np.float64).reshape(-1, 3)
    inv = np.asarray(inverse_affine, dtype=np.float64).reshape(-1, 4)[:3]
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    out = np.empty(xyz.shape, dtype=np.int64)
    for axis in range(3):
        a, b, c, d = inv[axis]
        continuous = a * x + b * y + c * z + d
        out[:, axis] = np.floor(continuous + 0.5)
    return out


def voxel_to_mm(ijk, affine):
    """Return voxel-centre coordinates for voxel indices.

    Parameters
    ----------
    ijk : (N, 3) array-like of int
    affine : (4, 4) array-like, voxel -> mm

    Returns
    -------
    (N, 3) ndarray of float64, mm in the atlas space
    """
    ijk = np.asarray(ijk, dtype=np.float64).reshape(-1, 3)
    aff = np.asarray(affine, dtype=np.float64)
    return ijk @ aff[:3, :3].T + aff[:3, 3]


def voxel_key(ijk, shape):
    """Return the linear key of each voxel, or -1 where the voxel lies outside the grid.

    Parameters
    ----------
    ijk : (N, 3) array-like of int
    shape : sequence of 3 int, grid shape (nx, ny, nz)

    Returns
    -------
    (N,) ndarray of int64
    """
    ijk = np.asarray(ijk, dtype=np.int64).reshape(-1, 3)
    nx, ny, nz = (int(s) for s in shape[:3])
    inside = np.all((ijk >= 0) & (ijk < np.array([nx, ny, nz])), axis=1)
    keys = ijk[:, 0] + nx * (ijk[:, 1] + ny * ijk[:, 2])
    return np.where(inside, keys, -1)


def key_to_voxel(keys, shape):
    """Invert :func:`voxel_key` for keys inside the grid.

    Parameters
    ----------
    keys : (N,) array-like of int
    shape : sequence of 3 int

    Returns
    -------
    (N, 3) ndarray of int64
    """
    keys = np.asarray(keys, dtype=np.int64)
    nx, ny = int(shape[0]), int(shape[1])
    return np.stack([keys % nx, (keys // nx) % ny, keys // (nx * ny)], axis=1)
