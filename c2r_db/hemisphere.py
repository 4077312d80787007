"""Hemisphere of a region (from its name) and of a coordinate (from its x).

Regions: an atlas name that carries a side token (``_L``, ``-R``, ``Left_``, ``Right-``,
``lh.``, ``ctx-rh-`` ...) gives ``"L"`` or ``"R"``. Atlases whose names carry sides use the
``"name"`` rule and give ``"M"`` to names without a side (vermis, brain stem, third ventricle,
corpus callosum: structures the atlas does not lateralise). Atlases whose labels span both
hemispheres (Talairach) use the ``"coordinate"`` rule: the region has no hemisphere and a
lookup reports the side of the coordinate itself.

Coordinates: ``x < -MIDLINE_BAND_MM`` is left, ``x > MIDLINE_BAND_MM`` right, anything in
between (inclusive) midline. The SQL macro ``c2r_hemisphere_of_x`` applies the same band, and
:func:`infer_hemisphere` (coord2region's name) spells the answer out.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["MIDLINE_BAND_MM", "HEMISPHERE_RULES", "side_from_name", "hemisphere_of_x",
           "infer_hemisphere"]

MIDLINE_BAND_MM = 2.0
HEMISPHERE_RULES = ("name", "coordinate")

_SIDE = re.compile(r"(?<![a-z0-9])(?P<side>l|r|lh|rh|left|right)(?![a-z0-9])", re.IGNORECASE)


def side_from_name(name):
    """Return ``"L"``/``"R"`` when a region name carries a side token, else ``None``.

    Parameters
    ----------
    name : str
        Region name, e.g. ``"Precentral_L"``, ``"Left_Thalamus"``, ``"ctx-rh-insula"``.
    """
    sides = {m.group("side").lower()[0] for m in _SIDE.finditer(name)}
    if sides == {"l"}:
        return "L"
    if sides == {"r"}:
        return "R"
    return None


def hemisphere_of_x(x):
    """Return ``"L"``, ``"R"`` or ``"M"`` for MNI x coordinates.

    Parameters
    ----------
    x : float or (N,) array-like, MNI mm

    Returns
    -------
    str or (N,) ndarray of str
    """
    xs = np.asarray(x, dtype=np.float64)
    out = np.where(xs < -MIDLINE_BAND_MM, "L", np.where(xs > MIDLINE_BAND_MM, "R", "M"))
    return str(out) if out.ndim == 0 else out


_WORDS = {"L": "left", "R": "right", "M": "midline"}


def infer_hemisphere(coord):
    """Infer the hemisphere from an MNI coordinate (coord2region's function).

    Parameters
    ----------
    coord : sequence of 3 float, MNI mm

    Returns
    -------
    str
        ``"left"``, ``"right"`` or ``"midline"`` from x with the +-``MIDLINE_BAND_MM`` band
        (see module doc), ``"unknown"`` when ``coord`` is not three finite numbers.
    """
    try:
        xyz = np.asarray(coord, dtype=np.float64)
    except (TypeError, ValueError):
        return "unknown"
    if xyz.shape != (3,) or not np.all(np.isfinite(xyz)):
        return "unknown"
    return _WORDS[hemisphere_of_x(xyz[0])]
