"""The study build: per-source study and focus counts equal what the raw files hold after the
README's merging rules (counted here from the files with polars and json, not with the
loader); Talairach foci sit at NiMARE's Lancaster positions; UNKNOWN-space foci are flagged;
studies reported by several sources are merged by PubMed id; every supported format loads;
every malformed input stops the build naming file and line and leaves the previous database."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from nimare.utils import tal2mni

from c2r_db.cli import cli
from c2r_db.database import Database
from c2r_db.studies import studies_near

NIMARE = Path(importlib.util.find_spec("nimare").submodule_search_locations[0])
NBACK = NIMARE / "resources" / "nback_vs_flanker_studyset_2026-07"
LAIRD = NIMARE / "resources" / "neurosynth_laird_studies.json"
PAIN = NIMARE / "resources" / "nidm_pain_dset.json"
SAMPLE = str(NIMARE / "tests" / "data" / "data-neurosynth_version-7_{}.tsv.gz")


# --- expectations from the raw files ---------------------------------------------------------

def _expected(frame: pl.DataFrame) -> dict:
    """Counts after the README rules, from rows (study, space, x, y, z) of one source.

    A focus is a duplicate of another in the same study at the same MNI position. Talairach
    foci move (so they can only equal other Talairach foci at the same reported position);
    all others keep their reported position. Among duplicates a known space wins over UNKNOWN.
    """
    space = pl.col("space").fill_null("").str.strip_chars().str.to_uppercase()
    frame = frame.with_columns(
        moved=space.str.starts_with("TAL"),
        known=space.str.starts_with("TAL") | space.str.starts_with("MNI")
        | space.str.starts_with("ICBM"),
        x=pl.col("x") + 0.0, y=pl.col("y") + 0.0, z=pl.col("z") + 0.0,
    )
    kept = frame.group_by(["study", "moved", "x", "y", "z"]).agg(pl.col("known").any())
    return {"rows": frame.height, "studies": frame["study"].n_unique(), "foci": kept.height,
            "unknown": kept.filter(~pl.col("known")).height}


def _nback() -> dict:
    slugs = pl.read_parquet(NBACK / "metadata.parquet", columns=["study_id", "slug"])
    pmids = (slugs.drop_nulls("slug").unique("study_id")
             .select("study_id", pmid=pl.col("slug").str.extract(r"^(\d{6,9})(?:-|$)", 1)))
    coords = pl.read_parquet(NBACK / "coordinates.parquet").join(pmids, on="study_id",
                                                                 how="left")
    study = pl.coalesce("pmid", pl.lit("nback_flanker:") + pl.col("study_id"))
    return _expected(coords.select(study=study, space="space", x="x", y="y", z="z"))


def _nimare_json(path: Path, source: str) -> dict:
    rows = []
    for key, study in json.loads(path.read_text()).items():
        ident = key if key.isdigit() else f"{source}:{key}"
        for contrast in study["contrasts"].values():
            coords = contrast.get("coords") or {}
            for x, y, z in zip(coords.get("x", []), coords.get("y", []), coords.get("z", [])):
                rows.append((ident, coords.get("space"), float(x), float(y), float(z)))
    return _expected(pl.DataFrame(rows, schema=["study", "space", "x", "y", "z"], orient="row"))


def _neurosynth_sample() -> dict:
    coords = pl.read_csv(SAMPLE.format("coordinates"), separator="\t",
                         schema_overrides={"id": pl.String})
    meta = pl.read_csv(SAMPLE.format("metadata"), separator="\t",
                       schema_overrides={"id": pl.String})
    rows = coords.join(meta.select("id", "space"), on="id", how="left")
    return _expected(rows.select(study="id", space="space", x="x", y="y", z="z"))


SHIPPED = {
    "nback_flanker": _nback,
    "neurosynth_laird": lambda: _nimare_json(LAIRD, "neurosynth_laird"),
    "nidm_pain": lambda: _nimare_json(PAIN, "nidm_pain"),
    "neurosynth_sample": _neurosynth_sample,
}


def test_shipped_sources_share_no_study():
    """So each shipped source's counts can be checked on its own."""
    ids = {}
    ids["nback_flanker"] = set(
        pl.read_parquet(NBACK / "metadata.parquet", columns=["slug"])["slug"].drop_nulls()
        .str.extract(r"^(\d{6,9})(?:-|$)", 1).drop_nulls())
    ids["neurosynth_laird"] = set(json.loads(LAIRD.read_text()))
    ids["neurosynth_sample"] = set(pl.read_csv(SAMPLE.format("metadata"), separator="\t",
                                               schema_overrides={"id": pl.String})["id"])
    names = list(ids)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not ids[a] & ids[b], (a, b)


