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

-- name: stage_study_rows
-- Study rows of every source (Parquet files in $files: source, load_order, row, native_id,
-- pmid, doi, title, authors, journal, year, abstract), each given its study_id.
CREATE TEMP TABLE study_rows AS
SELECT *, coalesce(pmid, source || ':' || native_id) AS study_id
FROM read_parquet($files);

-- name: stage_focus_rows
-- Focus rows of every source (Parquet files in $files: source, load_order, row, native_id,
-- contrast, x, y, z in MNI mm, orig_x, orig_y, orig_z, orig_space, reported_space).
CREATE TEMP TABLE focus_rows AS
SELECT * FROM read_parquet($files);

-- name: load_studies
-- One row per study with focus rows. Each field from the first source (load order, then
-- row) that has it; sources lists every source with focus rows for the study. n_foci is
-- filled in by count_foci once the foci are loaded.
INSERT INTO studies BY NAME
WITH reporting AS (
    SELECT s.*
    FROM study_rows AS s
    SEMI JOIN focus_rows AS f USING (source, native_id)
), per_source AS (
    SELECT study_id, source, min(load_order) AS load_order
    FROM reporting
    GROUP BY ALL
), listed AS (
    SELECT study_id, list(source ORDER BY load_order) AS sources
    FROM per_source
    GROUP BY study_id
)
SELECT r.study_id,
       (row_number() OVER (ORDER BY r.study_id))::INTEGER AS study_key,
       first(r.pmid ORDER BY r.load_order, r.row) FILTER (WHERE r.pmid IS NOT NULL) AS pmid,
       first(r.doi ORDER BY r.load_order, r.row) FILTER (WHERE r.doi IS NOT NULL) AS doi,
       first(r.title ORDER BY r.load_order, r.row) FILTER (WHERE r.title IS NOT NULL) AS title,
       first(r.authors ORDER BY r.load_order, r.row) FILTER (WHERE r.authors IS NOT NULL)
           AS authors,
       first(r.journal ORDER BY r.load_order, r.row) FILTER (WHERE r.journal IS NOT NULL)
           AS journal,
       first(r.year ORDER BY r.load_order, r.row) FILTER (WHERE r.year IS NOT NULL) AS year,
       first(r.abstract ORDER BY r.load_order, r.row) FILTER (WHERE r.abstract IS NOT NULL)
           AS abstract,
       any_value(l.sources) AS sources,
       0 AS n_foci
FROM reporting AS r
JOIN listed AS l USING (study_id)
GROUP BY r.study_id
ORDER BY r.study_id;

-- name: load_foci
-- Foci with their study and grid cell. Duplicates (same study, same MNI x, y, z) keep one
-- row: a known space before UNKNOWN, then the earliest source, then the earliest row.
INSERT INTO foci BY NAME
WITH identified AS (
    SELECT s.study_id, f.*
    FROM focus_rows AS f
    JOIN study_rows AS s USING (source, native_id)
), ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY study_id, x, y, z
                              ORDER BY orig_space = 'UNKNOWN', load_order, row) AS copy
    FROM identified
)
SELECT r.study_id, s.study_key, r.contrast, r.x, r.y, r.z, r.orig_x, r.orig_y, r.orig_z,
       r.orig_space, r.reported_space, r.source,
       c2r_cell_key(r.x, r.y, r.z, $cell_mm) AS cell,
       NOT (r.x BETWEEN -91 AND 91 AND r.y BETWEEN -126 AND 91 AND r.z BETWEEN -72 AND 109)
           AS implausible
FROM ranked AS r
JOIN studies AS s USING (study_id)
WHERE r.copy = 1
ORDER BY cell, s.study_key, r.x, r.y, r.z;

-- name: count_foci
-- studies.n_foci: each study's rows in foci.
UPDATE studies
SET n_foci = counted.n
FROM (SELECT study_key, count(*) AS n FROM foci GROUP BY study_key) AS counted
WHERE studies.study_key = counted.study_key;

-- name: load_study_grid
-- The grid row: cell size $cell_mm and the occupied cell index range per axis.
INSERT INTO study_grid
SELECT $cell_mm,
       min(c2r_cell_index(x, $cell_mm)), max(c2r_cell_index(x, $cell_mm)),
       min(c2r_cell_index(y, $cell_mm)), max(c2r_cell_index(y, $cell_mm)),
       min(c2r_cell_index(z, $cell_mm)), max(c2r_cell_index(z, $cell_mm))
FROM foci;

-- name: load_study_sources
-- Source rows from the registered Arrow table source_rows, with their counts.
INSERT INTO study_sources BY NAME
SELECT r.*,
       (SELECT count(*) FROM studies WHERE list_contains(studies.sources, r.source)) AS n_studies,
       (SELECT count(*) FROM focus_rows WHERE focus_rows.source = r.source) AS n_foci_read,
       (SELECT count(*) FROM foci WHERE foci.source = r.source) AS n_foci
FROM source_rows AS r
ORDER BY r.load_order;
