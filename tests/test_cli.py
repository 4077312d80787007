"""The c2r-db command line: outputs in every format, and one test per bad input (exit code 2,
no traceback, the file/line/value or the choices named, no output file left behind)."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from c2r_db.cli import cli

EXAMPLE = "data/example_peaks.csv"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_query_example_table(run_cli):
    result = run_cli("query", EXAMPLE, "--atlas", "aal3", "--atlas", "harvard_oxford")
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert len(rows) == 10
    assert list(rows[0]) == ["peak", "x", "y", "z", "aal3", "aal3_mm", "harvard_oxford",
                             "harvard_oxford_mm"]
    assert rows[5]["aal3"] == "Insula_L" and rows[9]["harvard_oxford"] == "Left_Pallidum"
    # Peak 1 (30, -68, -30) is in the cerebellum, which Harvard-Oxford does not cover.
    assert rows[0]["harvard_oxford"] == "" and rows[0]["aal3"] == "Cerebellum_Crus1_R"


def test_query_all_atlases_by_default(run_cli, db):
    result = run_cli("query", "--coord", "-42,22,8")
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split(",")
    assert header == ["x", "y", "z"] + [c for a in db.atlas_names() for c in (a, f"{a}_mm")]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson", "parquet"])
def test_output_formats_round_trip(run_cli, tmp_path, fmt):
    out = tmp_path / f"labels.{fmt}"
    result = run_cli("query", EXAMPLE, "--atlas", "aal3", "--long", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    if fmt == "parquet":
        rows = pq.read_table(out).to_pylist()
    elif fmt == "json":
        rows = json.loads(out.read_text())
    elif fmt == "ndjson":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        rows = list(csv.DictReader(out.open(), delimiter="\t" if fmt == "tsv" else ","))
    assert len(rows) == 10
    assert {"peak", "atlas", "region_id", "region", "hemisphere", "distance_mm",
            "probability"} <= set(rows[0])
    assert rows[5]["region"] == "Insula_L"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_json_to_stdout_is_an_array(run_cli):
    result = run_cli("query", "--coord", "-42,22,8", "--coord", "0,0,90", "--atlas", "aal2",
                     "--format", "json")
    data = json.loads(result.stdout)
    assert [row["aal2"] for row in data] == ["Frontal_Inf_Tri_L", None]


def test_stdin_bom_and_crlf(run_cli):
    text = "\ufeffX,Y,Z,note\r\n-42,22,8,first\r\n\r\n 30 ,-68,-30,second\r\n"
    result = run_cli("query", "-", "--atlas", "aal3", input=text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert [r["note"] for r in rows] == ["first", "second"]
    assert rows[1]["aal3"] == "Cerebellum_Crus1_R"


def test_far_outside_coordinates_get_empty_labels(run_cli):
    result = run_cli("query", "--coord", "500,-500,500", "--atlas", "aal3", "--max-distance", "30")
    assert result.exit_code == 0
    assert _rows(result.stdout) == [{"x": "500.0", "y": "-500.0", "z": "500.0", "aal3": "",
                                     "aal3_mm": ""}]


def test_talairach_space_keeps_original(run_cli):
    result = run_cli("query", "--coord", "-40,20,10", "--space", "tal", "--atlas", "aal3")
    row = _rows(result.stdout)[0]
    assert row["x"] == "-40.0" and float(row["x_mni"]) != -40.0


def test_atlases_and_regions(run_cli):
    atlases = _rows(run_cli("atlases").stdout)
    assert len(atlases) == 13 and atlases[0]["atlas"] == "aal"
    regions = _rows(run_cli("regions", "aal3").stdout)
    assert len(regions) == 170 and regions[0]["name"] == "Precentral_L"


def test_sql_reads_and_uses_macros(run_cli):
    result = run_cli("sql", f"SELECT peak, region FROM c2r_label('{EXAMPLE}', 'aal3') "
                     "ORDER BY peak LIMIT 2")
    assert result.exit_code == 0, result.output
    assert _rows(result.stdout) == [{"peak": "1", "region": "Cerebellum_Crus1_R"},
                                    {"peak": "2", "region": "Occipital_Mid_L"}]


# --- bad input: one test each -------------------------------------------------------------

def _fails(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def test_missing_columns(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y,q\n1,2,3\n")
    _fails(run_cli("query", path), str(path), "column 'z' missing", "found: x, y, q")


def test_empty_file_and_header_only(run_cli, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _fails(run_cli("query", empty), str(empty), "empty")
    header = tmp_path / "header.csv"
    header.write_text("x,y,z\n")
    _fails(run_cli("query", header), str(header), "no rows")


@pytest.mark.parametrize("value, reason", [("abc", "not a number"), ("nan", "not a finite"),
                                           ("-inf", "not a finite"), ("", "missing value")])
def test_bad_values_name_line_and_value(run_cli, tmp_path, value, reason):
    path = tmp_path / "p.csv"
    path.write_text(f"x,y,z\n1,2,3\n\n4,{value},6\n")
    _fails(run_cli("query", path), f"{path}, line 4, column 'y'", reason)
    if value:
        assert repr(value) in run_cli("query", path).output


def test_ragged_row(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y,z\n1,2,3\n4,5\n")
    _fails(run_cli("query", path), str(path), "line 3", "expected 3 fields, got 2")


def test_bad_parquet_value_names_row(run_cli, tmp_path):
    import pyarrow as pa

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"x": [1.0, float("nan")], "y": [2.0, 2.0], "z": [3.0, 3.0]}), path)
    _fails(run_cli("query", path), str(path), "row 2", "column 'x'")


def test_binary_file(run_cli, tmp_path):
    path = tmp_path / "peaks.csv"
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03binary")
    _fails(run_cli("query", path), str(path), "binary")


def test_unknown_atlas_lists_choices(run_cli):
    _fails(run_cli("query", "--coord", "0,0,0", "--atlas", "aal4"), "unknown atlas 'aal4'",
           "aal3", "harvard_oxford")
    _fails(run_cli("regions", "nope"), "unknown atlas 'nope'")


def test_unknown_space(run_cli):
    _fails(run_cli("query", "--coord", "0,0,0", "--space", "native"), "'mni'", "'tal'")


@pytest.mark.parametrize("value", ["-1", "nan", "abc"])
def test_bad_max_distance(run_cli, value):
    _fails(run_cli("query", "--coord", "0,0,0", "--max-distance", value), "max-distance")


def test_bad_coord_option(run_cli):
    _fails(run_cli("query", "--coord", "1,2"), "X,Y,Z", "'1,2'")


def test_db_that_is_not_duckdb(tmp_path):
    fake = tmp_path / "fake.duckdb"
    fake.write_text("hello")
    result = CliRunner().invoke(cli, ["query", "--coord", "0,0,0", "--db", str(fake)])
    _fails(result, str(fake), "not a DuckDB database")
    missing = tmp_path / "none.duckdb"
    result = CliRunner().invoke(cli, ["atlases", "--db", str(missing)])
    _fails(result, "database not found", "c2r-db build")


def test_output_folder_missing(run_cli, tmp_path):
    out = tmp_path / "no" / "such" / "out.csv"
    _fails(run_cli("query", EXAMPLE, "--out", out), "output folder does not exist")
    assert not (tmp_path / "no").exists()


def test_failed_query_leaves_no_output(run_cli, tmp_path):
    out = tmp_path / "out.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,z\n1,2,zz\n")
    _fails(run_cli("query", bad, "--out", out), "'zz'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_input_and_coord_together(run_cli):
    _fails(run_cli("query", EXAMPLE, "--coord", "0,0,0"), "not both")
    _fails(run_cli("query"), "INPUT")


def test_column_clash(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y,z,aal3\n1,2,3,mine\n")
    _fails(run_cli("query", path, "--atlas", "aal3"), "aal3", "clash")


@pytest.mark.parametrize("statement", [
    "CREATE TABLE t AS SELECT 1", "INSERT INTO atlases SELECT * FROM atlases",
    "COPY atlases TO 'x.csv'", "ATTACH 'other.duckdb' AS o", "SET threads = 1",
    "SELECT 1; DROP TABLE atlases", "SELECT 1 INTO t", "INSTALL httpfs",
])
def test_sql_refuses_writes(run_cli, statement):
    _fails(run_cli("sql", statement), "refusing")


def test_sql_errors_are_clean(run_cli):
    _fails(run_cli("sql", "SELECT * FROM no_such_table"), "no_such_table")
    _fails(run_cli("sql", "SELEC 1"), "cannot parse")