@pytest.mark.parametrize("source", list(SHIPPED))
def test_shipped_counts_equal_raw_files(db, source):
    expected = SHIPPED[source]()
    studies = db.con.sql("SELECT count(*) FROM studies WHERE list_contains(sources, $s)",
                         params={"s": source}).fetchall()[0][0]
    foci, unknown = db.con.sql(
        "SELECT count(*), count(*) FILTER (WHERE orig_space = 'UNKNOWN') FROM foci "
        "WHERE source = $s", params={"s": source}).fetchall()[0]
    assert (studies, foci, unknown) == (expected["studies"], expected["foci"],
                                        expected["unknown"])
    row = db.con.sql("SELECT n_studies, n_foci_read, n_foci FROM study_sources WHERE source = $s",
                     params={"s": source}).fetchall()[0]
    assert row == (expected["studies"], expected["rows"], expected["foci"])
    assert expected["rows"] > expected["foci"] or source == "nidm_pain"


def test_issue_figures(db):
    """The shipped sets as the issue describes them."""
    counts = dict(db.con.sql("SELECT source, n_studies FROM study_sources").fetchall())
    assert counts == {"nback_flanker": 320, "neurosynth_laird": 17, "nidm_pain": 21,
                      "neurosynth_sample": 20}
    read = dict(db.con.sql("SELECT source, n_foci_read FROM study_sources").fetchall())
    assert read["nback_flanker"] == 9492 and read["neurosynth_laird"] == 1117
    laird = db.con.sql("SELECT orig_space, count(DISTINCT study_id) FROM foci "
                       "WHERE source = 'neurosynth_laird' GROUP BY ALL").fetchall()
    assert dict(laird) == {"MNI": 12, "TAL": 2, "UNKNOWN": 3}


def test_talairach_foci_at_lancaster_positions(db):
    laird = json.loads(LAIRD.read_text())
    tal_studies = [k for k, s in laird.items() if s["contrasts"]["1"]["coords"]["space"] == "TAL"]
    assert len(tal_studies) == 2
    for key in tal_studies:
        coords = laird[key]["contrasts"]["1"]["coords"]
        raw = np.unique(np.column_stack([coords[a] for a in "xyz"]).astype(float), axis=0)
        rows = db.con.sql("SELECT orig_x, orig_y, orig_z, x, y, z, orig_space FROM foci "
                          "WHERE study_id = $s ORDER BY orig_x, orig_y, orig_z",
                          params={"s": key}).fetchall()
        stored = np.array([r[:6] for r in rows])
        assert {r[6] for r in rows} == {"TAL"}
        np.testing.assert_array_equal(stored[:, :3], raw)
        np.testing.assert_allclose(stored[:, 3:], tal2mni(raw), atol=1e-9)


def test_unknown_space_flagged_and_kept_as_reported(db):
    rows = db.con.sql("SELECT reported_space, x = orig_x AND y = orig_y AND z = orig_z, count(*) "
                      "FROM foci WHERE orig_space = 'UNKNOWN' GROUP BY ALL").fetchall()
    assert {r[0] for r in rows} == {"UNKNOWN", "OTHER"}
    assert all(r[1] for r in rows)
    other = pl.read_parquet(NBACK / "coordinates.parquet").filter(pl.col("space") == "OTHER")
    assert other.height > 0
    studies = set(db.con.sql("SELECT DISTINCT study_id FROM foci WHERE reported_space = 'OTHER'")
                  .fetchall())
    assert len(studies) == other["study_id"].n_unique()


def test_implausible_flag_is_the_box(db):
    rows = np.array(db.con.sql("SELECT x, y, z, implausible FROM foci").fetchall(), dtype=float)
    x, y, z, flag = rows.T
    outside = (np.abs(x) > 91) | (y < -126) | (y > 91) | (z < -72) | (z > 109)
    np.testing.assert_array_equal(flag.astype(bool), outside)
    assert outside.sum() > 0


