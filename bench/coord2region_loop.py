"""coord2region's documented per-coordinate ``mni_to_region_name``, as a plain Python loop: the
baseline of bench_compat.py. Written from coord2region 0.1.5's documentation and observed
behaviour, not from its code.

For each coordinate: the inverse affine gives a continuous voxel index, which is rounded; if
the rounded voxel's centre is not the coordinate itself, the voxel whose centre is nearest in
Euclidean distance is looked up in a KD-tree over every voxel centre of the grid (documented
for ``mni_to_voxel``). A nonzero label there is the answer; otherwise (or off the grid) the
region whose centroid is nearest, and "Unknown" when that centroid lies farther than
``max_distance``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


class LoopMapper:
    """One atlas, answered one coordinate at a time.

    Parameters
    ----------
    vol : (nx, ny, nz) ndarray of int, 0 = background
    hdr : (4, 4) ndarray, voxel -> MNI mm
    labels : dict of str to str, ``{"<index>": name}``
    """

    def __init__(self, vol, hdr, labels):
        self.vol, self.hdr, self.labels = vol, hdr, labels
        self._tree = self._voxels = self._centroid_ids = self._centroids = None

    def prepare(self):
        """Build the voxel-centre KD-tree and the centroids (coord2region does it on first
        use)."""
        voxels = np.indices(self.vol.shape).reshape(3, -1).T
        self._voxels = voxels
        self._tree = cKDTree(voxels @ self.hdr[:3, :3].T + self.hdr[:3, 3])
        ids = [int(i) for i in np.unique(self.vol) if i != 0]
        self._centroid_ids = ids
        self._centroids = np.array([np.argwhere(self.vol == i).mean(axis=0) for i in ids])
        self._centroids = self._centroids @ self.hdr[:3, :3].T + self.hdr[:3, 3]

    def mni_to_voxel(self, coord):
        continuous = np.linalg.inv(self.hdr) @ np.append(coord, 1.0)
        rounded = np.round(continuous[:3]).astype(int)
        back = (self.hdr @ np.append(rounded, 1))[:3]
        if np.allclose(back, coord, atol=1e-6):
            return tuple(rounded)
        _, index = self._tree.query(coord)
        return tuple(int(v) for v in self._voxels[index])

    def mni_to_region_name(self, coord, max_distance=None):
        ijk = self.mni_to_voxel(np.asarray(coord, dtype=float))
        if all(0 <= i < s for i, s in zip(ijk, self.vol.shape)) and self.vol[ijk] != 0:
            return self.labels.get(str(int(self.vol[ijk])), "Unknown")
        distances = np.linalg.norm(self._centroids - coord, axis=1)
        nearest = int(np.argmin(distances))
        if max_distance is not None and distances[nearest] > max_distance:
            return "Unknown"
        return self.labels.get(str(self._centroid_ids[nearest]), "Unknown")
