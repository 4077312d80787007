"""The region, membership, nearest and distance commands: each writes what its library function
returns (checked against brute force in test_regions.py and test_membership.py), and each bad
input exits with status 2 and a one-line message."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from c2r_db.membership import membership, membership_scores
from c2r_db.peaks import read_coordinates
from c2r_db.regions import nearest_regions, region_distances, region_info, region_voxels

from test_fast_start import EXAMPLE, _probe


def _parquet(run_cli, tmp_path, *args):
    out = tmp_path / "out.parquet"
    result = run_cli(*args, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return pq.read_table(out)


def _fails(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def test_region_summary_and_voxels(run_cli, db, tmp_path):
    result = run_cli("region", "aal3", "insula_l")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = region_info(db, "aal3", "Insula_L").to_pylist()
    assert len(rows) == 1 and rows[0]["region"] == expected[0]["region"]
    assert float(rows[0]["centroid_y"]) == pytest.approx(expected[0]["centroid_y"])
    assert int(rows[0]["n_voxels"]) == expected[0]["n_voxels"]
    voxels = _parquet(run_cli, tmp_path, "region", "aal3", "INSULA_L", "--voxels")
    assert voxels.equals(region_voxels(db, "aal3", "Insula_L"))


def test_region_miss_suggests(run_cli):
    _fails(run_cli("region", "aal3", "insular"), "unknown aal3 region 'insular'",
           "did you mean: Insula_R, Insula_L")
    _fails(run_cli("region", "aal4", "x"), "unknown atlas 'aal4'")


def test_membership(run_cli, db, tmp_path):
    table = read_coordinates(EXAMPLE)
    got = _parquet(run_cli, tmp_path, "membership", EXAMPLE, "--atlas", "harvard_oxford",
                   "--atlas", "juelich", "--min-prob", "0.2")
    assert got.equals(membership(db, table, ["harvard_oxford", "juelich"], min_prob=0.2))
    scores = _parquet(run_cli, tmp_path, "membership", EXAMPLE, "--atlas", "aal3",
                      "--method", "boundary", "--min-prob", "0.05")
    assert scores.equals(membership_scores(db, table, ["aal3"], method="boundary",
                                           min_score=0.05))


def test_membership_errors(run_cli):
    _fails(run_cli("membership", EXAMPLE, "--atlas", "aal3"), "'aal3' is deterministic")
    _fails(run_cli("membership", EXAMPLE, "--atlas", "juelich", "--min-prob", "2"),
           "--min-prob")
    _fails(run_cli("membership", EXAMPLE), "--atlas")
    _fails(run_cli("membership", "no_such.csv", "--atlas", "juelich"), "no_such.csv",
           "file not found")


def test_nearest_and_distance(run_cli, db, tmp_path):
    table = read_coordinates(EXAMPLE)
    got = _parquet(run_cli, tmp_path, "nearest", EXAMPLE, "--atlas", "aal2", "--k", "2",
                   "--max-distance", "12")
    assert got.equals(nearest_regions(db, table, "aal2", k=2, max_distance=12))
    got = _parquet(run_cli, tmp_path, "distance", EXAMPLE, "--atlas", "aal2", "--region",
                   "insula_r")
    assert got.equals(region_distances(db, table, "aal2", "Insula_R"))
    _fails(run_cli("nearest", EXAMPLE, "--atlas", "aal2", "--k", "0"), "--k")
    _fails(run_cli("distance", EXAMPLE, "--atlas", "aal2", "--region", "nowhere"),
           "did you mean")


def test_membership_imports_nothing_heavy(shipped_db):
    report, stdout = _probe("membership", str(EXAMPLE), "--atlas", "juelich", "--db",
                            str(shipped_db))
    assert report["code"] == 0 and stdout.startswith("peak,x,y,z,atlas,region_id")
    assert report["loaded"] == []
