"""Shared fixtures: one real database with every shipped atlas, built once per session through
the same path a new user takes (the first query builds the default database); the small
NiMARE Datasets nimare ships, loaded once."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2r_db.cli import cli
from c2r_db.database import Database


@pytest.fixture(scope="session")
def shipped_db(tmp_path_factory) -> Path:
    """Path of a database holding all 13 shipped atlases, built by a first query."""
    cache = tmp_path_factory.mktemp("cache")
    env = {"XDG_CACHE_HOME": str(cache), "C2R_DB": ""}
    result = CliRunner().invoke(cli, ["query", "--coord", "-42,22,8"], env=env)
    assert result.exit_code == 0, result.output
    path = cache / "c2r-db" / "c2r.duckdb"
    assert path.is_file()
    assert "building it now" in result.stderr
    return path


@pytest.fixture(scope="session")
def nimare_sets(tmp_path_factory):
    """{"NIDM-Pain", "Neurosynth-Laird", "Neurosynth-Sample"}: NiMARE Datasets, by
    c2r_db.fetch_datasets (tests must not change them)."""
    from c2r_db import fetch_datasets

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*nimare.dataset.Dataset is deprecated")
        return fetch_datasets(str(tmp_path_factory.mktemp("datasets")),
                              sources=["nidm_pain", "neurosynth_laird", "neurosynth_sample"])


@pytest.fixture
def db(shipped_db):
    with Database(shipped_db) as database:
        yield database


@pytest.fixture
def run_cli(shipped_db):
    """Invoke the CLI against the shipped database; returns the click Result."""

    def invoke(*args, input=None, db=True):
        argv = [str(a) for a in args]
        if db:
            argv += ["--db", str(shipped_db)]
        return CliRunner().invoke(cli, argv, input=input, env={"C2R_DB": ""})

    return invoke


@pytest.fixture(autouse=True)
def _no_user_database(monkeypatch, tmp_path):
    """Never touch the real user cache: point the default database at a temp folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("C2R_DB", raising=False)
    os.environ.pop("C2R_DB_LLM_CACHE", None)
