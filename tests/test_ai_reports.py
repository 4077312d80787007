"""Reasoned reports: prompt contents, JSON validation, and PMIDs outside the evidence."""

from __future__ import annotations

import json

import pytest
from ai_server import (
    TEST_MODEL,
    OpenAICompatServer,
    ai_env_fixture,  # noqa: F401 - pytest fixture
    make_ai,
)

from c2r_db.ai import (
    DEFAULT_SYSTEM_MESSAGE,
    ReasonedReportContext,
    build_reasoned_report_messages,
    parse_reasoned_report_output,
    run_reasoned_report,
)

STUDIES = [
    {"pmid": "11111111", "title": "Verbal working memory and the IFG", "year": 2001, "distance_mm": 2.0},
    {"pmid": 22222222, "title": "Syntax in Broca's area", "year": 2012, "distance_mm": 4.5, "abstract": "Sentences."},
]


def _context(**changes) -> ReasonedReportContext:
    fields = {
        "coordinate_mni": (-44, 16, 22),
        "hemisphere": "left",
        "boundary_proximity_mm": 1.5,
        "atlas": {"aal": {"label": "Frontal_Inf_Oper_L", "neighbors": ["Frontal_Inf_Tri_L"]}},
        "atlas_notes": ["AAL labels are macroanatomical."],
        "studies": STUDIES,
    }
    return ReasonedReportContext(**{**fields, **changes})


def _report_json(cited: list, function_pmids: list | None = None) -> dict:
    return {
        "region": {"label": "Frontal_Inf_Oper_L", "atlas": "aal", "confidence": "high"},
        "hemisphere": "left",
        "functions": [{"domain": "language", "pmids": function_pmids or cited, "strength": "moderate"}],
        "cited_pmids": cited,
        "caveats": ["1.5 mm from a boundary"],
        "insufficient_evidence": [],
    }


def _output(narrative: str, data: dict) -> str:
    return f"{narrative}\n\n```json\n{json.dumps(data, indent=2)}\n```\n"


def test_messages_carry_the_evidence_and_the_schema():
    messages = build_reasoned_report_messages(_context(allowed_domains=["language", "memory"]), max_words=120)
    assert messages[0] == {"role": "system", "content": DEFAULT_SYSTEM_MESSAGE}
    user = messages[1]["content"]
    for expected in (
        "-44.0",
        "16.0",
        "22.0",
        "Frontal_Inf_Oper_L",
        "Frontal_Inf_Tri_L",
        "11111111",
        "22222222",
        STUDIES[0]["title"],
        "AAL labels are macroanatomical.",
        "at most 120 words",
        "cited_pmids",
        '"boundary_proximity_mm": 1.5',
        "language, memory",
    ):
        assert expected in user
    assert "No studies were found" not in user


def test_messages_without_studies_forbid_invention_and_accept_extra_instructions():
    context = _context(studies=[], format_instructions=["Write in British English."])
    user = build_reasoned_report_messages(context, system_message="custom system")[1]["content"]
    assert "No studies were found within the search radius" in user
    assert "Do not invent" in user
    assert "- Write in British English." in user
    assert build_reasoned_report_messages(context, system_message="custom system")[0]["content"] == "custom system"


def test_valid_report_parses_cleanly():
    output = _output(
        "Left pars opercularis [PMID 11111111], see also PMID: 22222222.", _report_json(["11111111", "22222222"])
    )
    report = parse_reasoned_report_output(output, known_pmids={"11111111", "22222222"})
    assert report.narrative.startswith("Left pars opercularis")
    assert report.json_data["region"]["label"] == "Frontal_Inf_Oper_L"
    assert report.json_error is None and report.unknown_pmids == []
    assert json.loads(report.json_text) == report.json_data


@pytest.mark.parametrize(
    "narrative, cited, function_pmids",
    [
        ("Text.", ["11111111", "99999999"], None),  # in cited_pmids
        ("Text.", ["11111111"], ["99999999"]),  # only in functions[].pmids
        ("Text citing [PMID 99999999].", ["11111111"], None),  # only in the narrative
    ],
)
def test_unknown_pmid_is_flagged_wherever_it_is_cited(narrative, cited, function_pmids):
    output = _output(narrative, _report_json(cited, function_pmids))
    report = parse_reasoned_report_output(output, known_pmids=["11111111", "22222222"])
    assert report.unknown_pmids == ["99999999"]
    assert "99999999" in report.json_error and "not in the provided evidence" in report.json_error
    assert report.json_data is not None  # still available for inspection


def test_without_known_pmids_nothing_is_claimed_unknown():
    report = parse_reasoned_report_output(_output("x", _report_json(["99999999"])))
    assert report.unknown_pmids == [] and report.json_error is None


def test_missing_invalid_and_misshapen_json_are_reported():
    assert parse_reasoned_report_output("Just prose.").json_error == "no JSON block found in the output"
    broken = parse_reasoned_report_output('Prose.\n```json\n{"region": {"label": "x",}\n```')
    assert broken.json_error.startswith("invalid JSON") and broken.json_data is None
    assert broken.json_text.startswith('{"region"')
    listed = parse_reasoned_report_output("Prose.\n```json\n[1, 2]\n```")
    assert "not an object" in listed.json_error
    shape = parse_reasoned_report_output('Prose.\n```json\n{"region": "x", "functions": [{"pmids": []}]}\n```')
    for problem in (
        "'region' is missing or not a dict",
        "'hemisphere'",
        "'cited_pmids'",
        "functions[0] has no 'domain'",
    ):
        assert problem in shape.json_error


def test_trailing_unfenced_json_is_found():
    data = _report_json(["11111111"])
    report = parse_reasoned_report_output("Narrative {with braces}.\n" + json.dumps(data), known_pmids=["11111111"])
    assert report.narrative == "Narrative {with braces}."
    assert report.json_data == data and report.json_error is None


def test_domains_outside_allowed_domains_are_flagged():
    report = parse_reasoned_report_output(
        _output("x", _report_json(["11111111"])), known_pmids=["11111111"], allowed_domains=["memory"]
    )
    assert "language" in report.json_error and "allowed_domains" in report.json_error


def test_run_reasoned_report_flags_invented_citation(ai_env):
    reply = _output(
        "Pars opercularis, language [PMID 11111111] and [PMID 33333333].", _report_json(["11111111", "33333333"])
    )
    with OpenAICompatServer(reply=reply) as server:
        report, meta = run_reasoned_report(make_ai(server), TEST_MODEL, _context(), max_tokens=400)
        sent = server.requests[0].body
    assert report.unknown_pmids == ["33333333"]
    assert "33333333" in report.json_error
    assert sent["max_tokens"] == 400
    assert sent["messages"] == build_reasoned_report_messages(_context())
    assert meta["provider"] == "local" and meta["model"] == TEST_MODEL
    assert meta["n_studies"] == 2 and meta["raw_output"] == reply and meta["elapsed_s"] >= 0


def test_run_reasoned_report_with_no_evidence_rejects_any_citation(ai_env):
    reply = _output("No studies were found.", {**_report_json([]), "functions": []})
    invented = _output("Known for memory [PMID 12345].", {**_report_json([]), "functions": []})
    with OpenAICompatServer(
        reply=lambda body: reply if "honest" in body["messages"][0]["content"] else invented
    ) as server:
        ai = make_ai(server)
        clean, _ = run_reasoned_report(ai, TEST_MODEL, _context(studies=[]), system_message="honest")
        flagged, _ = run_reasoned_report(ai, TEST_MODEL, _context(studies=[]))
    assert clean.json_error is None
    assert flagged.unknown_pmids == ["12345"]