def test_study_fields_from_raw_files(db):
    laird = json.loads(LAIRD.read_text())["17029760"]
    row = db.con.sql("SELECT pmid, title, authors, journal, year, abstract, doi, sources FROM "
                     "studies WHERE study_id = '17029760'").fetchall()[0]
    meta = laird["metadata"]
    assert row[:5] == ("17029760", meta["title"], meta["authors"], meta["journal"], meta["year"])
    assert row[5] == laird["contrasts"]["1"]["text"]["abstract"] and row[6] is None
    assert row[7] == ["neurosynth_laird"]
    listing = pl.read_parquet(NBACK / "studies.parquet").filter(
        pl.col("study_id") == "2DMUS9MeRxqW").row(0, named=True)
    nback = db.con.sql("SELECT study_id, title, abstract, authors, journal FROM studies "
                       "WHERE title = $t", params={"t": listing["name"]}).fetchall()
    assert nback == [("16039570", listing["name"], listing["description"], listing["authors"],
                      listing["publication"])]
    sample = pl.read_csv(SAMPLE.format("metadata"), separator="\t",
                         schema_overrides={"id": pl.String}).row(0, named=True)
    got = db.con.sql("SELECT doi, year, title FROM studies WHERE study_id = $s",
                     params={"s": sample["id"]}).fetchall()[0]
    assert got == (None, sample["year"], sample["title"])  # doi "n/a" -> NULL
    pain = db.con.sql("SELECT study_id, pmid FROM studies WHERE study_id LIKE 'nidm_pain:%' "
                      "ORDER BY study_id LIMIT 1").fetchall()
    assert pain == [("nidm_pain:pain_01.nidm", None)]


def test_study_files_in_manifest(db):
    rows = db.con.sql("SELECT name, path, package, sha256, bytes FROM manifest "
                      "WHERE kind = 'study_file'").fetchall()
    assert {r[0] for r in rows} == set(SHIPPED)
    for name, path, package, sha256, size in rows:
        data = (NIMARE / path).read_bytes()
        assert package == "nimare" and len(data) == size
        assert hashlib.sha256(data).hexdigest() == sha256


def test_foci_counts_per_study_add_up(db):
    mismatched = db.con.sql("SELECT count(*) FROM studies s WHERE n_foci <> (SELECT count(*) "
                            "FROM foci f WHERE f.study_id = s.study_id)").fetchall()[0][0]
    assert mismatched == 0
    keys = db.con.sql("SELECT count(*) FROM foci f JOIN studies s USING (study_id) "
                      "WHERE f.study_key <> s.study_key").fetchall()[0][0]
    assert keys == 0


# --- user sources of every format, overlapping the shipped sets -----------------------------

def _tsv_gz(path: Path, header: str, rows) -> None:
    with gzip.open(path, "wt") as handle:
        handle.write(header + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))


LAIRD_TAL = json.loads(LAIRD.read_text())["17029760"]["contrasts"]["1"]["coords"]
SLEUTH = """// Reference = Talairach
// Doe et al., 2001: Faces > Houses
// Subjects = 12
// PubMedId = 9065511
-38\t34\t20
28   46  40

// Doe et al., 2001: Houses > Faces
// Subjects = 12
10\t-50\t8
// Roe, 2003: Rest
// Subjects=9
1 2 3
"""


