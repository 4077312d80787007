"""Surface atlases for the compatible mappers: one mesh per hemisphere (vertex coordinates,
MNI mm) and a region per vertex, from a FreeSurfer ``.annot`` or a GIfTI label file.

As in coord2region, a surface atlas's "region index" is a vertex number within its
hemisphere (0 = left, 1 = right). A bare vertex number without a hemisphere is looked up in
the left hemisphere when the left hemisphere has that vertex, else in the right. Region names
carry their hemisphere (``precentral-lh``, as MNE names annotation labels), so a name is
never ambiguous.

c2r-db does not use MNE: vertex coordinates come from the mesh given, or from the subject's
``surf/lh.white`` and ``surf/rh.white`` (FreeSurfer surface coordinates, which for
``fsaverage`` are MNI305 mm).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from c2r_db.compat.labels import UNKNOWN
from c2r_db.errors import InputError
from c2r_db.hemisphere import side_from_name
from c2r_db.nearest import LabelledTree

__all__ = ["HEMISPHERES", "read_mesh", "read_vertex_labels", "annotation_regions",
           "subject_meshes", "hemisphere_numbers", "SurfaceAtlas"]

HEMISPHERES = ("lh", "rh")
_SIDES = {"L": 0, "R": 1}


def read_mesh(source):
    """Vertex coordinates of a surface mesh.

    Parameters
    ----------
    source : (V, 3) array-like, or str or Path
        Coordinates (mm), a GIfTI surface (``.gii``, ``.gii.gz``) or a FreeSurfer surface
        (``lh.white``, ``rh.pial`` ...).

    Returns
    -------
    (V, 3) ndarray of float64, mm
    """
    if not isinstance(source, (str, Path)):
        coords = np.asarray(source, dtype=np.float64)
    elif ".gii" in Path(source).name:
        import nibabel as nib

        image = _load(source, nib.load)
        points = [a.data for a in image.darrays
                  if a.intent == nib.nifti1.intent_codes["NIFTI_INTENT_POINTSET"]]
        if not points:
            raise InputError("GIfTI file holds no vertex coordinates (pointset)", path=source)
        coords = np.asarray(points[0], dtype=np.float64)
    else:
        from nibabel.freesurfer import read_geometry

        coords = np.asarray(_load(source, read_geometry)[0], dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != 3:
        raise ValueError(f"a mesh needs (V, 3) vertex coordinates, got shape {coords.shape}")
    return coords


def read_vertex_labels(source):
    """Per-vertex region labels of a FreeSurfer ``.annot`` or a GIfTI label file.

    Returns
    -------
    labels : (V,) ndarray of int64
        Label of each vertex, -1 for none.
    names : dict of int to str
        Label -> region name (the annotation's own names, without hemisphere).
    """
    import nibabel as nib

    if Path(source).name.endswith(".annot"):
        from nibabel.freesurfer import read_annot

        labels, _, names = _load(source, read_annot)
        names = {i: n.decode() if isinstance(n, bytes) else str(n) for i, n in enumerate(names)}
        return np.asarray(labels, dtype=np.int64), names
    image = _load(source, nib.load)
    if not hasattr(image, "labeltable") or not image.darrays:
        raise InputError("expected a FreeSurfer .annot or a GIfTI label file", path=source)
    names = {int(k): str(v) for k, v in image.labeltable.get_labels_as_dict().items()}
    labels = np.asarray(image.darrays[0].data, dtype=np.int64).reshape(-1)
    return np.where(np.isin(labels, list(names)), labels, -1), names


def _load(path, reader):
    try:
        return reader(str(path))
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except Exception as exc:  # nibabel raises several types for unreadable files
        raise InputError(f"cannot read surface file ({exc})", path=path) from None


def annotation_regions(labels, names, hemisphere):
    """Regions ``{"<name>-lh": vertex numbers}`` of one hemisphere's vertex labels.

    Parameters
    ----------
    labels : (V,) array-like of int, -1 for none
    names : dict of int to str
    hemisphere : {0, 1}
    """
    labels = np.asarray(labels, dtype=np.int64)
    suffix = HEMISPHERES[hemisphere]
    return {f"{names.get(int(label), f'label_{label}')}-{suffix}": np.flatnonzero(labels == label)
            for label in np.unique(labels[labels >= 0])}


def subject_meshes(subject, subjects_dir):
    """The ``white`` surfaces of a FreeSurfer subject, left then right."""
    if subjects_dir is None:
        raise ValueError("a surface atlas needs `mesh`, or `subjects_dir` holding "
                         f"{subject}/surf/lh.white and rh.white")
    folder = Path(subjects_dir) / str(subject) / "surf"
    return [read_mesh(folder / f"{hemi}.white") for hemi in HEMISPHERES]


def hemisphere_numbers(hemi):
    """Hemisphere numbers (0 left, 1 right) from None (both), 0/1, 'L'/'lh'/'left' ... or a
    list of those."""
    if hemi is None:
        return [0, 1]
    if isinstance(hemi, (list, tuple, np.ndarray)):
        return [hemisphere_numbers(h)[0] for h in hemi]
    if isinstance(hemi, (int, np.integer)) and int(hemi) in (0, 1):
        return [int(hemi)]
    side = side_from_name(str(hemi)) if isinstance(hemi, str) else None
    if side is None:
        raise ValueError(f"invalid hemisphere {hemi!r}; use 0/'lh'/'L' or 1/'rh'/'R'")
    return [_SIDES[side]]


class SurfaceAtlas:
    """Two meshes with per-vertex regions.

    Parameters
    ----------
    vertices : sequence of two (V_h,) array-like of int
        The atlas's vertex numbers in each hemisphere.
    meshes : sequence of two (M_h, 3) array-like, MNI mm
        Coordinates of every mesh vertex, indexed by vertex number.
    regions : dict of str to array-like of int, or None
        Region name -> vertex numbers; each name carries its hemisphere (``-lh``, ``_R``...).
    """

    def __init__(self, vertices, meshes, regions):
        if len(vertices) != 2 or len(meshes) != 2:
            raise ValueError("a surface atlas needs one vertex array and one mesh per "
                             "hemisphere (left, right)")
        self.vertices = [np.asarray(v, dtype=np.int64).reshape(-1) for v in vertices]
        self.meshes = [read_mesh(m) for m in meshes]
        for h in (0, 1):
            if self.vertices[h].size and self.vertices[h].max() >= len(self.meshes[h]):
                raise ValueError(f"vertex {self.vertices[h].max()} is beyond the "
                                 f"{HEMISPHERES[h]} mesh ({len(self.meshes[h])} vertices)")
        self.names = list(regions or {})
        self.region_hemisphere = np.array([self._side(n) for n in self.names], dtype=np.int64)
        self.region_of = [np.full(len(m), -1, dtype=np.int64) for m in self.meshes]
        for position, name in enumerate(self.names):
            self.region_of[self.region_hemisphere[position]][np.asarray(regions[name])] = position

    @staticmethod
    def _side(name):
        side = side_from_name(name)
        if side is None:
            raise ValueError(f"cannot tell the hemisphere of surface region {name!r}; name it "
                             "with a side, e.g. '-lh' or '-rh'")
        return _SIDES[side]

    @cached_property
    def _trees(self):
        from scipy.spatial import cKDTree

        return [cKDTree(m[v]) if v.size else None for m, v in zip(self.meshes, self.vertices)]

    @cached_property
    def _labelled(self):
        """LabelledTree over every vertex in a region (region = position in names)."""
        points, regions = [], []
        for h in (0, 1):
            inside = np.flatnonzero(self.region_of[h] >= 0)
            points.append(self.meshes[h][inside])
            regions.append(self.region_of[h][inside])
        return LabelledTree(np.vstack(points), np.concatenate(regions))

    # --- coordinates --------------------------------------------------------------------

    def nearest_vertices(self, coords, hemi):
        """Nearest atlas vertex of each coordinate among the hemispheres ``hemi``.

        Returns
        -------
        hemispheres, vertices : (N,) ndarray of int64
        distances : (N,) ndarray of float64, mm
        """
        coords = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
        best = np.full(len(coords), np.inf)
        hemispheres = np.full(len(coords), -1, dtype=np.int64)
        vertices = np.full(len(coords), -1, dtype=np.int64)
        for h in dict.fromkeys(hemisphere_numbers(hemi)):
            if self._trees[h] is None:
                continue
            distance, index = self._trees[h].query(coords, workers=-1)
            better = distance < best
            best[better], hemispheres[better] = distance[better], h
            vertices[better] = self.vertices[h][index[better]]
        return hemispheres, vertices, best

    def exact_vertices(self, coord, hemi):
        """Every atlas vertex at exactly ``coord`` in the hemispheres ``hemi``, (K,) int64."""
        found = [self.vertices[h][self._trees[h].query_ball_point(coord, 0.0)]
                 for h in dict.fromkeys(hemisphere_numbers(hemi)) if self._trees[h] is not None]
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    def hemisphere_of(self, vertices, hemi):
        """Hemisphere of each vertex: ``hemi`` (one or one per vertex), else left when the
        left hemisphere has the vertex."""
        vertices = np.asarray(vertices, dtype=np.int64).reshape(-1)
        if hemi is not None:
            sides = np.asarray(hemisphere_numbers(hemi), dtype=np.int64)
            return np.broadcast_to(sides, vertices.shape).copy()
        return np.where(np.isin(vertices, self.vertices[0]), 0, 1)

    def to_mni(self, vertices, hemi):
        """Coordinates (N, 3) MNI mm of vertex numbers (see :meth:`hemisphere_of`)."""
        vertices = np.asarray(vertices, dtype=np.int64).reshape(-1)
        sides = self.hemisphere_of(vertices, hemi)
        out = np.empty((vertices.size, 3))
        for h in (0, 1):
            out[sides == h] = self.meshes[h][vertices[sides == h]]
        return out

    # --- coordinate -> region -----------------------------------------------------------

    def locate(self, coords, max_distance, hemi):
        """Nearest vertex, its region name and its distance, for each coordinate.

        Returns
        -------
        vertices : (N,) ndarray of int64, -1 beyond ``max_distance``
        names : (N,) ndarray of object (str), ``"Unknown"`` for none
        distances : (N,) ndarray of float64, mm (inf for none)
        """
        hemispheres, vertices, distances = self.nearest_vertices(coords, hemi)
        if max_distance is not None:
            far = distances > max_distance
            vertices[far], hemispheres[far], distances[far] = -1, -1, np.inf
        return vertices, self._names_at(hemispheres, vertices), distances

    def _names_at(self, hemispheres, vertices):
        names = np.array(self.names + [UNKNOWN], dtype=object)
        position = np.full(vertices.size, -1, dtype=np.int64)
        for h in (0, 1):
            mine = (hemispheres == h) & (vertices >= 0) & (vertices < len(self.meshes[h]))
            position[mine] = self.region_of[h][vertices[mine]]
        return names[position]

    def names_of(self, vertices):
        """Region names of vertex numbers (see :meth:`hemisphere_of`)."""
        parsed = np.array([int(v) if str(v).lstrip("-").isdigit() else -1
                           for v in np.atleast_1d(np.asarray(vertices, dtype=object))],
                          dtype=np.int64)
        return self._names_at(self.hemisphere_of(parsed, None), parsed)

    # --- region -> coordinates ----------------------------------------------------------

    def index_of_name(self, name):
        """Vertex numbers (K,) of the region called ``name`` (empty if none)."""
        if name not in self.names:
            return np.empty(0, dtype=np.int64)
        position = self.names.index(name)
        return np.flatnonzero(self.region_of[self.region_hemisphere[position]] == position)

    def points(self, vertices, hemi=None):
        """Coordinates (N, 3) of vertex numbers (a surface region index is a vertex); numbers
        beyond the mesh are left out."""
        vertices = np.asarray(vertices, dtype=np.int64).reshape(-1)
        sides = self.hemisphere_of(vertices, hemi)
        sizes = np.array([len(m) for m in self.meshes])
        valid = (vertices >= 0) & (vertices < sizes[sides])
        return self.to_mni(vertices[valid], sides[valid])

    def name_points(self, name):
        """Coordinates (K, 3) of the vertices of the region called ``name``."""
        if name not in self.names:
            return np.empty((0, 3))
        side = self.region_hemisphere[self.names.index(name)]
        return self.meshes[side][self.index_of_name(name)]

    def centroids(self, positions):
        """Mean vertex coordinates (R, 3) of regions given by position in :attr:`names`."""
        return np.array([self.name_points(self.names[p]).mean(axis=0) for p in positions])

    def region_distances(self, coords, positions):
        """Distance (N, R) from each coordinate to the nearest vertex of each region."""
        return self._labelled.region_distances(coords, positions)

    def scored_regions(self):
        """Positions (R,) in :attr:`names` of the regions membership scores cover: all."""
        return np.arange(len(self.names))

    def key_of(self, position):
        """Key of a region in membership-score dicts: its name."""
        return self.names[int(position)]
