"""c2r-db summarize / report against a real OpenAI-compatible server on 127.0.0.1, grounded in
the real database: what the prompt carries, streaming, retries, failures, caching, secrecy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2r_db.ai.grounding import DEFAULT_RADIUS_MM
from c2r_db.cli import cli
from c2r_db.lookup import regions_at
from c2r_db.studies import studies_near

from ai_server import OpenAICompatServer, Reply
from ai_server import ai_env_fixture  # noqa: F401 - pytest fixture

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_peaks.csv"
SECRET = "sk-test-0123456789abcdefSECRET"
PEAK = "-42,22,8"


@pytest.fixture
def server():
    with OpenAICompatServer(reply="Left inferior frontal gyrus, working memory.") as running:
        yield running


def _run(shipped_db, *args, env=None):
    argv = [str(a) for a in args] + ["--db", str(shipped_db)]
    return CliRunner().invoke(cli, argv, env=env or {})


def _prompt(request):
    return "\n".join(m["content"] for m in request.body["messages"])


def test_summary_prompt_is_grounded_in_the_database(shipped_db, db, ai_env, server):
    result = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "m1", "--base-url",
                  server.base_url, "--atlas", "aal3", "--atlas", "juelich")
    assert result.exit_code == 0, result.output
    assert "Left inferior frontal gyrus, working memory." in result.stdout
    assert "== row 1: (-42, 22, 8)" in result.stdout
    prompt = _prompt(server.requests[-1])
    assert "-42" in prompt and "22" in prompt and "8" in prompt
    labels = regions_at(db, [[-42, 22, 8]], ["aal3", "juelich"], long=True)
    for region in labels.column("region").to_pylist():
        assert region in prompt
    nearby = studies_near(db, [[-42, 22, 8]], DEFAULT_RADIUS_MM, long=True)
    titles = nearby.column("title").to_pylist()
    assert titles and all(title in prompt for title in titles[:5])
    assert server.requests[-1].body["model"] == "m1"


def test_no_studies_means_the_prompt_says_so(shipped_db, ai_env, server):
    result = _run(shipped_db, "summarize", "--coord", "0,0,95", "--model", "m1", "--base-url",
                  server.base_url, "--atlas", "aal3")
    assert result.exit_code == 0, result.output
    assert "0 studies within 6 mm" in result.stdout
    assert "No studies were found within the 6 mm search radius" in _prompt(server.requests[-1])


def test_stream_prints_chunks_in_order(shipped_db, ai_env):
    chunks = ["First ", "second ", "third."]
    with OpenAICompatServer(reply="unused", chunks=chunks) as server:
        result = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "m1", "--base-url",
                      server.base_url, "--atlas", "aal3", "--stream")
    assert result.exit_code == 0, result.output
    assert "First second third." in result.stdout
    assert server.requests[-1].body["stream"] is True


def test_table_output_and_cache(shipped_db, ai_env, server, tmp_path):
    out = tmp_path / "summaries.json"
    args = ["summarize", EXAMPLE, "--model", "m1", "--base-url", server.base_url,
            "--atlas", "aal3", "--out", out]
    first = _run(shipped_db, *args)
    assert first.exit_code == 0, first.output
    rows = json.loads(out.read_text())
    assert len(rows) == 10 and {"peak", "x", "summary"} <= set(rows[0])
    assert server.count("/chat/completions") == 10
    again = _run(shipped_db, *args)
    assert again.exit_code == 0 and server.count("/chat/completions") == 10  # all cached
    fresh = _run(shipped_db, *args, "--no-cache")
    assert fresh.exit_code == 0 and server.count("/chat/completions") == 20


def test_two_server_errors_then_success(shipped_db, ai_env, server):
    server.script(Reply(500), Reply(503))
    result = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "m1", "--base-url",
                  server.base_url, "--atlas", "aal3")
    assert result.exit_code == 0, result.output
    assert server.count("/chat/completions") == 3


def test_persistent_failure_is_one_clean_error(shipped_db, ai_env, server):
    server.fail_always(503)
    result = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "m1", "--base-url",
                  server.base_url, "--atlas", "aal3")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "503" in result.output
    assert server.count("/chat/completions") == 3


def test_key_never_leaves_the_process(shipped_db, ai_env, server, tmp_path):
    server.fail_always(401)
    env = {"OPENAI_API_KEY": SECRET}
    failed = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "gpt-4o-mini",
                  "--provider", "openai", "--base-url", server.base_url, env=env)
    server.stop_failing()
    out = tmp_path / "report.csv"
    done = _run(shipped_db, "report", "--coord", PEAK, "--model", "gpt-4o-mini", "--provider",
                "openai", "--base-url", server.base_url, "--atlas", "aal3", "--out", out, env=env)
    assert failed.exit_code == 1 and done.exit_code == 0, done.output
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    for text in (failed.output, done.output, out.read_text(), ai_env.read_bytes().decode("latin-1")):
        assert SECRET not in text


def test_report_flags_pmids_outside_the_evidence(shipped_db, db, ai_env, tmp_path):
    nearby = studies_near(db, [[-42, 22, 8]], DEFAULT_RADIUS_MM, long=True)
    known = next(p for p in nearby.column("pmid").to_pylist() if p)
    answer = (f"Evidence from PMID {known} and PMID 99999999.\n```json\n" + json.dumps({
        "region": {"label": "Frontal_Inf_Tri_L", "atlas": "aal3", "confidence": "medium"},
        "hemisphere": "left", "functions": [], "cited_pmids": [known, "99999999"],
        "caveats": [], "insufficient_evidence": []}) + "\n```")
    out = tmp_path / "report.json"
    with OpenAICompatServer(reply=answer) as server:
        result = _run(shipped_db, "report", "--coord", PEAK, "--model", "m1", "--base-url",
                      server.base_url, "--atlas", "aal3", "--out", out)
        prompt = _prompt(server.requests[-1])
    assert result.exit_code == 0, result.output
    assert "99999999" in result.stderr
    row = json.loads(out.read_text())[0]
    assert row["unknown_pmids"] == ["99999999"] and "99999999" in row["json_error"]
    assert known in prompt and "99999999" not in prompt


@pytest.mark.parametrize("args, fragment", [
    (["--provider", "nosuch"], "nosuch"),
    (["--stream", "--format", "json"], "--stream"),
    (["--radius", "-1"], "radius"),
])
def test_bad_options_exit_2(shipped_db, ai_env, server, args, fragment):
    result = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "m1", "--base-url",
                  server.base_url, *args)
    assert result.exit_code == 2 and fragment in result.output
    assert "Traceback" not in result.output


def test_model_without_provider_exit_2(shipped_db, ai_env):
    result = _run(shipped_db, "summarize", "--coord", PEAK, "--model", "m1")
    assert result.exit_code == 2 and "--provider" in result.output


def test_default_radius_matches_grounding():
    from c2r_db import cli_ai

    assert cli_ai._DEFAULT_RADIUS_MM == DEFAULT_RADIUS_MM