@pytest.fixture(scope="module")
def user_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_studies")
    first3 = [[LAIRD_TAL[a][i] for a in "xyz"] for i in range(3)]
    mine = {
        "17029760": {"metadata": {"title": "Not the first title"},
                     "contrasts": {"a": {"coords": {"space": "TAL", "x": [p[0] for p in first3]
                                                    + [-30.0], "y": [p[1] for p in first3]
                                                    + [10.0], "z": [p[2] for p in first3]
                                                    + [50.0]}}}},
        "lab_study": {"metadata": {"pmid": "31000001", "year": "2019", "title": "Own"},
                      "contrasts": {
                          "a": {"coords": {"space": "MNI", "x": [0, 10, 10], "y": [0, 10, 10],
                                           "z": [150, 10, 10]}},
                          "b": {"coords": {"space": "MNI", "x": [10], "y": [10], "z": [10]}},
                          "c": {"coords": {"space": "UNKNOWN", "x": [20, 10], "y": [20, 10],
                                           "z": [20, 10]}}}},
        "toy": {"contrasts": {"1": {"coords": {"x": [5.5], "y": [-5.5], "z": [0]}}}},
    }
    (folder / "mine.json").write_text(json.dumps(mine, indent=2))
    (folder / "exp.txt").write_text(SLEUTH)
    synth = folder / "neurosynth"
    synth.mkdir()
    _tsv_gz(synth / "coordinates.tsv.gz", "id\ttable_id\ttable_num\tpeak_id\tx\ty\tz",
            [(17029760, 7, "1.", 1, -40, 20, 30), (40000001, 8, "1.", 2, 12, -60, 30),
             (40000001, 8, "1.", 3, 14, -60, 30), (40000002, 9, "2.", 4, -40, 20, 10)])
    _tsv_gz(synth / "metadata.tsv.gz", "id\tdoi\tspace\ttitle\tauthors\tyear\tjournal",
            [(17029760, "10.1000/laird", "MNI", "T", "A", 2006, "J"),
             (40000001, "n/a", "UNKNOWN", "Unknown space study", "B", 2010, "J"),
             (40000002, "n/a", "TAL", "Talairach study", "C", "2011.0", "J")])
    query = folder / "neuroquery"
    query.mkdir()
    _tsv_gz(query / "coordinates.tsv.gz", "id\ttable_id\ttable_name\tx\ty\tz",
            [(40000001, 1, "t1", 12, -60, 30), (40000003, 2, "t2", 1000, 0, 0)])
    _tsv_gz(query / "metadata.tsv.gz", "id\ttitle", [(40000001, "NQ"), (40000003, "Far")])
    db_path = folder / "user.duckdb"
    result = CliRunner().invoke(cli, [
        "build", "--db", str(db_path), "--no-atlases", "--neurosynth", str(synth),
        "--neuroquery", str(query), "--studies", str(folder / "mine.json"),
        "--studies", f"sleuth_set={folder / 'exp.txt'}",
        "--studies", str(NIMARE / "resources" / "neurostore_parquet_studyset")])
    assert result.exit_code == 0, result.output
    assert "0 atlases, 9 study sets" in result.output
    with Database(db_path) as db:
        yield db


def _study(db, study_id):
    return db.con.sql("SELECT * FROM studies WHERE study_id = $s",
                      params={"s": study_id}).to_arrow_table().to_pylist()[0]


def _foci(db, study_id):
    return db.con.sql("SELECT contrast, orig_x, orig_y, orig_z, orig_space, source, implausible "
                      "FROM foci WHERE study_id = $s ORDER BY orig_x, orig_y, orig_z",
                      params={"s": study_id}).fetchall()


def test_merged_by_pmid_first_source_wins(user_db):
    laird_rows = _expected(pl.DataFrame(
        [("17029760", "TAL", *p) for p in zip(*(LAIRD_TAL[a] for a in "xyz"))],
        schema=["study", "space", "x", "y", "z"], orient="row"))["foci"]
    study = _study(user_db, "17029760")
    assert study["sources"] == ["neurosynth_laird", "neurosynth", "mine"]
    assert study["title"].startswith("An analysis of functional")  # laird's, loaded first
    assert study["doi"] == "10.1000/laird"  # laird has none: the next source's
    assert study["n_foci"] == laird_rows + 2  # mine: 3 duplicates + 1 new; neurosynth: 1 new
    sources = [r[5] for r in _foci(user_db, "17029760")]
    assert sources.count("mine") == 1 and sources.count("neurosynth") == 1


def test_duplicates_within_a_study(user_db):
    study = _study(user_db, "31000001")
    assert study["sources"] == ["mine"] and study["year"] == 2019
    assert _foci(user_db, "31000001") == [
        ("a", 0.0, 0.0, 150.0, "MNI", "mine", True),
        ("a", 10.0, 10.0, 10.0, "MNI", "mine", False),
        ("c", 20.0, 20.0, 20.0, "UNKNOWN", "mine", False),
    ]
    assert _study(user_db, "mine:toy")["pmid"] is None
    assert _foci(user_db, "mine:toy") == [("1", 5.5, -5.5, 0.0, "UNKNOWN", "mine", False)]


