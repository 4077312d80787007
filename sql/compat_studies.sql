-- The radius search behind coord2region's search_studies and get_studies_for_coordinate
-- (c2r_db.compat.studies), through the same stored macros as every other study query. It
-- reads the registered table c2r_input (row_id, x, y, z; MNI mm).

-- name: compat_studies_input
-- One row per (input row, study with a focus within $radius mm, inclusive): row_id,
-- study_id, distance_mm (the study's nearest focus), n_foci (its foci within the radius),
-- source (the earliest-loaded source among those foci; a focus that several sources report
-- alike is stored once, under the earliest), contrast (the smallest contrast label among that
-- source's foci within the radius) and the study's pmid, doi, title, authors, journal, year and
-- abstract. Only studies that a source in $sources lists (every study when $sources is NULL).
-- Ordered by row_id, then distance, then study_id.
WITH hits AS (
    SELECT near.row_id, near.study_id, near.contrast, near.distance_mm, near.source,
           o.load_order,
           min(o.load_order) OVER (PARTITION BY near.row_id, near.study_id) AS first_order
    FROM c2r_foci_near('c2r_input', $radius, unknown_space_as_mni := $unknown_space_as_mni)
         AS near
    JOIN study_sources AS o USING (source)
), per_study AS (
    SELECT row_id, study_id,
           min(distance_mm) AS distance_mm,
           count(*) AS n_foci,
           any_value(source) FILTER (WHERE load_order = first_order) AS source,
           min(contrast) FILTER (WHERE load_order = first_order) AS contrast
    FROM hits
    GROUP BY row_id, study_id
)
SELECT p.row_id, p.study_id, p.distance_mm, p.n_foci, p.source, p.contrast,
       s.pmid, s.doi, s.title, s.authors, s.journal, s.year, s.abstract
FROM per_study AS p
JOIN studies AS s USING (study_id)
WHERE $sources IS NULL OR list_has_any(s.sources, $sources)
ORDER BY p.row_id, p.distance_mm, p.study_id;

-- name: study_source_names
-- The study sources of the database, in load order.
SELECT source FROM study_sources ORDER BY load_order;
