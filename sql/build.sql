-- Statements the build runs against the new database file, after sql/schema.sql.

-- name: load_atlases
-- Atlas rows from the registered Arrow table atlas_rows.
INSERT INTO atlases BY NAME SELECT * FROM atlas_rows;

-- name: load_manifest
-- Source-file rows from the registered Arrow table manifest_rows.
INSERT INTO manifest BY NAME SELECT * FROM manifest_rows;

-- name: load_regions
-- Region rows from the per-atlas Parquet files in $files.
INSERT INTO regions BY NAME
SELECT * FROM read_parquet($files)
ORDER BY atlas, region_id;

-- name: load_voxels
-- Voxel rows from the per-atlas Parquet files in $files, sorted so that each atlas occupies
-- contiguous row groups (a lookup then reads only its atlas's blocks).
INSERT INTO voxels BY NAME
SELECT * FROM read_parquet($files)
ORDER BY atlas, voxel;

-- name: load_boundary_voxels
-- Boundary voxel rows from the per-atlas Parquet files in $files.
INSERT INTO boundary_voxels BY NAME
SELECT * FROM read_parquet($files)
ORDER BY atlas, voxel;

-- name: load_probabilities
-- Probability rows from the per-atlas Parquet files in $files.
INSERT INTO probabilities BY NAME
SELECT * FROM read_parquet($files)
ORDER BY atlas, voxel, region_id;

-- name: set_build_info
-- Record one build fact.
INSERT INTO build_info VALUES ($key, $value);
