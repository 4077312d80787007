-- Tables of a c2r-db database (schema version in build_info). Spaces and units are in the
-- column comments: every coordinate is in MNI152 mm, every distance in mm.

-- name: create_build_info
-- One row per build fact: schema_version, c2r_db_version, built_at (UTC ISO 8601), duckdb_version.
CREATE TABLE build_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- name: create_manifest
-- Every input file the build read, with its checksum and the package (and version) it came from.
CREATE TABLE manifest (
    kind            VARCHAR NOT NULL,   -- atlas_volume | atlas_labels | ...
    name            VARCHAR NOT NULL,   -- the atlas (or source) the file belongs to
    path            VARCHAR NOT NULL,   -- path relative to its package, or absolute for user files
    package         VARCHAR,            -- distribution that ships the file; NULL for user files
    package_version VARCHAR,
    sha256          VARCHAR NOT NULL,
    bytes           BIGINT NOT NULL
);

-- name: create_atlases
-- One row per atlas: its grid (shape, affine and inverse, both as the first three rows,
-- row-major) and where it came from. Lookups never resample: they use this grid.
CREATE TABLE atlases (
    atlas             VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL CHECK (kind IN ('deterministic', 'probabilistic')),
    space             VARCHAR NOT NULL,   -- template space of the grid, e.g. MNI152
    shape             INTEGER[3] NOT NULL,
    affine            DOUBLE[12] NOT NULL, -- voxel index -> mm
    inverse_affine    DOUBLE[12] NOT NULL, -- mm -> continuous voxel index
    voxel_size        DOUBLE[3] NOT NULL,  -- mm
    hemisphere_rule   VARCHAR NOT NULL CHECK (hemisphere_rule IN ('name', 'coordinate')),
    nearest_range_mm  DOUBLE NOT NULL,     -- voxels rows cover unlabelled voxels up to this far
    probability_scale DOUBLE,              -- file value / scale = probability (probabilistic only)
    n_regions         INTEGER NOT NULL,
    source            VARCHAR NOT NULL,    -- package name, or 'user'
    volume_file       VARCHAR NOT NULL,
    labels_file       VARCHAR NOT NULL,
    license           VARCHAR NOT NULL,
    description       VARCHAR NOT NULL
);

-- name: create_regions
-- One row per region named in the label file or present in the volume. Centroid and bounding
-- box are over the region's voxel centres (for probabilistic atlases: the voxels where it is
-- the maximum-probability region). hemisphere is L, R, M (not lateralised by the atlas) or
-- NULL (atlas labels span both hemispheres: the side comes from the coordinate).
CREATE TABLE regions (
    atlas         VARCHAR NOT NULL,
    region_id     INTEGER NOT NULL,
    name          VARCHAR NOT NULL,
    hemisphere    VARCHAR CHECK (hemisphere IN ('L', 'R', 'M')),
    centroid_x    DOUBLE,
    centroid_y    DOUBLE,
    centroid_z    DOUBLE,
    n_voxels      BIGINT NOT NULL,
    volume_mm3    DOUBLE NOT NULL,
    min_x DOUBLE, max_x DOUBLE, min_y DOUBLE, max_y DOUBLE, min_z DOUBLE, max_z DOUBLE,
    in_label_file BOOLEAN NOT NULL,       -- false: value present in the volume but unnamed
    PRIMARY KEY (atlas, region_id)
);

-- name: create_voxels
-- Voxel -> region on each atlas's own grid. distance_mm = 0 for labelled voxels; for
-- unlabelled voxels within nearest_range_mm of a labelled one, region_id is the region of the
-- nearest labelled voxel and distance_mm the exact distance between the two voxel centres.
CREATE TABLE voxels (
    atlas       VARCHAR NOT NULL,
    voxel       BIGINT NOT NULL,   -- i + nx * (j + ny * k)
    region_id   INTEGER NOT NULL,
    distance_mm DOUBLE NOT NULL
);

