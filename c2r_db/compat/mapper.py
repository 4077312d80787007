"""coord2region's ``AtlasMapper``: one atlas (a label volume with its affine, or two meshes
with per-vertex regions) and every documented conversion and lookup, computed with
vectorised numpy and KD-trees instead of per-coordinate loops.

Where c2r-db differs from coord2region 0.1.5 (each on purpose):

- **Nearest region** means the region of the nearest labelled voxel (voxel centre to voxel
  centre, the c2r-db convention), not the region with the nearest centroid; and, as
  documented for ``max_distance``, a coordinate outside every region falls back to the
  nearest region only when ``max_distance`` is given (``float("inf")`` for no limit). When
  no region is reported the distance is ``inf``.
- **Voxel rounding** is ``floor(v + 0.5)`` of the continuous voxel index (the c2r-db rule,
  identical in SQL): on an orthogonal grid that is the voxel with the nearest centre, ties
  (whole-mm peaks on 2 mm grids) going to the larger index. Coordinates outside the grid get
  indices outside it instead of being clamped to the edge.
- **distance_to_region_boundary** is from the coordinate itself to the region's nearest voxel
  centre, as in coord2region (so it is not 0 inside the region).
- **Talairach** conversions use Lancaster's icbm2tal transform unless
  ``tal_transform="brett"`` (coord2region's transform) is chosen.
- **Hemispheres of regions** come from any side token of the name (``_L``, ``Right-``,
  ``-lh`` ...), not only ``_lh``/``-rh`` suffixes.
- **save/load** use c2r-db's pickle-free file format (:mod:`c2r_db.compat.storage`).
- ``region_index_from_name`` returns an int for an int-keyed ``labels`` dict.
- A volume's background value is ``background`` (0 by default), so that atlases whose region
  ids start at 0 (probabilistic atlases from the database) keep their ids.
"""

from __future__ import annotations

import warnings

import numpy as np

from c2r_db.compat import storage
from c2r_db.compat.labels import UNKNOWN, LabelTable
from c2r_db.compat.surface import (SurfaceAtlas, annotation_regions, read_mesh,
                                   read_vertex_labels, subject_meshes)
from c2r_db.compat.volume import VolumeAtlas
from c2r_db.hemisphere import side_from_name
from c2r_db.membership import normalised_scores
from c2r_db.spaces import TAL_TRANSFORMS, mni_to_tal, tal_to_mni

__all__ = ["AtlasMapper", "SYSTEMS", "MEMBERSHIP_SCORE_METHODS"]

SYSTEMS = ("mni", "tal")
MEMBERSHIP_SCORE_METHODS = ("centroid", "boundary")
_STATE = ("name", "vol", "hdr", "labels", "indexes", "subject", "regions", "subjects_dir",
          "system", "background", "mesh", "tal_transform")


def _point(coord, what="mni_coord"):
    """One coordinate as a (3,) float array."""
    point = np.asarray(coord, dtype=np.float64)
    if point.shape != (3,):
        raise ValueError(f"`{what}` must be 3 numbers (x, y, z), got shape {point.shape}")
    if not np.all(np.isfinite(point)):
        raise ValueError(f"`{what}` must be finite numbers, got {point.tolist()}")
    return point


def points_array(positions):
    """Coordinates as an (N, 3) float array (one coordinate or many)."""
    points = np.atleast_2d(np.asarray(positions, dtype=np.float64))
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"coordinates must be (N, 3), got shape {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("coordinates must be finite numbers")
    return points


def index_values(indexes):
    """Region indexes as a list of Python ints, ``"Unknown"`` where -1."""
    return [int(i) if i >= 0 else UNKNOWN for i in np.asarray(indexes).tolist()]


