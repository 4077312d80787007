"""coord2region's ``BatchAtlasMapper`` and ``MultiAtlasMapper``: the batch methods run once
over all coordinates (vectorised), not once per coordinate."""

from __future__ import annotations

from c2r_db.compat import storage
from c2r_db.compat.mapper import AtlasMapper, index_values

__all__ = ["BatchAtlasMapper", "MultiAtlasMapper"]


class BatchAtlasMapper:
    """Provide batch (vectorized) conversions for a single atlas mapper.

    Parameters
    ----------
    mapper : AtlasMapper

    Attributes
    ----------
    mapper : AtlasMapper
    """

    def __init__(self, mapper):
        if not isinstance(mapper, AtlasMapper):
            raise ValueError("mapper must be an instance of AtlasMapper")
        self.mapper = mapper

    def batch_region_name_from_index(self, values):
        """Return the region name for each index in ``values`` (list of str)."""
        return self.mapper.names_of(values)

    def batch_region_index_from_name(self, labels):
        """Return the region index for each name in ``labels``."""
        return [self.mapper.region_index_from_name(label) for label in labels]

    def batch_mni_to_voxel(self, positions):
        """Convert MNI coordinates (N, 3) to voxel indices: a list of (i, j, k) tuples."""
        return [tuple(row) for row in self.mapper.voxels_of(positions).tolist()]

    def batch_voxel_to_mni(self, sources):
        """Convert voxel indices (N, 3) to MNI coordinates, an (N, 3) array."""
        return self.mapper.voxel_centres(sources)

    def batch_mni_to_region_index(self, positions, max_distance=None, hemi=None):
        """Return the region index of each coordinate (``"Unknown"`` for none), falling back
        to the nearest region within ``max_distance`` when given."""
        return index_values(self.mapper.locate(positions, max_distance, hemi)[0])

    def batch_mni_to_region_name(self, positions, max_distance=None, hemi=None):
        """Return the region name of each coordinate (``"Unknown"`` for none), falling back
        to the nearest region within ``max_distance`` when given."""
        return self.mapper.locate(positions, max_distance, hemi)[1].tolist()

    def batch_region_index_to_mni(self, indices):
        """Return the MNI coordinates (N, 3) of each region index."""
        return [self.mapper.region_index_to_mni(index) for index in indices]

    def batch_region_name_to_mni(self, regions):
        """Return the MNI coordinates (N, 3) of each region name."""
        return [self.mapper.region_name_to_mni(region) for region in regions]


class MultiAtlasMapper:
    """Manage multiple atlases and provide batch queries across them.

    Parameters
    ----------
    data_dir : str
        Working directory (see :func:`c2r_db.compat.files.get_working_directory`); atlases
        fetched from URLs are stored there.
    atlases : dict of str to dict
        Atlas name -> keyword arguments of :meth:`AtlasFetcher.fetch_atlas`.
    db : c2r_db.Database or str or Path, optional, keyword-only
        Database of the named atlases (default: ``$C2R_DB``, else the user cache database).

    Attributes
    ----------
    mappers : dict of str to BatchAtlasMapper
    """

    def __init__(self, data_dir, atlases, *, db=None):
        from c2r_db.compat.fetcher import AtlasFetcher

        fetcher = AtlasFetcher(data_dir=data_dir, db=db)
        self.mappers = {name: BatchAtlasMapper(AtlasMapper.from_fetched(
                            name, fetcher.fetch_atlas(name, **(kwargs or {}))))
                        for name, kwargs in atlases.items()}

    def batch_mni_to_region_names(self, coords, max_distance=None, hemi=None):
        """Region names of the coordinates in every atlas: ``{atlas: [name, ...]}``."""
        return {name: mapper.batch_mni_to_region_name(coords, max_distance, hemi)
                for name, mapper in self.mappers.items()}

    def batch_region_name_to_mni(self, region_names):
        """MNI coordinates of the named regions in every atlas: ``{atlas: [(N, 3), ...]}``."""
        return {name: mapper.batch_region_name_to_mni(region_names)
                for name, mapper in self.mappers.items()}

    def save(self, filename):
        """Write every mapper to ``filename`` in c2r-db's pickle-free format."""
        storage.write(filename, type(self).__name__, self._state())

    @classmethod
    def load(cls, filename):
        """Load a MultiAtlasMapper from ``filename`` (ValueError if it holds anything else)."""
        kind, states = storage.read(filename)
        if kind != cls.__name__:
            raise storage.FileFormatError(f"holds a {kind}, not a {cls.__name__}",
                                          path=filename)
        return cls.from_state(states)

    def _state(self):
        return {name: batch.mapper._state() for name, batch in self.mappers.items()}

    @classmethod
    def from_state(cls, states):
        """Rebuild from the state :meth:`save` wrote."""
        multi = cls.__new__(cls)
        multi.mappers = {name: BatchAtlasMapper(AtlasMapper.from_state(state))
                         for name, state in states.items()}
        return multi
