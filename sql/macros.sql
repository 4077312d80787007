-- Macros stored in every database, so that any DuckDB client can label coordinates in SQL.
-- They read only what the database holds: unlabelled voxels beyond atlases.nearest_range_mm,
-- and coordinates outside an atlas grid, get no region here (the c2r-db library and CLI add a
-- KD-tree search for those).

-- name: macro_voxel_axis
-- Voxel index along one axis (0, 1, 2) of a coordinate in mm: floor(v + 0.5), v from the
-- inverse affine row, evaluated ((a*x + b*y) + c*z) + d exactly as c2r_db.grid does.
CREATE OR REPLACE MACRO c2r_voxel_axis(inv, axis, x, y, z) AS
    floor(inv[4 * axis + 1] * x + inv[4 * axis + 2] * y + inv[4 * axis + 3] * z
          + inv[4 * axis + 4] + 0.5);

-- name: macro_voxel_key
-- Linear voxel key i + nx * (j + ny * k) of a coordinate, or NULL outside the grid.
CREATE OR REPLACE MACRO c2r_voxel_key(inv, shape, x, y, z) AS
    CASE WHEN c2r_voxel_axis(inv, 0, x, y, z) BETWEEN 0 AND shape[1] - 1
          AND c2r_voxel_axis(inv, 1, x, y, z) BETWEEN 0 AND shape[2] - 1
          AND c2r_voxel_axis(inv, 2, x, y, z) BETWEEN 0 AND shape[3] - 1
         THEN (c2r_voxel_axis(inv, 0, x, y, z)
               + shape[1] * (c2r_voxel_axis(inv, 1, x, y, z)
                             + shape[2] * c2r_voxel_axis(inv, 2, x, y, z)))::BIGINT
    END;

-- name: macro_hemisphere_of_x
-- L, R or M for an MNI x in mm; |x| <= 2 mm is midline (c2r_db.hemisphere.MIDLINE_BAND_MM).
CREATE OR REPLACE MACRO c2r_hemisphere_of_x(x) AS
    CASE WHEN x < -2.0 THEN 'L' WHEN x > 2.0 THEN 'R' ELSE 'M' END;

-- name: macro_nearest_region
-- For every row of a table (or file: 'peaks.csv') with MNI mm columns x, y, z: the input
-- columns plus voxel (key on the atlas grid, NULL outside it), region_id and distance_mm
-- (0 inside a region; else the nearest region within max_distance mm, voxel centre to voxel
-- centre, as far as the voxels table reaches). One output row per input row, in any order.
CREATE OR REPLACE MACRO c2r_nearest_region(coords, atlas_name, max_distance := 5.0) AS TABLE
WITH atlas AS (
    SELECT atlas, inverse_affine, shape FROM atlases WHERE atlas = atlas_name
), located AS (
    SELECT c.*, c2r_voxel_key(a.inverse_affine, a.shape, c.x, c.y, c.z) AS voxel
    FROM query_table(coords) AS c CROSS JOIN atlas AS a
), nearest AS (
    SELECT voxel, region_id, distance_mm
    FROM voxels
    WHERE atlas = atlas_name AND distance_mm <= max_distance
)
SELECT located.*, nearest.region_id, nearest.distance_mm
FROM located
LEFT JOIN nearest ON nearest.voxel = located.voxel;

-- name: macro_label
-- c2r_nearest_region plus the region name, its hemisphere (from the atlas, else from x) and,
-- for probabilistic atlases, the probability of that region at the voxel.
--   SELECT * FROM c2r_label('data/example_peaks.csv', 'aal3');
CREATE OR REPLACE MACRO c2r_label(coords, atlas_name, max_distance := 5.0) AS TABLE
SELECT found.*,
       regions.name AS region,
       CASE WHEN found.region_id IS NOT NULL
            THEN coalesce(regions.hemisphere, c2r_hemisphere_of_x(found.x)) END AS hemisphere,
       probabilities.probability
FROM c2r_nearest_region(coords, atlas_name, max_distance := max_distance) AS found
LEFT JOIN regions ON regions.atlas = atlas_name AND regions.region_id = found.region_id
LEFT JOIN probabilities ON probabilities.atlas = atlas_name
                       AND probabilities.voxel = found.voxel
                       AND probabilities.region_id = found.region_id;