-- name: create_boundary_voxels
-- The labelled voxels that can be nearest to an unlabelled point: those with an unlabelled
-- 6-neighbour or on the grid edge (every labelled voxel for oblique grids). The KD-tree behind
-- nearest-region answers beyond nearest_range_mm or outside the grid is built from these.
CREATE TABLE boundary_voxels (
    atlas     VARCHAR NOT NULL,
    voxel     BIGINT NOT NULL,
    region_id INTEGER NOT NULL
);

-- name: create_probabilities
-- Probabilistic atlases: every (voxel, region) whose probability is above zero.
CREATE TABLE probabilities (
    atlas       VARCHAR NOT NULL,
    voxel       BIGINT NOT NULL,
    region_id   INTEGER NOT NULL,
    probability DOUBLE NOT NULL      -- 0 < p <= 1
);

-- name: create_studies
-- One row per study, after merging the sources (README, "Studies"): study_id is the PubMed
-- id when any source gives one, else '<source>:<the source''s own id>'. Each field comes from
-- the first source, in load order, that has it. Only studies with at least one focus.
CREATE TABLE studies (
    study_id  VARCHAR PRIMARY KEY,
    study_key INTEGER NOT NULL UNIQUE, -- 1, 2, ... in study_id order (compact join key)
    pmid     VARCHAR,               -- PubMed id (digits), NULL when unknown
    doi      VARCHAR,
    title    VARCHAR,
    authors  VARCHAR,
    journal  VARCHAR,
    year     INTEGER,
    abstract VARCHAR,
    sources  VARCHAR[] NOT NULL,    -- every source that lists foci for the study, in load order
    n_foci   INTEGER NOT NULL       -- its rows in foci (duplicates dropped, every space)
);

-- name: create_foci
-- One row per reported activation focus, duplicates within a study dropped (same MNI x, y,
-- z). Sorted by cell: a radius query reads the cells its sphere can touch.
CREATE TABLE foci (
    study_id       VARCHAR NOT NULL,
    study_key      INTEGER NOT NULL, -- studies.study_key
    contrast       VARCHAR,          -- the source's contrast, table or experiment label
    x              DOUBLE NOT NULL,  -- MNI152 mm: Talairach foci moved with Lancaster's
    y              DOUBLE NOT NULL,  --   icbm_other transform; UNKNOWN-space foci kept as
    z              DOUBLE NOT NULL,  --   reported (never relabelled silently)
    orig_x         DOUBLE NOT NULL,  -- mm, as reported, in orig_space
    orig_y         DOUBLE NOT NULL,
    orig_z         DOUBLE NOT NULL,
    orig_space     VARCHAR NOT NULL CHECK (orig_space IN ('MNI', 'TAL', 'UNKNOWN')),
    reported_space VARCHAR,          -- the source's own space label ('Talairach', 'OTHER', ...)
    source         VARCHAR NOT NULL, -- the source this row was kept from
    cell           BIGINT NOT NULL,  -- c2r_cell_key(x, y, z, study_grid.cell_mm)
    implausible    BOOLEAN NOT NULL  -- outside the MNI152 field of view: |x| > 91 or y outside
                                     --   -126..91 or z outside -72..109 mm (kept, flagged)
);

-- name: create_study_grid
-- The grid behind foci.cell: cubes of cell_mm (MNI mm) and the range of cell indices that
-- hold foci on each axis (NULL when there are none). One row.
CREATE TABLE study_grid (
    cell_mm DOUBLE NOT NULL,
    min_i BIGINT, max_i BIGINT,
    min_j BIGINT, max_j BIGINT,
    min_k BIGINT, max_k BIGINT
);

-- name: create_study_sources
-- Every study source the build read, in load order, with what it contributed.
CREATE TABLE study_sources (
    source      VARCHAR PRIMARY KEY,
    load_order  INTEGER NOT NULL,
    format      VARCHAR NOT NULL,   -- neurostore | nimare_json | sleuth | neurosynth | neuroquery
    location    VARCHAR NOT NULL,   -- file or folder (relative to its package for shipped sets)
    description VARCHAR NOT NULL,
    n_studies   INTEGER NOT NULL,   -- studies whose sources list it
    n_foci_read INTEGER NOT NULL,   -- focus rows in its files
    n_foci      INTEGER NOT NULL    -- rows of foci kept from it (after dropping duplicates)
);
