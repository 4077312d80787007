-- Region queries of the library (c2r_db.regions, c2r_db.membership). Statements that read
-- coordinates take them from the registered table c2r_input (row_id, x, y, z; MNI mm).

-- name: find_region
-- The regions of atlas $atlas named $name ignoring case (normally one), with hemisphere,
-- centroid, size and bounding box (MNI mm).
SELECT region_id, name AS region, hemisphere, centroid_x, centroid_y, centroid_z, n_voxels,
       volume_mm3, min_x, max_x, min_y, max_y, min_z, max_z
FROM regions
WHERE atlas = $atlas AND lower(name) = lower($name)
ORDER BY region_id;

-- name: region_suggestions
-- Up to 8 region names of atlas $atlas close to $name, for a "did you mean" list: names that
-- contain it first, then by Jaro-Winkler similarity (case ignored).
SELECT name
FROM regions
WHERE atlas = $atlas
ORDER BY contains(lower(name), lower($name)) DESC,
         jaro_winkler_similarity(lower(name), lower($name)) DESC,
         name
LIMIT 8;

-- name: region_voxels
-- Every voxel of region $name of atlas $atlas: key, grid indices and centre (MNI mm).
SELECT voxel, i, j, k, x, y, z
FROM c2r_region_voxels($atlas, $name);

-- name: labelled_voxels
-- Keys and regions of the labelled voxels of atlas $atlas: every region, or only region
-- $region_id when it is not NULL.
SELECT voxel, region_id
FROM voxels
WHERE atlas = $atlas AND distance_mm = 0 AND ($region_id IS NULL OR region_id = $region_id);

-- name: atlas_grid
-- Kind, grid shape and voxel -> mm affine (first three rows, row-major) of atlas $atlas.
SELECT kind, shape, affine
FROM atlases
WHERE atlas = $atlas;

-- name: region_centroids
-- Id, name, hemisphere and centroid (MNI mm) of every region of atlas $atlas with voxels.
SELECT region_id, name AS region, hemisphere, centroid_x, centroid_y, centroid_z
FROM regions
WHERE atlas = $atlas AND n_voxels > 0
ORDER BY region_id;

-- name: membership_input
-- Every region with probability >= $min_prob at each input row's voxel in atlas $atlas; rows
-- with none come once with NULLs. Ordered by input row, then by decreasing probability.
SELECT row_id, region_id, region, hemisphere, probability
FROM c2r_membership('c2r_input', $atlas, min_prob := $min_prob)
ORDER BY row_id, probability DESC NULLS LAST, region_id;
