"""The query path stays light: no nilearn, nimare, openai or nibabel import, and --help does
not even import DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_peaks.csv"
HEAVY = ("nilearn", "nimare", "openai", "nibabel", "sklearn")

_PROBE = """
import json, sys
from c2r_db.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="c2r-db", standalone_mode=True)
except SystemExit as exit:
    code = exit.code
loaded = sorted(m for m in {heavy} if m in sys.modules)
print(json.dumps({{"code": code, "loaded": loaded, "duckdb": "duckdb" in sys.modules}}),
      file=sys.stderr)
"""


def _probe(*args):
    done = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_query_imports_nothing_heavy(shipped_db):
    report, stdout = _probe("query", str(EXAMPLE), "--db", str(shipped_db))
    assert report["code"] == 0 and len(stdout.splitlines()) == 11
    assert report["loaded"] == []


def test_help_imports_no_database_engine():
    report, stdout = _probe("--help")
    assert report["code"] == 0 and "query" in stdout
    assert report == {"code": 0, "loaded": [], "duckdb": False}


def test_study_commands_import_nothing_heavy(shipped_db):
    report, stdout = _probe("query", str(EXAMPLE), "--radius", "6", "--db", str(shipped_db))
    assert report["code"] == 0 and len(stdout.splitlines()) == 11
    assert report["loaded"] == []
    report, stdout = _probe("studies", str(EXAMPLE), "--radius", "6", "--db", str(shipped_db))
    assert report["code"] == 0 and len(stdout.splitlines()) > 11
    assert report["loaded"] == []
    report, _ = _probe("study", "17029760", "--db", str(shipped_db))
    assert report == {"code": 0, "loaded": [], "duckdb": True}