def test_known_space_wins_over_unknown(user_db):
    # neurosynth (loaded first) reports (12, -60, 30) in UNKNOWN space, neuroquery in MNI.
    assert _study(user_db, "40000001")["sources"] == ["neurosynth", "neuroquery"]
    assert _foci(user_db, "40000001") == [
        ("1", 12.0, -60.0, 30.0, "MNI", "neuroquery", False),
        ("8", 14.0, -60.0, 30.0, "UNKNOWN", "neurosynth", False),
    ]
    assert _foci(user_db, "40000003") == [("2", 1000.0, 0.0, 0.0, "MNI", "neuroquery", True)]
    tal = user_db.con.sql("SELECT x, y, z FROM foci WHERE study_id = '40000002'").fetchall()
    np.testing.assert_allclose(tal, tal2mni(np.array([[-40.0, 20.0, 10.0]])), atol=1e-9)
    assert _study(user_db, "40000002")["year"] == 2011


def test_sleuth_experiments(user_db):
    doe = _study(user_db, "9065511")
    assert doe["sources"] == ["neurosynth_sample", "sleuth_set"]
    mine = [r for r in _foci(user_db, "9065511") if r[5] == "sleuth_set"]
    assert [(r[0], r[1:4]) for r in mine] == [
        ("Faces > Houses", (-38.0, 34.0, 20.0)), ("Houses > Faces", (10.0, -50.0, 8.0)),
        ("Faces > Houses", (28.0, 46.0, 40.0))]
    assert _foci(user_db, "sleuth_set:Roe, 2003") == [
        ("Rest", 1.0, 2.0, 3.0, "TAL", "sleuth_set", False)]


def test_neurostore_folder(user_db):
    folder = NIMARE / "resources" / "neurostore_parquet_studyset"
    raw = pl.read_parquet(folder / "coordinates.parquet")
    got = user_db.con.sql("SELECT n_studies, n_foci_read, format FROM study_sources "
                          "WHERE source = 'neurostore_parquet_studyset'").fetchall()
    assert got == [(raw["study_id"].n_unique(), raw.height, "neurostore")]


def test_studies_only_build_and_no_default_studies(user_db, tmp_path):
    assert user_db.atlas_names() == []
    target = tmp_path / "atlas_only.duckdb"
    result = CliRunner().invoke(cli, ["build", "--db", str(target), "--atlas", "aal2",
                                      "--no-default-studies"])
    assert result.exit_code == 0, result.output
    with Database(target) as db:
        assert db.con.sql("SELECT count(*) FROM foci").fetchall() == [(0,)]
        assert db.con.sql("SELECT cell_mm > 0, min_i FROM study_grid").fetchall() == [(True, None)]
        near = studies_near(db, [[0.0, 0.0, 0.0]], 6)
        assert near.column("study_ids").to_pylist() == [[]]


# --- bad input: the build stops, names file and line, keeps the previous database -----------

def _bad_neurosynth(folder: Path, coords=None, meta=None) -> Path:
    target = folder / "synth"
    target.mkdir()
    _tsv_gz(target / "coordinates.tsv.gz", "id\ttable_id\ttable_num\tpeak_id\tx\ty\tz",
            coords or [(1, 1, "1.", 1, 0, 0, 0)])
    _tsv_gz(target / "metadata.tsv.gz", "id\tdoi\tspace\ttitle\tauthors\tyear\tjournal",
            meta or [(1, "n/a", "MNI", "t", "a", 2000, "j")])
    return target


def _without_metadata(folder: Path) -> Path:
    target = _bad_neurosynth(folder)
    (target / "metadata.tsv.gz").unlink()
    return target


def _file(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text)
    return folder / name


