-- Macros stored in every database, so that any DuckDB client can find the studies that
-- reported foci near coordinates, in plain SQL:
--   SELECT * FROM c2r_study_counts('peaks.csv', 6);
-- Inputs are a table name or file with MNI mm columns x, y, z; the radius is in mm and
-- inclusive (a focus exactly on the sphere counts). Foci in UNKNOWN space are left out unless
-- unknown_space_as_mni := true.

-- name: macro_cell_index
-- Cell index along one axis of a coordinate v (mm) on a grid of cell_mm cubes:
-- floor(v / cell_mm), clamped to [-2^20, 2^20 - 1] (cells beyond hold everything farther
-- out; a radius query stays exact because its distance test is).
CREATE OR REPLACE MACRO c2r_cell_index(v, cell_mm) AS
    least(greatest(floor(v / cell_mm), -1048576), 1048575)::BIGINT;

-- name: macro_cell_pack
-- One BIGINT key from three cell indices: (i + 2^20) * 2^42 + (j + 2^20) * 2^21 + (k + 2^20).
CREATE OR REPLACE MACRO c2r_cell_pack(i, j, k) AS
    (i + 1048576) * 4398046511104 + (j + 1048576) * 2097152 + (k + 1048576);

-- name: macro_cell_key
-- Grid cell key of an MNI mm coordinate (foci.cell holds it for cell_mm = study_grid.cell_mm).
CREATE OR REPLACE MACRO c2r_cell_key(x, y, z, cell_mm) AS
    c2r_cell_pack(c2r_cell_index(x, cell_mm), c2r_cell_index(y, cell_mm),
                  c2r_cell_index(z, cell_mm));

-- name: macro_numbered
-- The rows of a table or file, each with its number c2r_row (1, 2, ...; in scan order).
CREATE OR REPLACE MACRO c2r_numbered(coords) AS TABLE
SELECT row_number() OVER () AS c2r_row, c.*
FROM query_table(coords) AS c;

-- name: macro_focus_hits
-- The search itself, for a table of points with columns c2r_row, x, y, z (MNI mm): one row
-- per (c2r_row, focus within radius mm, Euclidean, inclusive) with study_id, study_key,
-- contrast, focus_x, focus_y, focus_z, orig_space, source (the source the focus was kept
-- from) and distance_mm. The candidate foci are
-- those in the grid cells that overlap the cube [p - radius, p + radius] (widened by 1e-6 mm
-- against rounding), so any radius works; the cost grows with (radius / cell_mm)^3.
CREATE OR REPLACE MACRO c2r_focus_hits(points, radius, unknown_space_as_mni := false) AS TABLE
WITH reach AS (
    SELECT p.c2r_row, p.x AS px, p.y AS py, p.z AS pz,
           range(greatest(c2r_cell_index(p.x - radius - 1e-6, g.cell_mm), g.min_i),
                 least(c2r_cell_index(p.x + radius + 1e-6, g.cell_mm), g.max_i) + 1) AS i_span,
           range(greatest(c2r_cell_index(p.y - radius - 1e-6, g.cell_mm), g.min_j),
                 least(c2r_cell_index(p.y + radius + 1e-6, g.cell_mm), g.max_j) + 1) AS j_span,
           range(greatest(c2r_cell_index(p.z - radius - 1e-6, g.cell_mm), g.min_k),
                 least(c2r_cell_index(p.z + radius + 1e-6, g.cell_mm), g.max_k) + 1) AS k_span
    FROM query_table(points) AS p
    CROSS JOIN study_grid AS g
), along_i AS (
    SELECT c2r_row, px, py, pz, j_span, k_span, unnest(i_span) AS i FROM reach
), along_j AS (
    SELECT c2r_row, px, py, pz, k_span, i, unnest(j_span) AS j FROM along_i
), along_k AS (
    SELECT c2r_row, px, py, pz, i, j, unnest(k_span) AS k FROM along_j
), candidates AS (
    SELECT c.c2r_row, f.study_id, f.study_key, f.contrast, f.x, f.y, f.z, f.orig_space,
           f.source,
           sqrt((f.x - c.px) * (f.x - c.px) + (f.y - c.py) * (f.y - c.py)
                + (f.z - c.pz) * (f.z - c.pz)) AS distance_mm
    FROM along_k AS c
    JOIN foci AS f ON f.cell = c2r_cell_pack(c.i, c.j, c.k)
    WHERE f.orig_space <> 'UNKNOWN' OR unknown_space_as_mni
)
SELECT c2r_row, study_id, study_key, contrast, x AS focus_x, y AS focus_y, z AS focus_z,
       orig_space, source, distance_mm
