"""Volumetric atlases for the compatible mappers: a 3D label array on a voxel grid, answered
with vectorised numpy and the KD-trees of :class:`c2r_db.labelled_grid.LabelledGrid`.

Region indexes are the label values; ``background`` (0 unless told otherwise) is unlabelled.
A coordinate maps to a voxel with ``floor(v + 0.5)`` rounding (:mod:`c2r_db.grid`). Outside
every region, the nearest region is the region of the nearest labelled voxel (voxel centre to
voxel centre, as everywhere in c2r-db), never the region with the nearest centroid.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from c2r_db import grid
from c2r_db.compat.labels import UNKNOWN, LabelTable, positions_in
from c2r_db.labelled_grid import LabelledGrid

__all__ = ["VolumeAtlas"]


def _label_volume(vol, background):
    volume = np.asarray(vol)
    if volume.ndim != 3:
        raise ValueError(f"`vol` must be a 3D array, got shape {volume.shape}")
    if volume.dtype.kind == "f":
        if not np.array_equal(volume, np.round(volume)):
            raise ValueError("`vol` holds non-integer values; a label volume is needed")
        volume = volume.astype(np.int64)
    elif volume.dtype.kind not in "iu":
        raise ValueError(f"`vol` must hold integer labels, got dtype {volume.dtype}")
    labelled = volume[volume != background]
    if labelled.size and labelled.min() < 0:
        raise ValueError(f"negative label {labelled.min()} (background is {background})")
    return volume


class VolumeAtlas:
    """A label volume with its affine and label table.

    Parameters
    ----------
    vol : (nx, ny, nz) array-like of int
    hdr : (4, 4) array-like, voxel -> MNI mm
    table : LabelTable
    background : int
    """

    def __init__(self, vol, hdr, table: LabelTable, background=0):
        self.vol = _label_volume(vol, background)
        self.hdr = np.asarray(hdr, dtype=np.float64)
        if self.hdr.shape != (4, 4):
            raise ValueError("`hdr` must be a 4x4 transform matrix")
        self.table = table
        self.background = background

    @cached_property
    def grid(self) -> LabelledGrid:
        return LabelledGrid.from_volume(self.vol, self.hdr, self.background)

    # --- coordinates --------------------------------------------------------------------

    def to_source(self, coords):
        """Voxel indices (N, 3) of MNI coordinates (N, 3); may lie outside the grid."""
        return grid.mm_to_voxel(coords, grid.inverse_rows(self.hdr))

    def to_mni(self, ijk):
        """Voxel centres (N, 3) MNI mm of voxel indices (N, 3)."""
        return grid.voxel_to_mm(ijk, self.hdr)

    # --- coordinate -> region -----------------------------------------------------------

    def locate(self, coords, max_distance, hemi=None):
        """Region index, name and distance (mm) of each coordinate (``hemi`` is unused).

        Parameters
        ----------
        coords : (N, 3) ndarray, MNI mm
        max_distance : float or None
            None: exact labels only. Else a coordinate outside every region takes the region
            of the nearest labelled voxel within ``max_distance``.

        Returns
        -------
        indexes : (N,) ndarray of int64, -1 for none
        names : (N,) ndarray of object (str), ``"Unknown"`` for none
        distances : (N,) ndarray of float64, 0 inside a region, inf for none
        """
        limit = 0.0 if max_distance is None else max_distance
        indexes, distances = self.grid.nearest(coords, limit)
        names = self.names_of(indexes)
        names[indexes < 0] = UNKNOWN
        return indexes, names, distances

    def names_of(self, indexes):
        """Region names of region indexes (unlisted: ``"Unknown"``)."""
        return self.table.names_of(indexes)

    # --- region -> coordinates ----------------------------------------------------------

    def index_of_name(self, name):
        """The index of the region called ``name``, or ``"Unknown"``."""
        return self.table.index_of(name)

    @cached_property
    def _voxels_by_region(self):
        """Region of every labelled voxel, sorted, and its indices, in argwhere order within."""
        ijk = grid.key_to_voxel(self.grid.keys, self.vol.shape)
        c_order = np.ravel_multi_index(tuple(ijk.T), self.vol.shape)
        order = np.lexsort((c_order, self.grid.region_ids))
        return self.grid.region_ids[order], ijk[order]

    def points(self, index, hemi=None):
        """Voxel centres (M, 3) MNI mm of region(s) ``index``, in ``np.argwhere`` order."""
        regions, ijk = self._voxels_by_region
        wanted = np.unique(np.atleast_1d(np.asarray(index)).astype(np.int64))
        starts = np.searchsorted(regions, wanted, side="left")
        stops = np.searchsorted(regions, wanted, side="right")
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)] or [[]])
        picked = ijk[rows.astype(np.int64)]
        if wanted.size > 1:
            picked = picked[np.argsort(np.ravel_multi_index(tuple(picked.T), self.vol.shape))]
        return self.to_mni(picked)

    def name_points(self, name):
        """Voxel centres (M, 3) MNI mm of the region called ``name`` (empty if none)."""
        index = self.index_of_name(name)
        return np.empty((0, 3)) if index == UNKNOWN else self.points(index)

    def centroids(self, indexes):
        """Centroids (R, 3) MNI mm of regions (NaN for a region without voxels)."""
        position, found = positions_in(self.grid.present, indexes)
        out = np.full((found.size, 3), np.nan)
        out[found] = self.grid.centroids[position[found]]
        return out

    def region_distances(self, coords, indexes):
        """Distance (N, R) from each coordinate to the nearest voxel centre of each region."""
        return self.grid.region_distances(coords, indexes, exact=True)

    def scored_regions(self):
        """Indexes (R,) of the regions membership scores cover: those with voxels."""
        return self.grid.present

    def key_of(self, index):
        """Key of a region in membership-score dicts: its name, else its index."""
        name = self.table.names_of([index])[0]
        return int(index) if name == UNKNOWN else name
