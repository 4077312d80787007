"""MNI <-> Talairach coordinate transforms (all in mm).

Two published transforms are offered, and every output names the one used:

``lancaster`` (default)
    Lancaster et al. (2007), Hum Brain Mapp 28:1194, the ``icbm_other`` matrix of BrainMap's
    ``icbm2tal``/``tal2icbm`` (the transform ``nimare.utils.tal2mni`` applies). One affine.
``brett``
    Matthew Brett's piecewise linear ``mni2tal``/``tal2mni``: one matrix above the AC plane
    (z >= 0) and one below, chosen by the sign of the input z. This is what coord2region uses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TAL_TRANSFORMS", "SPACES", "mni_to_tal", "tal_to_mni", "to_mni"]

SPACES = ("mni", "tal")
TAL_TRANSFORMS = ("lancaster", "brett")

# MNI (ICBM-152, "other" normalisation) -> Talairach, Lancaster 2007.
_LANCASTER_MNI_TO_TAL = np.array(
    [
        [0.9357, 0.0029, -0.0072, -1.0423],
        [-0.0065, 0.9396, -0.0726, -1.3940],
        [0.0103, 0.0752, 0.8967, 3.6475],
        [0.0, 0.0, 0.0, 1.0],
    ]
)
# Brett's MNI -> Talairach matrices, for MNI z >= 0 (above AC) and z < 0.
_BRETT_ABOVE = np.array(
    [[0.9900, 0.0, 0.0, 0.0], [0.0, 0.9688, 0.0460, 0.0], [0.0, -0.0485, 0.9189, 0.0], [0, 0, 0, 1.0]]
)
_BRETT_BELOW = np.array(
    [[0.9900, 0.0, 0.0, 0.0], [0.0, 0.9688, 0.0420, 0.0], [0.0, -0.0485, 0.8390, 0.0], [0, 0, 0, 1.0]]
)


def _apply(matrix, xyz):
    return xyz @ matrix[:3, :3].T + matrix[:3, 3]


def _as_points(coords):
    xyz = np.asarray(coords, dtype=np.float64)
    if xyz.ndim == 1:
        xyz = xyz.reshape(1, -1)
    if xyz.shape[-1] != 3:
        raise ValueError(f"coordinates must have 3 columns (x, y, z), got shape {xyz.shape}")
    return xyz


def _check(method):
    if method not in TAL_TRANSFORMS:
        raise ValueError(f"unknown Talairach transform {method!r}; choose from {TAL_TRANSFORMS}")


def mni_to_tal(coords, method="lancaster"):
    """Convert MNI coordinates to Talairach.

    Parameters
    ----------
    coords : (N, 3) or (3,) array-like, MNI mm
    method : {"lancaster", "brett"}

    Returns
    -------
    (N, 3) ndarray of float64, Talairach mm
    """
    _check(method)
    xyz = _as_points(coords)
    if method == "lancaster":
        return _apply(_LANCASTER_MNI_TO_TAL, xyz)
    below = xyz[:, 2] < 0
    out = _apply(_BRETT_ABOVE, xyz)
    out[below] = _apply(_BRETT_BELOW, xyz[below])
    return out


def tal_to_mni(coords, method="lancaster"):
    """Convert Talairach coordinates to MNI (the inverse of :func:`mni_to_tal`).

    Parameters
    ----------
    coords : (N, 3) or (3,) array-like, Talairach mm
    method : {"lancaster", "brett"}
        For ``brett`` the matrix is chosen by the sign of the Talairach z, as in Brett's
        ``tal2mni``. Points whose MNI and Talairach z have opposite signs (a band a few mm
        thick around the AC plane, where y is large) therefore do not round-trip exactly;
        ``lancaster`` is one affine and always does.

    Returns
    -------
    (N, 3) ndarray of float64, MNI mm
    """
    _check(method)
    xyz = _as_points(coords)
    if method == "lancaster":
        return _apply(np.linalg.inv(_LANCASTER_MNI_TO_TAL), xyz)
    below = xyz[:, 2] < 0
    out = _apply(np.linalg.inv(_BRETT_ABOVE), xyz)
    out[below] = _apply(np.linalg.inv(_BRETT_BELOW), xyz[below])
    return out


def to_mni(coords, space="mni", method="lancaster"):
    """Return MNI coordinates for coordinates given in ``space``.

    Parameters
    ----------
    coords : (N, 3) array-like, mm in ``space``
    space : {"mni", "tal"}
    method : {"lancaster", "brett"}
        Used only when ``space == "tal"``.

    Returns
    -------
    (N, 3) ndarray of float64, MNI mm
    """
    if space not in SPACES:
        raise ValueError(f"unknown coordinate space {space!r}; choose from {SPACES}")
    xyz = _as_points(coords)
    return xyz.copy() if space == "mni" else tal_to_mni(xyz, method)