FROM candidates
WHERE distance_mm <= radius;

-- name: macro_study_hits
-- Per (c2r_row, study_key) of c2r_focus_hits: distance_mm of the study's nearest focus and
-- n_foci, its foci within radius.
CREATE OR REPLACE MACRO c2r_study_hits(points, radius, unknown_space_as_mni := false) AS TABLE
SELECT c2r_row, study_key, min(distance_mm) AS distance_mm, count(*) AS n_foci
FROM c2r_focus_hits(points, radius, unknown_space_as_mni := unknown_space_as_mni)
GROUP BY c2r_row, study_key;

-- name: macro_foci_near
-- Every focus within radius mm of each input row: the input columns, c2r_row (the input
-- row's number), study_id, contrast, focus_x, focus_y, focus_z (MNI mm), orig_space, source
-- and distance_mm. An input row with no focus in reach appears once, with NULL focus columns.
CREATE OR REPLACE MACRO c2r_foci_near(coords, radius, unknown_space_as_mni := false) AS TABLE
WITH c2r_points AS MATERIALIZED (
    SELECT * FROM c2r_numbered(coords)
)
SELECT * EXCLUDE (study_key)
FROM c2r_points
LEFT JOIN c2r_focus_hits('c2r_points', radius, unknown_space_as_mni := unknown_space_as_mni)
    USING (c2r_row);

-- name: macro_studies_near
-- One row per (input row, study with a focus within radius mm): the input columns, c2r_row,
-- study_id, distance_mm (the study's nearest focus) and n_foci (its foci within radius).
CREATE OR REPLACE MACRO c2r_studies_near(coords, radius, unknown_space_as_mni := false) AS TABLE
WITH c2r_points AS MATERIALIZED (
    SELECT * FROM c2r_numbered(coords)
)
SELECT c2r_points.*, studies.study_id, hits.distance_mm, hits.n_foci
FROM c2r_points
JOIN c2r_study_hits('c2r_points', radius, unknown_space_as_mni := unknown_space_as_mni) AS hits
    USING (c2r_row)
JOIN studies USING (study_key);

-- name: macro_study_counts
-- One row per input row: the input columns, c2r_row, n_studies and n_foci within radius mm,
-- and study_ids (ordered by each study's nearest focus, ties by study_id; empty when none).
CREATE OR REPLACE MACRO c2r_study_counts(coords, radius, unknown_space_as_mni := false) AS TABLE
WITH c2r_points AS MATERIALIZED (
    SELECT * FROM c2r_numbered(coords)
), per_row AS (
    -- study keys follow study_id order, so ordering by key orders by id
    SELECT c2r_row, count(*) AS n_studies, sum(n_foci)::BIGINT AS n_foci,
           list(study_key ORDER BY distance_mm, study_key) AS study_keys
    FROM c2r_study_hits('c2r_points', radius, unknown_space_as_mni := unknown_space_as_mni)
    GROUP BY c2r_row
), id_of AS (
    SELECT list(study_id ORDER BY study_key) AS ids FROM studies
)
SELECT c2r_points.*,
       coalesce(per_row.n_studies, 0) AS n_studies,
       coalesce(per_row.n_foci, 0) AS n_foci,
       coalesce(list_transform(per_row.study_keys, lambda key: id_of.ids[key]), [])
           AS study_ids
FROM c2r_points
CROSS JOIN id_of
LEFT JOIN per_row USING (c2r_row);
