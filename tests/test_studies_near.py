"""Radius-study answers (grid-cell join in SQL) equal an exhaustive numpy search over the built
database's foci: random peaks, peaks exactly at foci, foci exactly on the sphere, cell
boundaries, radius 0, non-integer and very large radii; the stored macros answer plain DuckDB
SQL the same way; UNKNOWN-space foci only count when asked."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from nimare.utils import tal2mni

from c2r_db.database import Database
from c2r_db.studies import studies_near

from reference import ON_SPHERE, brute_force_studies, cell_key, ordered_ids

RADII = [0.0, 2.5, 3.0, 4.5, 6.0, 7.0, 10.25]


@pytest.fixture(scope="module")
def foci(shipped_db):
    """Every focus of the built database: study_id, MNI x, y, z, original space."""
    with Database(shipped_db) as db:
        return db.con.sql("SELECT study_id, x, y, z, orig_space FROM foci").to_arrow_table()


def _xyz(table):
    return np.column_stack([table.column(a).to_numpy() for a in "xyz"])


def _peaks(foci, radius, seed):
    """Random peaks in the brain box, peaks at foci, and peaks whose sphere passes exactly
    through a whole-mm focus (some of them on grid-cell boundaries)."""
    rng = np.random.default_rng(seed)
    xyz = _xyz(foci)
    random = rng.uniform([-75, -110, -60], [75, 75, 85], size=(300, 3))
    at_focus = xyz[rng.choice(len(xyz), 60, replace=False)]
    whole = xyz[np.all(xyz == np.round(xyz), axis=1)]
    chosen = whole[rng.choice(len(whole), 40, replace=False)]
    on_sphere = np.array([f + np.array(o) for f in chosen for o in ON_SPHERE.get(radius, [])])
    return np.vstack([random, at_focus, on_sphere.reshape(-1, 3)]), chosen


def _known(foci, unknown_as_mni):
    keep = np.ones(foci.num_rows, bool) if unknown_as_mni else \
        foci.column("orig_space").to_numpy(zero_copy_only=False) != "UNKNOWN"
    return _xyz(foci)[keep], foci.column("study_id").to_numpy(zero_copy_only=False)[keep]


@pytest.mark.parametrize("unknown_as_mni", [False, True], ids=["known-space", "unknown-as-mni"])
@pytest.mark.parametrize("radius", RADII)
def test_counts_equal_brute_force(db, foci, radius, unknown_as_mni):
    peaks, _ = _peaks(foci, radius, seed=int(radius * 4) + unknown_as_mni)
    xyz, study = _known(foci, unknown_as_mni)
    expected = brute_force_studies(xyz, study, peaks, radius)
    got = studies_near(db, peaks, radius, unknown_space_as_mni=unknown_as_mni)
    assert got.column_names == ["x", "y", "z", "n_studies", "n_foci", "study_ids"]
    assert got.column("study_ids").to_pylist() == [ordered_ids(e) for e in expected]
    assert got.column("n_studies").to_pylist() == [len(e) for e in expected]
    assert got.column("n_foci").to_pylist() == [sum(n for _, n in e.values()) for e in expected]
    assert sum(len(e) > 0 for e in expected) > 40, "the sample must find studies"


@pytest.mark.parametrize("radius", sorted(ON_SPHERE))
def test_foci_exactly_on_the_sphere_count(db, foci, radius):
    peaks, chosen = _peaks(foci, radius, seed=3)
    offsets = ON_SPHERE[radius]
    on_sphere = peaks[-len(chosen) * len(offsets):]
    focus_study = {tuple(p): s for p, s in zip(_xyz(foci), foci.column("study_id").to_pylist())}
    space = {tuple(p): s for p, s in zip(_xyz(foci), foci.column("orig_space").to_pylist())}
    got = studies_near(db, on_sphere, radius, unknown_space_as_mni=True, long=True)
    pairs = {(tuple(p), s, d) for p, s, d in zip(_xyz(got), got.column("study_id").to_pylist(),
                                                 got.column("distance_mm").to_pylist())}
    for i, focus in enumerate(chosen):
        for j in range(len(offsets)):
            peak = tuple(on_sphere[i * len(offsets) + j])
            study = focus_study[tuple(focus)]
            nearest = [d for p, s, d in pairs if p == peak and s == study]
            assert nearest and nearest[0] <= radius, (peak, study, space[tuple(focus)])


def test_radius_zero_finds_exact_positions_only(db, foci):
    xyz = _xyz(foci)
    known = foci.column("orig_space").to_numpy(zero_copy_only=False) != "UNKNOWN"
    at = xyz[np.flatnonzero(known)[:25]]
    got = studies_near(db, np.vstack([at, at + 1e-9]), 0)
    assert all(n >= 1 for n in got.column("n_foci").to_pylist()[:25])
    assert got.column("n_foci").to_pylist()[25:] == [0] * 25


def test_long_form_equals_brute_force(db, foci):
    peaks, _ = _peaks(foci, 6.0, seed=11)
    xyz, study = _known(foci, False)
    expected = brute_force_studies(xyz, study, peaks, 6.0)
    got = studies_near(db, pa.table({"peak": np.arange(len(peaks)), "x": peaks[:, 0],
                                     "y": peaks[:, 1], "z": peaks[:, 2]}), 6.0, long=True)
    assert got.column_names[:4] == ["peak", "x", "y", "z"]
    rows = list(zip(got.column("peak").to_pylist(), got.column("study_id").to_pylist(),
                    got.column("distance_mm").to_pylist(), got.column("n_foci").to_pylist()))
    want = [(i, s, e[s][0], e[s][1]) for i, e in enumerate(expected) for s in ordered_ids(e)]
    assert rows == want
    citations = db.con.sql("SELECT study_id, pmid, title, year FROM studies").fetchall()
    by_id = {c[0]: c[1:] for c in citations}
    for study_id, pmid, title, year in zip(*(got.column(c).to_pylist()
                                             for c in ("study_id", "pmid", "title", "year"))):
        assert (pmid, title, year) == by_id[study_id]


def test_talairach_input_is_searched_in_mni(db):
    tal = np.array([[-40.0, 20.0, 10.0], [30.0, -66.0, -24.0], [2.0, 14.0, 46.0]])
    got = studies_near(db, tal, 6.0, space="tal")
    direct = studies_near(db, tal2mni(tal), 6.0)
    assert got.column_names == ["x", "y", "z", "x_mni", "y_mni", "z_mni", "n_studies",
                                "n_foci", "study_ids"]
    np.testing.assert_allclose(_xyz(got), tal)
    assert got.column("study_ids").to_pylist() == direct.column("study_ids").to_pylist()
    assert sum(got.column("n_studies").to_pylist()) > 0


def test_far_away_and_huge_radius(db, foci):
    known = foci.filter(pc.not_equal(foci.column("orig_space"), "UNKNOWN"))
    got = studies_near(db, [[500.0, -500.0, 500.0], [0.0, -20.0, 10.0]], 400.0)
    everyone = len(set(known.column("study_id").to_pylist()))
    assert got.column("n_studies").to_pylist() == [0, everyone]
    assert got.column("n_foci")[1].as_py() == known.num_rows
    far = studies_near(db, [[5e7, 0.0, 0.0]], 10.0)
    assert far.column("study_ids").to_pylist() == [[]]


def test_cells_match_reference(db, foci):
    cell_mm, *ranges = db.con.sql("SELECT * FROM study_grid").fetchall()[0]
    stored = db.con.sql("SELECT x, y, z, cell FROM foci").to_arrow_table()
    xyz = _xyz(stored)
    assert stored.column("cell").to_pylist() == cell_key(xyz, cell_mm)
    indices = np.floor(xyz / cell_mm).astype(int)
    assert ranges == [v for axis in range(3)
                      for v in (indices[:, axis].min(), indices[:, axis].max())]


def test_macros_answer_plain_duckdb(shipped_db, db, tmp_path):
    peaks = np.random.default_rng(4).uniform([-70, -100, -50], [70, 70, 80], size=(200, 3))
    path = tmp_path / "peaks.parquet"
    pq.write_table(pa.table({"peak": np.arange(200), "x": peaks[:, 0], "y": peaks[:, 1],
                             "z": peaks[:, 2]}), path)
    con = duckdb.connect(str(shipped_db), read_only=True)
    counts = con.sql(f"SELECT peak, n_studies, n_foci, study_ids FROM "
                     f"c2r_study_counts('{path}', 7.5) ORDER BY peak").to_arrow_table()
    near = con.sql(f"SELECT peak, study_id, distance_mm FROM c2r_studies_near('{path}', 7.5, "
                   f"unknown_space_as_mni := true) ORDER BY peak, distance_mm, study_id")
    near = near.to_arrow_table()
    foci_rows = con.sql(f"SELECT peak, study_id FROM c2r_foci_near('{path}', 7.5)").fetchall()
    con.close()
    library = studies_near(db, peaks, 7.5)
    assert counts.column("study_ids").to_pylist() == library.column("study_ids").to_pylist()
    assert counts.column("n_foci").to_pylist() == library.column("n_foci").to_pylist()
    with_unknown = studies_near(db, peaks, 7.5, unknown_space_as_mni=True, long=True)
    assert near.column("study_id").to_pylist() == with_unknown.column("study_id").to_pylist()
    # c2r_foci_near: one row per focus in reach, and one row with NULL study for the others.
    empty = {p for p, n in zip(range(200), library.column("n_foci").to_pylist()) if n == 0}
    assert {p for p, s in foci_rows if s is None} == empty
    assert sum(s is not None for _, s in foci_rows) == sum(library.column("n_foci").to_pylist())
