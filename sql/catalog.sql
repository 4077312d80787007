-- Read-only queries over the catalogue tables.

-- name: schema_version
-- The schema version the database was built with (NULL if the key is missing).
SELECT max(value) AS value FROM build_info WHERE key = 'schema_version';

-- name: list_atlases
-- Every atlas with its kind, space, region count, voxel size and source.
SELECT atlas, kind, space, n_regions, voxel_size, shape, hemisphere_rule, source, license,
       description
FROM atlases
ORDER BY atlas;

-- name: atlas_grids
-- The grid of the atlases named in $atlases (a list), for mm <-> voxel arithmetic in Python,
-- with the bounding box of all labelled voxel centres (MNI mm).
SELECT a.atlas, a.kind, a.shape, a.affine, a.inverse_affine, a.nearest_range_mm,
       [min(r.min_x), min(r.min_y), min(r.min_z)] AS labelled_min,
       [max(r.max_x), max(r.max_y), max(r.max_z)] AS labelled_max
FROM atlases AS a
JOIN regions AS r USING (atlas)
WHERE list_contains($atlases, a.atlas)
GROUP BY ALL;

-- name: list_regions
-- Every region of atlas $atlas with its statistics, by region_id.
SELECT region_id, name, hemisphere, centroid_x, centroid_y, centroid_z, n_voxels, volume_mm3,
       min_x, max_x, min_y, max_y, min_z, max_z, in_label_file
FROM regions
WHERE atlas = $atlas
ORDER BY region_id;

-- name: boundary_voxels
-- Keys and regions of the boundary voxels of atlas $atlas: the candidates of the KD-tree
-- search for coordinates beyond the precomputed nearest range or outside the grid.
SELECT voxel, region_id
FROM boundary_voxels
WHERE atlas = $atlas;

-- name: region_names
-- Name and hemisphere of every region of atlas $atlas.
SELECT region_id, name AS region, hemisphere
FROM regions
WHERE atlas = $atlas;
