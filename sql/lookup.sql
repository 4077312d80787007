-- Coordinate -> region lookups used by the library (c2r_db.lookup).

-- name: label_input
-- Label the registered table c2r_input (row_id, x, y, z; MNI mm) in atlas $atlas with the
-- nearest-region fallback up to $max_distance mm, ordered by row_id.
SELECT row_id, voxel, region_id, region, hemisphere, distance_mm, probability
FROM c2r_label('c2r_input', $atlas, max_distance := $max_distance)
ORDER BY row_id;
