-- Coordinate -> region lookups used by the library (c2r_db.lookup). Both read the registered
-- table c2r_input (row_id, x, y, z; MNI mm); rows come back in any order.

-- name: nearest_region_input
-- Region id and distance of every input row in atlas $atlas, up to $max_distance mm.
SELECT row_id, voxel, region_id, distance_mm
FROM c2r_nearest_region('c2r_input', $atlas, max_distance := $max_distance);

-- name: probability_input
-- Probability of the reported region at each input row's voxel (probabilistic atlases).
SELECT row_id, probability
FROM c2r_label('c2r_input', $atlas, max_distance := $max_distance)
WHERE probability IS NOT NULL;
