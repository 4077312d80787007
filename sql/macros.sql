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

-- name: macro_voxel_index
-- Voxel index along one axis (0, 1, 2) of a linear voxel key i + nx * (j + ny * k).
CREATE OR REPLACE MACRO c2r_voxel_index(shape, voxel, axis) AS
    CASE axis WHEN 0 THEN voxel % shape[1]
              WHEN 1 THEN (voxel // shape[1]) % shape[2]
              ELSE voxel // (shape[1] * shape[2]) END;

-- name: macro_voxel_mm
-- MNI mm along one axis (0, 1, 2) of the centre of a voxel given by its linear key:
-- row `axis` of the affine applied to (i, j, k, 1).
CREATE OR REPLACE MACRO c2r_voxel_mm(affine, shape, voxel, axis) AS
    affine[4 * axis + 1] * c2r_voxel_index(shape, voxel, 0)
    + affine[4 * axis + 2] * c2r_voxel_index(shape, voxel, 1)
    + affine[4 * axis + 3] * c2r_voxel_index(shape, voxel, 2)
    + affine[4 * axis + 4];

-- name: macro_region_voxels
-- Every voxel of a region, by region name: a name spelt exactly wins, else the name is matched
-- ignoring case. Columns region_id, region, voxel (key), i, j, k (indices on the atlas grid)
-- and x, y, z (voxel centre, MNI mm). For probabilistic atlases: the voxels where the region
-- has the highest probability.
--   SELECT x, y, z FROM c2r_region_voxels('aal3', 'precentral_l');
CREATE OR REPLACE MACRO c2r_region_voxels(atlas_name, region_name) AS TABLE
WITH named AS (
    SELECT region_id, name, bool_or(name = region_name) OVER () AS spelt_exactly
    FROM regions
    WHERE atlas = atlas_name AND lower(name) = lower(region_name)
), chosen AS (
    SELECT region_id, name FROM named WHERE name = region_name OR NOT spelt_exactly
)
SELECT chosen.region_id, chosen.name AS region, voxels.voxel,
       c2r_voxel_index(atlases.shape, voxels.voxel, 0) AS i,
       c2r_voxel_index(atlases.shape, voxels.voxel, 1) AS j,
       c2r_voxel_index(atlases.shape, voxels.voxel, 2) AS k,
       c2r_voxel_mm(atlases.affine, atlases.shape, voxels.voxel, 0) AS x,
       c2r_voxel_mm(atlases.affine, atlases.shape, voxels.voxel, 1) AS y,
       c2r_voxel_mm(atlases.affine, atlases.shape, voxels.voxel, 2) AS z
FROM chosen
JOIN voxels ON voxels.atlas = atlas_name AND voxels.region_id = chosen.region_id
           AND voxels.distance_mm = 0
JOIN atlases ON atlases.atlas = atlas_name
ORDER BY chosen.region_id, voxels.voxel;

-- name: macro_membership
-- Probabilistic atlases: for every row of a table (or file) with MNI mm columns x, y, z, every
-- region whose probability at the row's voxel is >= min_prob (and > 0), one output row each:
-- the input columns plus voxel, region_id, region, hemisphere and probability (0-1, the atlas
-- file's value at that voxel). A row with no such region appears once, with NULLs.
--   SELECT * FROM c2r_membership('data/example_peaks.csv', 'juelich', min_prob := 0.25);
CREATE OR REPLACE MACRO c2r_membership(coords, atlas_name, min_prob := 0.0) AS TABLE
WITH atlas AS (
    SELECT inverse_affine, shape FROM atlases WHERE atlas = atlas_name
), located AS (
    SELECT c.*, c2r_voxel_key(a.inverse_affine, a.shape, c.x, c.y, c.z) AS voxel
    FROM query_table(coords) AS c CROSS JOIN atlas AS a
), found AS (
    SELECT voxel AS found_voxel, region_id, probability
    FROM probabilities
    WHERE atlas = atlas_name AND probability >= min_prob
)
SELECT located.*, found.region_id, regions.name AS region,
       CASE WHEN found.region_id IS NOT NULL
            THEN coalesce(regions.hemisphere, c2r_hemisphere_of_x(located.x)) END AS hemisphere,
       found.probability
FROM located
LEFT JOIN found ON found.found_voxel = located.voxel
LEFT JOIN regions ON regions.atlas = atlas_name AND regions.region_id = found.region_id;
