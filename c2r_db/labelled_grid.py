"""One atlas held in memory as labelled voxels on its own grid: exact labels and the nearest
region, the k nearest regions, the distance to every region, and region centroids.

Built from a database atlas (the ``voxels`` rows with distance 0) or from a label volume, so
that the library functions and the coord2region-compatible mappers share one implementation.

Two distance conventions are offered, and every caller names the one it uses:

``exact=False`` (the c2r-db convention)
    From the centre of the voxel the coordinate falls in to the nearest voxel centre of the
    region: 0 inside the region, and the same answer as ``regions_at`` and the SQL macros.
``exact=True`` (coord2region's ``distance_to_region_boundary``)
    From the coordinate itself to the nearest voxel centre of the region; a coordinate
    inside the region is at the distance from its own voxel centre (up to half a voxel
    diagonal).

Both are exact, not approximations: a KD-tree over the region surfaces
(:func:`c2r_db.nearest.boundary_keys`) plus the coordinate's own voxel, which on an
orthogonal grid is its nearest voxel centre of all.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from c2r_db import grid
from c2r_db.nearest import LabelledTree, boundary_keys

__all__ = ["LabelledGrid"]


class LabelledGrid:
    """The labelled voxels of one atlas grid.

    Parameters
    ----------
    keys : (M,) array-like of int
        Linear keys ``i + nx * (j + ny * k)`` of the labelled voxels.
    region_ids : (M,) array-like of int >= 0
        Region of each.
    shape : sequence of 3 int
    affine : (4, 4) array-like, voxel -> MNI mm
    """

    def __init__(self, keys, region_ids, shape, affine):
        self.shape = tuple(int(s) for s in shape[:3])
        self.affine = np.asarray(affine, dtype=np.float64)
        self.inverse = grid.inverse_rows(self.affine)
        self.keys = np.asarray(keys, dtype=np.int64)
        self.region_ids = np.asarray(region_ids, dtype=np.int64)
        if self.region_ids.size and self.region_ids.min() < 0:
            raise ValueError("region ids must be >= 0")
        self._labels = np.full(int(np.prod(self.shape)), -1, dtype=np.int32)
        self._labels[self.keys] = self.region_ids

    @classmethod
    def from_volume(cls, volume, affine, background=0):
        """Build from a 3D label volume.

        Parameters
        ----------
        volume : (nx, ny, nz) array-like of int
        affine : (4, 4) array-like, voxel -> MNI mm
        background : int
            Value of unlabelled voxels.
        """
        volume = np.asarray(volume)
        flat = volume.ravel(order="F")
        keys = np.flatnonzero(flat != background)
        return cls(keys, flat[keys], volume.shape, affine)

    def voxels(self, coords):
        """Voxel indices and linear keys of coordinates (``floor(v + 0.5)`` rounding).

        Parameters
        ----------
        coords : (N, 3) array-like, MNI mm

        Returns
        -------
        ijk : (N, 3) ndarray of int64, possibly outside the grid
        keys : (N,) ndarray of int64, -1 outside the grid
        """
        ijk = grid.mm_to_voxel(coords, self.inverse)
        return ijk, grid.voxel_key(ijk, self.shape)

    def _labels_at_keys(self, keys):
        """Region at each linear key, -1 when unlabelled or off the grid (key -1)."""
        return np.where(keys >= 0, self._labels[np.maximum(keys, 0)], -1).astype(np.int64)

    @cached_property
    def present(self):
        """Sorted ids of the regions that have at least one voxel, (R,) int64."""
        return np.unique(self.region_ids)

    @cached_property
    def _tree(self):
        surface = boundary_keys(self.keys, self.shape, self.affine, self.region_ids)
        return LabelledTree.from_keys(surface, self._labels[surface], self.shape, self.affine)

    def _origins(self, coords, exact):
        """Query points, own region and the distance to the own voxel centre, per coordinate."""
        coords = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
        ijk, keys = self.voxels(coords)
        centres = grid.voxel_to_mm(ijk, self.affine)
        own = self._labels_at_keys(keys)
        own_distance = np.linalg.norm(coords - centres, axis=1) if exact else np.zeros(len(own))
        return (coords if exact else centres), own, own_distance

    @cached_property
    def _near(self):
        """Per grid voxel: region and distance of the nearest labelled voxel within the
        build's range (the ``voxels`` table of a database, computed the same way)."""
        from build_index.rasterise import NEAREST_RANGE_MM, voxel_rows

        label_map = self._labels.reshape(self.shape, order="F")
        keys, regions, distances = voxel_rows(label_map, self.affine, NEAREST_RANGE_MM)
        near_region = np.full(self._labels.size, -1, dtype=np.int32)
        near_distance = np.full(self._labels.size, np.inf)
        near_region[keys], near_distance[keys] = regions, distances
        return near_region, near_distance, NEAREST_RANGE_MM

    def nearest(self, coords, max_distance):
        """Region of each coordinate's voxel, else of the nearest labelled voxel (c2r-db
        convention, the answer of ``regions_at``): a precomputed table on the grid, an exact
        KD-tree search beyond its range and off the grid.

        Parameters
        ----------
        coords : (N, 3) array-like, MNI mm
        max_distance : float, mm (inclusive); 0 for exact labels only

        Returns
        -------
        region_ids : (N,) ndarray of int64, -1 where none within ``max_distance``
        distances : (N,) ndarray of float64 mm, 0 inside a region, inf where none
        """
        ijk, keys = self.voxels(coords)
        if max_distance <= 0:
            regions = self._labels_at_keys(keys)
            return regions, np.where(regions >= 0, 0.0, np.inf)
        near_region, near_distance, near_range = self._near
        on_grid = keys >= 0
        where = np.maximum(keys, 0)
        distances = np.where(on_grid, near_distance[where], np.inf)
        within = distances <= max_distance
        regions = np.where(within, near_region[where], -1).astype(np.int64)
        distances = np.where(within, distances, np.inf)
        search = ~on_grid | (~within & (max_distance > near_range))
        if search.any():
            centres = grid.voxel_to_mm(ijk[search], self.affine)
            regions[search], distances[search] = self._tree.query(centres, max_distance)
        return regions, distances

    def nearest_regions(self, coords, k=1, max_distance=np.inf, exact=False):
        """The ``k`` nearest regions of each coordinate, nearest first.

        Parameters
        ----------
        coords : (N, 3) array-like, MNI mm
        k : int >= 1
        max_distance : float, mm (inclusive)
        exact : bool
            Distance convention (see module doc).

        Returns
        -------
        region_ids : (N, k) ndarray of int64, -1 where none
        distances : (N, k) ndarray of float64 mm, inf where none
        """
        points, own, own_distance = self._origins(coords, exact)
        regions, distances = self._tree.nearest_regions(points, k, max_distance)
        # The coordinate's own voxel may be inside its region, away from the region's surface.
        same = regions == own[:, None]
        own_distance = np.minimum(own_distance, np.where(same, distances, np.inf).min(axis=1))
        regions = np.where(same, -1, regions)
        distances = np.where(same, np.inf, distances)
        inside = (own >= 0) & (own_distance <= max_distance)
        regions = np.column_stack([np.where(inside, own, -1), regions])
        distances = np.column_stack([np.where(inside, own_distance, np.inf), distances])
        order = np.argsort(distances, axis=1, kind="stable")[:, :k]
        return (np.take_along_axis(regions, order, axis=1),
                np.take_along_axis(distances, order, axis=1))

    def region_distances(self, coords, region_ids, exact=False):
        """Distance from each coordinate to the nearest voxel centre of each region.

        Parameters
        ----------
        coords : (N, 3) array-like, MNI mm
        region_ids : (R,) array-like of int
        exact : bool
            Distance convention (see module doc).

        Returns
        -------
        (N, R) ndarray of float64 mm, inf for a region without voxels
        """
        points, own, own_distance = self._origins(coords, exact)
        region_ids = np.asarray(region_ids, dtype=np.int64).reshape(-1)
        distances = self._tree.region_distances(points, region_ids)
        same = own[:, None] == region_ids[None, :]
        return np.where(same, np.minimum(distances, own_distance[:, None]), distances)

    @cached_property
    def centroids(self):
        """Mean voxel centre of each region in :attr:`present`, (R, 3) MNI mm."""
        position = np.searchsorted(self.present, self.region_ids)
        counts = np.bincount(position, minlength=self.present.size)
        mm = grid.voxel_to_mm(grid.key_to_voxel(self.keys, self.shape), self.affine)
        return np.column_stack([np.bincount(position, weights=mm[:, axis],
                                            minlength=self.present.size) / counts
                                for axis in range(3)])