class AtlasMapper:
    """Stores a single atlas and provides coordinate conversions.

    Parameters
    ----------
    name : str
        Atlas identifier.
    vol : (nx, ny, nz) ndarray of int, or list of two (V,) arrays of int
        A volumetric atlas (labels; ``background`` is unlabelled), or the vertex numbers of a
        surface atlas in the left and right hemispheres.
    hdr : (4, 4) ndarray or None
        Voxel -> MNI mm affine of a volumetric atlas; None for a surface atlas.
    labels : dict or list or ndarray or None
        Region names: ``{"<index>": name}``, or names matching ``indexes``, or names whose
        position is the index.
    indexes : list or ndarray or None
        Region indexes matching a list of ``labels``.
    subject : str
        FreeSurfer subject whose ``surf/?h.white`` gives the vertex coordinates of a surface
        atlas when ``mesh`` is not given.
    regions : dict of str to array-like of int, or None
        Surface atlases: region name (with its hemisphere, e.g. ``precentral-lh``) -> vertex
        numbers.
    subjects_dir : str or None
        FreeSurfer subjects directory (see ``subject``).
    system : {"mni", "tal"}
        Space of the atlas's coordinates.
    background : int, keyword-only
        Label value of unlabelled voxels (volumes).
    mesh : sequence of two (M, 3) array-like or paths, keyword-only
        Surface atlases: vertex coordinates (MNI mm) of the left and right meshes, as arrays,
        GIfTI surfaces or FreeSurfer surfaces.
    tal_transform : {"lancaster", "brett"}, keyword-only
        MNI <-> Talairach transform of :meth:`convert_system` (see :mod:`c2r_db.spaces`).

    Attributes
    ----------
    name, vol, hdr, labels, indexes, regions, system, subject, subjects_dir
        As given (``vol`` and ``hdr`` as arrays).
    shape : tuple
        Grid shape (volumes).
    vertex_to_region : list of two (M,) ndarray of str, or None
        Surface atlases: region name of every mesh vertex (``"Unknown"`` outside regions).
    atlas_type : {"volume", "surface"}
    """

    def __init__(self, name, vol, hdr, labels=None, indexes=None, subject="fsaverage",
                 regions=None, subjects_dir=None, system="mni", *, background=0, mesh=None,
                 tal_transform="lancaster"):
        if str(system).lower() not in SYSTEMS:
            raise ValueError(f"unknown system {system!r}; choose from {', '.join(SYSTEMS)}")
        if tal_transform not in TAL_TRANSFORMS:
            raise ValueError(f"unknown Talairach transform {tal_transform!r}; choose from "
                             f"{', '.join(TAL_TRANSFORMS)}")
        self.name, self.labels, self.indexes = name, labels, indexes
        self.subject, self.subjects_dir = subject, subjects_dir
        self.system, self.tal_transform = str(system).lower(), tal_transform
        self.background = background
        if isinstance(vol, (list, tuple)):
            meshes = subject_meshes(subject, subjects_dir) if mesh is None else mesh
            self._atlas = SurfaceAtlas(vol, meshes, regions)
            self.atlas_type, self.vol, self.hdr = "surface", self._atlas.vertices, None
            self.mesh = self._atlas.meshes
            self.regions = {n: np.asarray(v, dtype=np.int64).ravel()
                            for n, v in (regions or {}).items()}
            names = np.array(self._atlas.names + [UNKNOWN], dtype=object)
            self.vertex_to_region = [names[r] for r in self._atlas.region_of]
        else:
            self._atlas = VolumeAtlas(vol, hdr, LabelTable.from_compat(labels, indexes),
                                      background)
            self.atlas_type, self.vol, self.hdr = "volume", self._atlas.vol, self._atlas.hdr
            self.shape, self.mesh, self.regions = self.vol.shape, None, regions
            self.vertex_to_region = None

    # --- construction from c2r-db sources -------------------------------------------------

    @classmethod
    def from_database(cls, atlas, db=None):
        """The label map of an atlas in a c2r-db database (the maximum-probability map for
        probabilistic atlases), with its region ids and names.

        Parameters
        ----------
        atlas : str
            Atlas name, e.g. ``"aal3"``.
        db : c2r_db.Database or str or Path, optional
            Default: ``$C2R_DB``, else the user cache database.
        """
        from c2r_db.compat.fetcher import database_atlas

        return cls.from_fetched(atlas, database_atlas(db, atlas))

    @classmethod
    def from_fetched(cls, name, atlas_data):
        """Build from the dict :meth:`AtlasFetcher.fetch_atlas` returns."""
        keys = ("vol", "hdr", "labels", "indexes", "regions", "background", "mesh")
        return cls(name, **{k: atlas_data[k] for k in keys if k in atlas_data})

    @classmethod
    def from_surface(cls, name, meshes, annotations, system="mni"):
        """A surface atlas from two meshes and two per-vertex label files.

        Parameters
        ----------
        name : str
        meshes : sequence of two (M, 3) array-like or paths
            Left and right meshes (arrays in MNI mm, GIfTI or FreeSurfer surfaces).
        annotations : sequence of two paths
            Left and right FreeSurfer ``.annot`` or GIfTI label files. Regions are named
            ``<label>-lh`` and ``<label>-rh``.
        system : {"mni", "tal"}
        """
        meshes = [read_mesh(m) for m in meshes]
        regions = {}
        for hemisphere, path in enumerate(annotations):
            labels, names = read_vertex_labels(path)
            if labels.size != len(meshes[hemisphere]):
                raise ValueError(f"{path}: {labels.size} vertex labels for a mesh of "
                                 f"{len(meshes[hemisphere])} vertices")
            regions.update(annotation_regions(labels, names, hemisphere))
        vertices = [np.arange(len(m)) for m in meshes]
        return cls(name, vertices, None, regions=regions, system=system, mesh=meshes)

    # --- region name / index --------------------------------------------------------------

    def region_name_from_index(self, region_idx):
        """Return region name from numeric region index (a vertex for surface atlases)."""
        return self.names_of([region_idx])[0]

    def names_of(self, values):
        """Vectorised :meth:`region_name_from_index`: a list of names."""
        return [str(name) for name in self._atlas.names_of(list(values))]

    def region_index_from_name(self, region_name):
        """Return region index from region name (vertex numbers for surface atlases)."""
        return self._atlas.index_of_name(region_name)

    def list_all_regions(self):
        """Return a list of all unique region names in this atlas."""
        if self.atlas_type == "surface":
            return list(self._atlas.names)
        return self._atlas.table.unique_names()

    def infer_hemisphere(self, region):
        """Return the hemisphere ('L' or 'R') inferred from ``region``'s name.

        Returns None if the region is not in this atlas (with a warning) or its name
        carries no side.
        """
        known = set(self.list_all_regions())
        name = region if isinstance(region, str) else self.region_name_from_index(region)
        if isinstance(region, str) and region not in known:
            name = self.region_name_from_index(region)
        if name not in known:
            warnings.warn(f"Region {region!r} is not part of the {self.name!r} atlas.",
                          UserWarning, stacklevel=2)
            return None
        return side_from_name(name)

    # --- coordinate systems -----------------------------------------------------------------

    def convert_system(self, coord, source_system, target_system):
        """Convert coordinates between anatomical systems ("mni", "tal"); same shape out."""
        points = np.asarray(coord, dtype=np.float64)
        source, target = str(source_system).lower(), str(target_system).lower()
        if source == target and source in SYSTEMS:
            return points.copy()
        convert = {("mni", "tal"): mni_to_tal, ("tal", "mni"): tal_to_mni}.get((source, target))
        if convert is None:
            raise ValueError(f"Unsupported system conversion: {source_system} -> {target_system}")
        return convert(points.reshape(-1, 3), self.tal_transform).reshape(points.shape)

    def _volume_only(self, method):
        if self.atlas_type != "volume":
            raise ValueError(f"{method} needs a volumetric atlas; {self.name!r} is a surface")

    def _surface_only(self, method):
        if self.atlas_type != "surface":
            raise ValueError(f"{method} needs a surface atlas; {self.name!r} is a volume")

    def mni_to_voxel(self, mni_coord):
        """Convert an MNI coordinate to the voxel (i, j, k) it falls in (module doc)."""
        return tuple(int(v) for v in self.voxels_of(_point(mni_coord))[0])

    def mni_to_vertex(self, mni_coord, hemi=None):
        """Convert an MNI coordinate to the nearest vertex index.

        Parameters
        ----------
        mni_coord : (3,) array-like, MNI mm
        hemi : int or list of int or None
            Hemisphere(s) to search: 0 left, 1 right, None both.

        Returns
        -------
        int, or ndarray of int when several vertices lie exactly at the coordinate
        """
        self._surface_only("mni_to_vertex")
        point = _point(mni_coord)
        exact = self._atlas.exact_vertices(point, hemi)
        if exact.size > 1:
            return exact
        return int(self._atlas.nearest_vertices(point, hemi)[1][0])

    def convert_to_source(self, target, hemi=None, source_system="mni"):
        """Convert a coordinate in ``source_system`` to a voxel (volumes) or vertex (surfaces)."""
        point = _point(target, "target")
        if str(source_system).lower() != self.system:
            point = self.convert_system(point, source_system, self.system)
        if self.atlas_type == "volume":
            return self.mni_to_voxel(point)
        return self.mni_to_vertex(point, hemi)

    def voxel_to_mni(self, voxel_ijk):
        """Convert voxel indices (i, j, k) to MNI coordinates: (3,), or (N, 3) for many."""
        ijk = np.asarray(voxel_ijk)
        out = self.voxel_centres(ijk.reshape(-1, 3))
        return out[0] if ijk.ndim == 1 else out

    def vertex_to_mni(self, vertices, hemi):
        """Convert vertices of hemisphere(s) ``hemi`` to MNI coordinates: (3,) for one
        vertex, (N, 3) for many."""
        self._surface_only("vertex_to_mni")
        out = self._atlas.to_mni(vertices, hemi)
        return out[0] if np.ndim(vertices) == 0 else out

    def convert_to_mni(self, source, hemi=None):
        """Convert voxel indices (volumes) or vertices of ``hemi`` (surfaces) to MNI."""
        if self.atlas_type == "volume":
            return self.voxel_to_mni(source)
        if hemi is None:
            raise ValueError("hemi must be provided for surface atlases")
        return self.vertex_to_mni(source, hemi)

    def voxels_of(self, positions):
        """Vectorised :meth:`mni_to_voxel`: voxel indices (N, 3) of coordinates (N, 3)."""
        self._volume_only("voxels_of")
        return self._atlas.to_source(points_array(positions))

    def voxel_centres(self, voxels):
        """Vectorised :meth:`voxel_to_mni`: MNI coordinates (N, 3) of voxel indices (N, 3)."""
        self._volume_only("voxel_centres")
        return self._atlas.to_mni(np.atleast_2d(voxels))

    # --- coordinate -> region ---------------------------------------------------------------

    def locate(self, positions, max_distance=None, hemi=None):
        """Vectorised :meth:`mni_to_region_index`: indexes (-1 for none), names, distances.

        Parameters
        ----------
        positions : (N, 3) array-like, MNI mm
        max_distance : float or None
        hemi : hemisphere restriction for surface atlases

        Returns
        -------
        indexes : (N,) ndarray of int64
        names : (N,) ndarray of str (object)
        distances : (N,) ndarray of float64 mm
        """
        if max_distance is not None and not max_distance >= 0:
            raise ValueError(f"max_distance must be a number >= 0, got {max_distance!r}")
        return self._atlas.locate(points_array(positions), max_distance, hemi)

    def mni_to_region_index(self, mni_coord, max_distance=None, hemi=None,
                            return_distance=False):
        """Return the region index for a given MNI coordinate.

        Parameters
        ----------
        mni_coord : (3,) array-like, MNI mm
        max_distance : float or None
            Volumes: if provided, a coordinate outside every region falls back to the nearest
            region within this distance (mm, voxel centre to nearest voxel centre); beyond
            it, or without it, the answer is ``"Unknown"``. Surfaces: the answer is the
            nearest vertex, ``"Unknown"`` if it lies farther than this.
        hemi : int or list of int or None
            Hemisphere restriction for surface atlases.
        return_distance : bool
            Also return the distance to the reported region (0 inside it, inf for none).
        """
        indexes, _, distances = self.locate(_point(mni_coord), max_distance, hemi)
        index = index_values(indexes)[0]
        return (index, float(distances[0])) if return_distance else index

    def mni_to_region_name(self, mni_coord, max_distance=None, hemi=None, return_distance=False):
        """Return the region name for a given MNI coordinate (see :meth:`mni_to_region_index`)."""
        _, names, distances = self.locate(_point(mni_coord), max_distance, hemi)
        return (str(names[0]), float(distances[0])) if return_distance else str(names[0])

    # --- region -> coordinates ----------------------------------------------------------------

    def region_index_to_mni(self, region_idx, hemi=None):
        """Return MNI coordinates (N, 3) for voxels or vertices in ``region_idx``; empty (0, 3)
        if none."""
        try:
            values = np.atleast_1d(np.asarray(region_idx)).astype(np.int64)
        except (TypeError, ValueError):
            return np.empty((0, 3))
        return self._atlas.points(values, hemi)

    def region_name_to_mni(self, region_name):
        """Return MNI coordinates (N, 3) for voxels matching ``region_name``; empty (0, 3) if
        none."""
        return self._atlas.name_points(region_name)

    def _region_points(self, region):
        if isinstance(region, str):
            return self.region_name_to_mni(region)
        return self.region_index_to_mni(region)

    def region_centroid(self, region):
        """Return the centroid MNI coordinate (3,) of a region (name or index); empty if none."""
        points = self._region_points(region)
        return points.mean(axis=0) if len(points) else np.empty((0,))

    def distance_to_region_centroid(self, mni_coord, region):
        """Return Euclidean distance (mm) from ``mni_coord`` to a region centroid (inf if the
        region has no voxels)."""
        centroid = self.region_centroid(region)
        if centroid.size == 0:
            return float("inf")
        return float(np.linalg.norm(_point(mni_coord) - centroid))

    def distance_to_region_boundary(self, mni_coord, region):
        """Return the distance (mm) from ``mni_coord`` itself to the nearest voxel centre (or
        vertex) of ``region``; inf if the region is empty."""
        points = self._region_points(region)
        if len(points) == 0:
            return float("inf")
        return float(np.linalg.norm(points - _point(mni_coord), axis=1).min())

    def membership_scores(self, mni_coord, method="centroid"):
        """Return normalized membership probabilities for all regions.

        ``exp(-d)`` over every region with voxels (vertices), normalised to sum to 1, where
        ``d`` is the distance to the region's centroid (``"centroid"``) or to its nearest
        voxel centre (``"boundary"``). Keys are region names (indexes where unnamed).
        """
        regions, scores = self.score_matrix(_point(mni_coord), method)
        return {self._atlas.key_of(r): float(s) for r, s in zip(regions, scores[0])}

    def score_matrix(self, positions, method="centroid"):
        """Vectorised :meth:`membership_scores`.

        Returns
        -------
        regions : (R,) ndarray
            Region indexes (volumes) or positions in the region list (surfaces).
        scores : (N, R) ndarray of float64, rows summing to 1
        """
        if method not in MEMBERSHIP_SCORE_METHODS:
            raise ValueError(f"unknown method {method!r}; choose from "
                             f"{', '.join(MEMBERSHIP_SCORE_METHODS)}")
        points = points_array(positions)
        regions = self._atlas.scored_regions()
        if method == "centroid":
            centroids = self._atlas.centroids(regions)
            distances = np.linalg.norm(points[:, None, :] - centroids[None, :, :], axis=2)
        else:
            distances = self._atlas.region_distances(points, regions)
        return regions, normalised_scores(distances)

    # --- persistence ----------------------------------------------------------------------

    def _state(self):
        state = {key: getattr(self, key) for key in _STATE}
        if isinstance(state["labels"], np.ndarray):
            state["labels"] = [str(n) for n in state["labels"].tolist()]
        return state

    def save(self, filename):
        """Write this mapper to ``filename`` in c2r-db's pickle-free format."""
        storage.write(filename, type(self).__name__, self._state())

    @classmethod
    def load(cls, filename):
        """Load an AtlasMapper from ``filename``.

        Raises
        ------
        ValueError
            If the file was not written by c2r-db or holds something else.
        """
        kind, state = storage.read(filename)
        if kind != cls.__name__:
            raise storage.FileFormatError(f"holds a {kind}, not an {cls.__name__}",
                                          path=filename)
        return cls.from_state(state)

    @classmethod
    def from_state(cls, state):
        """Rebuild a mapper from the state it saved."""
        return cls(**state)
