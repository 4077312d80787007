"""The study commands: `query --radius`, `studies` and `study` — exact outputs in every
format against a brute-force search, and one test per bad input (exit 2, no traceback)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from reference import brute_force_studies, ordered_ids

EXAMPLE = "data/example_peaks.csv"
RESOURCES = Path(importlib.util.find_spec("nimare").submodule_search_locations[0]) / "resources"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)


@pytest.fixture
def foci(db):
    table = db.con.sql("SELECT study_id, x, y, z, orig_space FROM foci").to_arrow_table()
    known = np.array(table.column("orig_space").to_pylist()) != "UNKNOWN"
    xyz = np.column_stack([table.column(a).to_numpy() for a in "xyz"])
    return xyz, np.array(table.column("study_id").to_pylist(), dtype=object), known


def _rows(text, delimiter=","):
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def _example_peaks():
    rows = _rows(open(EXAMPLE).read())
    return np.array([[float(r[a]) for a in "xyz"] for r in rows]), rows


def test_query_radius_adds_counts(run_cli, foci):
    xyz, study, known = foci
    peaks, rows = _example_peaks()
    expected = brute_force_studies(xyz[known], study[known], peaks, 6.0)
    result = run_cli("query", EXAMPLE, "--atlas", "aal3", "--radius", "6")
    assert result.exit_code == 0, result.output
    got = _rows(result.stdout)
    assert list(got[0]) == ["peak", "x", "y", "z", "aal3", "aal3_mm", "n_studies", "n_foci",
                            "study_ids"]
    for row, raw, found in zip(got, rows, expected):
        assert row["peak"] == raw["peak"]
        assert row["study_ids"] == ";".join(ordered_ids(found))
        assert int(row["n_studies"]) == len(found)
        assert int(row["n_foci"]) == sum(n for _, n in found.values())
    assert got[5]["aal3"] == "Insula_L"
    assert sum(int(r["n_studies"]) > 0 for r in got) == 10


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_study_ids_stay_lists(run_cli, foci, tmp_path, fmt):
    xyz, study, known = foci
    out = tmp_path / f"near.{fmt}"
    result = run_cli("query", "--coord", "-42,22,8", "--coord", "500,0,0", "--radius", "4.5",
                     "--atlas", "aal2", "--out", out)
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text()) if fmt == "json" else pq.read_table(out).to_pylist()
    expected = brute_force_studies(xyz[known], study[known], [[-42, 22, 8], [500, 0, 0]], 4.5)
    assert [r["study_ids"] for r in rows] == [ordered_ids(expected[0]), []]
    assert rows[1]["n_studies"] == 0 and rows[1]["n_foci"] == 0


def test_unknown_space_as_mni_flag(run_cli, db, foci):
    xyz, study, known = foci
    # A peak on a focus of a study reported only in UNKNOWN space.
    only_unknown = db.con.sql(
        "SELECT any_value(x), any_value(y), any_value(z), study_id FROM foci GROUP BY study_id "
        "HAVING bool_and(orig_space = 'UNKNOWN') ORDER BY study_id LIMIT 1").fetchall()[0]
    coord = ",".join(repr(v) for v in only_unknown[:3])
    default = _rows(run_cli("query", "--coord", coord, "--radius", "2", "--atlas", "aal3").stdout)
    flagged = _rows(run_cli("query", "--coord", coord, "--radius", "2", "--atlas", "aal3",
                            "--unknown-space-as-mni").stdout)
    assert only_unknown[3] not in default[0]["study_ids"].split(";")
    assert only_unknown[3] in flagged[0]["study_ids"].split(";")
    expected = brute_force_studies(xyz, study, [only_unknown[:3]], 2.0)[0]
    assert flagged[0]["study_ids"] == ";".join(ordered_ids(expected))


def test_studies_long_form(run_cli, db, foci):
    xyz, study, known = foci
    peaks, rows = _example_peaks()
    result = run_cli("studies", EXAMPLE, "--radius", "5")
    assert result.exit_code == 0, result.output
    got = _rows(result.stdout)
    assert list(got[0]) == ["peak", "x", "y", "z", "study_id", "distance_mm", "n_foci", "pmid",
                            "doi", "title", "authors", "journal", "year"]
    citations = {r[0]: r[1:] for r in db.con.sql(
        "SELECT study_id, pmid, doi, title, authors, journal, year FROM studies").fetchall()}
    expected = brute_force_studies(xyz[known], study[known], peaks, 5.0)
    want = []
    for raw, found in zip(rows, expected):
        for sid in ordered_ids(found):
            distance, count = found[sid]
            cells = ["" if v is None else str(v) for v in citations[sid]]
            want.append([raw["peak"], sid, repr(float(distance)), str(count), *cells])
    assert [[r["peak"], r["study_id"], r["distance_mm"], r["n_foci"], r["pmid"], r["doi"],
             r["title"], r["authors"], r["journal"], r["year"]] for r in got] == want


def test_studies_with_coord_and_tal_space(run_cli):
    result = run_cli("studies", "--coord", "-40,20,10", "--space", "tal", "--radius", "8",
                     "--format", "ndjson")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["x"] == -40.0 and r["x_mni"] != -40.0 for r in rows)
    assert [r["distance_mm"] for r in rows] == sorted(r["distance_mm"] for r in rows)


def test_study_shows_foci(run_cli):
    laird = json.load(open(RESOURCES / "neurosynth_laird_studies.json"))["17029760"]
    coords = laird["contrasts"]["1"]["coords"]
    raw = {(float(x), float(y), float(z)) for x, y, z in zip(coords["x"], coords["y"],
                                                             coords["z"])}
    result = run_cli("study", "17029760")
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert len(rows) == len(raw)
    assert {(float(r["orig_x"]), float(r["orig_y"]), float(r["orig_z"])) for r in rows} == raw
    assert {r["title"] for r in rows} == {laird["metadata"]["title"]}
    assert {r["orig_space"] for r in rows} == {"TAL"} and "abstract" not in rows[0]
    with_abstract = json.loads(run_cli("study", "17029760", "--abstract", "--format",
                                       "json").stdout)
    assert with_abstract[0]["abstract"] == laird["contrasts"]["1"]["text"]["abstract"]
    assert with_abstract[0]["sources"] == ["neurosynth_laird"]


def test_study_without_pmid(run_cli):
    result = run_cli("study", "nidm_pain:pain_01.nidm", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    raw = json.load(open(RESOURCES / "nidm_pain_dset.json"))["pain_01.nidm"]
    assert len(rows) == len(raw["contrasts"]["1"]["coords"]["x"])
    assert rows[0]["pmid"] is None and rows[0]["source"] == "nidm_pain"


# --- bad input -------------------------------------------------------------------------------

def _fails(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.mark.parametrize("command", ["query", "studies"])
@pytest.mark.parametrize("value, fragment", [
    ("-1", "--radius must be a finite number >= 0"),
    ("nan", "--radius must be a finite number >= 0"),
    ("inf", "--radius must be a finite number >= 0"),
    ("abc", "Invalid value for '--radius'"),
])
def test_bad_radius(run_cli, command, value, fragment):
    _fails(run_cli(command, "--coord", "0,0,0", "--radius", value), fragment)


def test_studies_needs_radius_and_input(run_cli):
    _fails(run_cli("studies", "--coord", "0,0,0"), "Missing option '--radius'")
    _fails(run_cli("studies", "--radius", "6"), "INPUT")


def test_radius_with_long_is_refused(run_cli):
    _fails(run_cli("query", "--coord", "0,0,0", "--radius", "6", "--long"), "c2r-db studies")


def test_unknown_study_lists_closest(run_cli):
    _fails(run_cli("study", "1702976"), "unknown study '1702976'", "closest ids", "17029760")


def test_study_columns_clash(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y,z,n_studies\n1,2,3,4\n")
    _fails(run_cli("query", path, "--radius", "6", "--atlas", "aal3"), "n_studies", "clash")
    path.write_text("x,y,z,title\n1,2,3,4\n")
    _fails(run_cli("studies", path, "--radius", "6"), "title", "clash")


def test_bad_peaks_file(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y,z\n1,2,3\n4,oops,6\n")
    _fails(run_cli("studies", path, "--radius", "6"), f"{path}, line 3, column 'y'", "'oops'")
