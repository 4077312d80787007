-- Study queries used by the library (c2r_db.studies). The *_input statements read the
-- registered table c2r_input (row_id, x, y, z; MNI mm).

-- name: study_counts_input
-- n_studies, n_foci and study_ids within $radius mm of every input row, by row_id.
SELECT row_id, n_studies, n_foci, study_ids
FROM c2r_study_counts('c2r_input', $radius, unknown_space_as_mni := $unknown_space_as_mni)
ORDER BY row_id;

-- name: studies_near_input
-- One row per (input row, study within $radius mm) with the study's nearest focus distance,
-- its foci within the radius and its citation, by row_id, then distance, then study_id.
SELECT near.row_id, near.study_id, near.distance_mm, near.n_foci,
       s.pmid, s.doi, s.title, s.authors, s.journal, s.year
FROM c2r_studies_near('c2r_input', $radius, unknown_space_as_mni := $unknown_space_as_mni)
     AS near
JOIN studies AS s USING (study_id)
ORDER BY near.row_id, near.distance_mm, near.study_id;

-- name: study_foci
-- Study $study_id with each of its foci (one row per focus), ordered by contrast and position.
SELECT s.study_id, s.pmid, s.doi, s.title, s.authors, s.journal, s.year, s.abstract,
       s.sources, f.contrast, f.x, f.y, f.z, f.orig_x, f.orig_y, f.orig_z, f.orig_space,
       f.reported_space, f.source, f.implausible
FROM studies AS s
JOIN foci AS f USING (study_id)
WHERE s.study_id = $study_id
ORDER BY f.contrast, f.x, f.y, f.z;

-- name: similar_study_ids
-- The five study ids closest to $study_id (Jaro-Winkler), for "did you mean" messages.
SELECT study_id
FROM studies
ORDER BY jaro_winkler_similarity(study_id, $study_id) DESC, study_id
LIMIT 5;

-- name: study_abstracts
-- Abstract of each study whose id is in the list $study_ids (NULL when unknown).
SELECT study_id, abstract
FROM studies
WHERE list_contains($study_ids, study_id);