BAD = {
    "ragged tsv row": (
        lambda f: ["--neurosynth", _bad_neurosynth(f, coords=[(1, 1, "1.", 1, 0, 0, 0),
                                                              (1, 1, "1.", 2, 0, 0)])],
        ["coordinates.tsv.gz", "line 3", "expected 7 fields, got 6"]),
    "non-numeric tsv coordinate": (
        lambda f: ["--neurosynth", _bad_neurosynth(f, coords=[(1, 1, "1.", 1, 0, 0, 0),
                                                              (1, 1, "1.", 2, 0, "abc", 0)])],
        ["coordinates.tsv.gz", "line 3", "column 'y'", "'abc'"]),
    "missing tsv id": (
        lambda f: ["--neurosynth", _bad_neurosynth(f, coords=[(1, 1, "1.", 1, 0, 0, 0),
                                                              ("", 1, "1.", 2, 0, 0, 0)])],
        ["coordinates.tsv.gz", "line 3", "column 'id'", "missing value"]),
    "bad metadata year": (
        lambda f: ["--neurosynth", _bad_neurosynth(f, meta=[(1, "n/a", "MNI", "t", "a", "20x0",
                                                             "j")])],
        ["metadata.tsv.gz", "line 2", "year", "'20x0'"]),
    "invalid json": (
        lambda f: ["--studies", _file(f, "d.json", '{\n  "s1": {\n    "contrasts": {,\n}')],
        ["d.json", "line 3", "invalid JSON"]),
    "json lengths differ": (
        lambda f: ["--studies", _file(f, "d.json", json.dumps(
            {"s1": {"contrasts": {"c": {"coords": {"x": [1], "y": [1], "z": []}}}},
             "s2": {"contrasts": {"c": {"coords": {"x": [1, 2], "y": [1], "z": [1]}}}}},
            indent=1))],
        ["d.json", "line 4", "'s1'", "coords x, y, z have 1, 1, 0 values"]),  # contrast c
    "json non-number": (
        lambda f: ["--studies", _file(f, "d.json", json.dumps(
            {"s1": {"contrasts": {"c": {"coords": {"x": ["a"], "y": [1], "z": [1]}}}}}))],
        ["d.json", "line 1", "coords.x[0] is not a finite number"]),
    "sleuth bad focus": (
        lambda f: ["--studies", _file(f, "s.txt", "// Reference = MNI\n// A, 2000: B\n"
                                                  "1 2 3\n4 5\n")],
        ["s.txt", "line 4", "expected a focus 'x y z' (3 numbers), got 2 fields"]),
    "sleuth unknown reference": (
        lambda f: ["--studies", _file(f, "s.txt", "// Reference = Dog\n// A: B\n1 2 3\n")],
        ["s.txt", "line 1", "unknown reference space", "'Dog'"]),
    "sleuth focus before name": (
        lambda f: ["--studies", _file(f, "s.txt", "// Reference = MNI\n1 2 3\n")],
        ["s.txt", "line 2", "experiment name"]),
    "missing neurosynth folder": (
        lambda f: ["--neurosynth", f / "nowhere"],
        ["nowhere", "folder not found"]),
    "neurosynth folder without metadata": (
        lambda f: ["--neuroquery", _without_metadata(f)],
        ["synth", "metadata.tsv.gz missing"]),
    "missing studies file": (
        lambda f: ["--studies", f / "none.json"],
        ["none.json", "file or folder not found"]),
    "unrecognised studies file": (
        lambda f: ["--studies", _file(f, "notes.txt", "x,y,z\n1,2,3\n")],
        ["notes.txt", "not a NiMARE Dataset JSON"]),
    "repeated source names": (
        lambda f: ["--studies", _file(f, "a.json", "{}"), "--studies", f"a={f / 'a.json'}"],
        ["study source names must be unique", "NAME=PATH"]),
}

@pytest.mark.parametrize("case", list(BAD))
def test_bad_study_input_keeps_previous_database(tmp_path, case):
    make, fragments = BAD[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    target = tmp_path / "c2r.duckdb"
    target.write_bytes(b"previous database")
    args = [str(a) for a in make(inputs)]
    result = CliRunner().invoke(cli, ["build", "--db", str(target), "--force", "--no-atlases",
                                      "--no-default-studies", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert target.read_bytes() == b"previous database"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c2r.duckdb", "inputs"]


def test_not_gzip(tmp_path):
    folder = _bad_neurosynth(tmp_path)
    (folder / "coordinates.tsv.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    result = CliRunner().invoke(cli, ["build", "--db", str(tmp_path / "x.duckdb"),
                                      "--no-atlases", "--no-default-studies",
                                      "--neurosynth", str(folder)])
    assert result.exit_code == 2 and "not a readable gzip file" in result.output
    assert "coordinates.tsv.gz" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["--no-atlases", "--no-default-studies"], "nothing to build"),
    (["--no-atlases", "--atlas", "aal2"], "--no-atlases cannot be combined"),
])
def test_build_option_errors(tmp_path, args, fragment):
    result = CliRunner().invoke(cli, ["build", "--db", str(tmp_path / "x.duckdb"), *args])
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert list(tmp_path.iterdir()) == []
