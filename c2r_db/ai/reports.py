"""Reasoned reports: a short narrative plus a validated JSON summary.

The model is asked for a narrative of at most ``max_words`` words followed by
one fenced ``json`` block with this schema (:data:`REPORT_JSON_SCHEMA`)::

    {
      "region": {"label": str, "atlas": str,
                 "confidence": "high" | "medium" | "low" | "insufficient_evidence"},
      "hemisphere": "left" | "right" | "midline" | "unknown",
      "functions": [{"domain": str, "pmids": [str, ...],
                     "strength": "strong" | "moderate" | "weak"}, ...],
      "cited_pmids": [str, ...],
      "caveats": [str, ...],
      "insufficient_evidence": [str, ...]
    }

:func:`parse_reasoned_report_output` checks that shape, and that every PMID
cited (in ``cited_pmids``, in ``functions[].pmids`` or as "PMID n" in the
narrative) belongs to the studies given as evidence. PMIDs that do not are
listed in :attr:`ReasonedReport.unknown_pmids` and described in
:attr:`ReasonedReport.json_error`; they are never passed through silently.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .client import AIModelInterface
from .prompts import MAX_ABSTRACT_CHARS, study_pmid

#: System message of coord2region's reasoned reports (an API constant).
DEFAULT_SYSTEM_MESSAGE = (
    "You are a careful neuroscience assistant. You convert MNI brain coordinates into clear, "
    "evidence-grounded explanations using ONLY the data provided in the prompt (atlas labels, "
    "neighbors, and the study list).\n"
    'If something is missing or conflicting, explicitly report "insufficient_evidence" for that '
    "part--do not invent facts or citations."
)

#: The JSON document requested from the model, as shown to it.
REPORT_JSON_SCHEMA = """{
  "region": {"label": "<most likely region name>", "atlas": "<atlas the label comes from>",
             "confidence": "high | medium | low | insufficient_evidence"},
  "hemisphere": "left | right | midline | unknown",
  "functions": [{"domain": "<cognitive or functional domain>",
                 "pmids": ["<PMIDs from the study list supporting it>"],
                 "strength": "strong | moderate | weak"}],
  "cited_pmids": ["<every PMID cited in the narrative>"],
  "caveats": ["<limitations, e.g. closeness to a region boundary>"],
  "insufficient_evidence": ["<questions the evidence cannot answer>"]
}"""

_REQUIRED_KEYS = {"region": dict, "hemisphere": str, "functions": list, "cited_pmids": list}
_FENCED_JSON = re.compile(r"```(?:json)?[ \t]*\n(.*?)\n?```", re.DOTALL | re.IGNORECASE)
_NARRATIVE_PMID = re.compile(r"\bPMID\s*[:#]?\s*(\d{1,9})\b", re.IGNORECASE)


@dataclass
class ReasonedReportContext:
    """Structured payload describing the coordinate, atlas, and studies.

    Parameters
    ----------
    coordinate_mni : (3,) sequence of float
        MNI coordinate in mm.
    hemisphere : str, optional
        ``"left"``, ``"right"``, ``"midline"`` or ``"unknown"``.
    boundary_proximity_mm : float, optional
        Distance to the nearest other region, in mm.
    atlas : dict
        Per-atlas information, e.g. ``{"aal": {"label": ..., "neighbors": [...]}}``.
    atlas_notes : list of str
        Free-text remarks about the atlases.
    studies : list of dict
        Evidence: records with ``pmid``, ``title``, ``year``, ``abstract``,
        ``distance_mm``.
    allowed_domains : sequence of str, optional
        The only functional domains the model may name.
    format_instructions : list of str
        Extra output instructions appended to the prompt.
    """

    coordinate_mni: Sequence[float]
    hemisphere: str | None = None
    boundary_proximity_mm: float | None = None
    atlas: dict[str, Any] = field(default_factory=dict)
    atlas_notes: list[str] = field(default_factory=list)
    studies: list[dict[str, Any]] = field(default_factory=list)
    allowed_domains: Sequence[str] | None = None
    format_instructions: list[str] = field(default_factory=list)

    def known_pmids(self) -> set[str]:
        """Return the PMIDs of the evidence studies, as strings."""
        return {pmid for pmid in map(study_pmid, self.studies) if pmid}


@dataclass
class ReasonedReport:
    """Parsed result returned by :func:`run_reasoned_report`.

    Parameters
    ----------
    narrative : str
        Text before the JSON block.
    json_text : str, optional
        The JSON block as written by the model.
    json_data : dict, optional
        The decoded JSON object, when it decoded.
    json_error : str, optional
        Every problem found: missing or undecodable JSON, wrong shape,
        PMIDs outside the evidence, domains outside ``allowed_domains``.
    unknown_pmids : list of str
        Cited PMIDs that are not in the evidence, in order of appearance.
    """

    narrative: str
    json_text: str | None = None
    json_data: dict[str, Any] | None = None
    json_error: str | None = None
    unknown_pmids: list[str] = field(default_factory=list)


def build_reasoned_report_messages(
    context: ReasonedReportContext,
    *,
    system_message: str = DEFAULT_SYSTEM_MESSAGE,
    max_words: int = 180,
) -> list[dict[str, str]]:
    """Construct chat messages for the reasoned report prompt.

    Parameters
    ----------
    context : ReasonedReportContext
        Coordinate, atlas information and studies.
    system_message : str, optional
        System prompt guiding the assistant.
    max_words : int, optional
        Maximum narrative length requested.

    Returns
    -------
    list of dict
        A system message and a user message.
    """
    rules = [
        'Use only the evidence in the payload. Cite studies as [PMID n], and only PMIDs listed under "studies".',
        "Every PMID cited in the narrative must also appear in cited_pmids.",
        'Where the payload cannot support an answer, write "insufficient_evidence" instead of guessing.',
    ]
    if not context.studies:
        rules.append(
            "No studies were found within the search radius: say so in the narrative, and leave "
            "functions and cited_pmids empty. Do not invent studies or findings."
        )
    if context.allowed_domains is not None:
        rules.append("Name only these domains in functions: " + ", ".join(context.allowed_domains) + ".")
    rules.extend(context.format_instructions)
    user = "\n".join(
        [
            "Explain what is known about the brain location described by this evidence payload:",
            "",
            json.dumps(_payload(context), indent=2, ensure_ascii=False, default=str),
            "",
            f"Answer in two parts. First, a narrative of at most {max_words} words: where the coordinate "
            "lies according to the atlases, how close it is to a region boundary, and what the studies "
            "associate it with. Second, one fenced ```json block with exactly this schema:",
            REPORT_JSON_SCHEMA,
            "",
            "Rules:",
            *(f"- {rule}" for rule in rules),
        ]
    )
    return [{"role": "system", "content": system_message}, {"role": "user", "content": user}]


def _payload(context: ReasonedReportContext) -> dict[str, Any]:
    return {
        "coordinate_mni": [float(v) for v in context.coordinate_mni],
        "hemisphere": context.hemisphere or "unknown",
        "boundary_proximity_mm": context.boundary_proximity_mm,
        "atlas": context.atlas,
        "atlas_notes": context.atlas_notes,
        "studies": [_study_evidence(study) for study in context.studies],
    }


def _study_evidence(study: dict[str, Any]) -> dict[str, Any]:
    abstract = " ".join(str(study.get("abstract") or "").split())
    evidence = {
        "pmid": study_pmid(study),
        "title": study.get("title"),
        "year": study.get("year"),
        "distance_mm": study.get("distance_mm"),
        "abstract": abstract[:MAX_ABSTRACT_CHARS] or None,
    }
    return {key: value for key, value in evidence.items() if value is not None}


def parse_reasoned_report_output(
    output: str,
    *,
    known_pmids: Iterable[str] | None = None,
    allowed_domains: Sequence[str] | None = None,
) -> ReasonedReport:
    """Split the reasoned report narrative and JSON payload, and validate it.

    Parameters
    ----------
    output : str
        Raw text returned by the assistant.
    known_pmids : iterable of str, optional
        PMIDs of the evidence; when given, any other cited PMID is flagged.
    allowed_domains : sequence of str, optional
        When given, any other domain in ``functions`` is flagged.

    Returns
    -------
    ReasonedReport
    """
    narrative, json_text = _split_output(output)
    problems: list[str] = []
    data: dict[str, Any] | None = None
    if json_text is None:
        problems.append("no JSON block found in the output")
    else:
        try:
            decoded = json.loads(json_text)
        except json.JSONDecodeError as exc:
            problems.append(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        else:
            if isinstance(decoded, dict):
                data = decoded
                problems.extend(_shape_problems(data))
            else:
                problems.append(f"the JSON is a {type(decoded).__name__}, not an object")
    unknown: list[str] = []
    if known_pmids is not None:
        known = {str(pmid) for pmid in known_pmids}
        unknown = [pmid for pmid in _cited_pmids(narrative, data) if pmid not in known]
        if unknown:
            problems.append("cites PMIDs that are not in the provided evidence: " + ", ".join(unknown))
    if data is not None and allowed_domains is not None:
        outside = [d for d in _domains(data) if d not in set(allowed_domains)]
        if outside:
            problems.append("names domains outside allowed_domains: " + ", ".join(outside))
    return ReasonedReport(
        narrative=narrative,
        json_text=json_text,
        json_data=data,
        json_error="; ".join(problems) or None,
        unknown_pmids=unknown,
    )


def _split_output(output: str) -> tuple[str, str | None]:
    """Return (narrative, JSON text): the last fenced block, else a trailing object."""
    fenced = list(_FENCED_JSON.finditer(output))
    if fenced:
        last = fenced[-1]
        return output[: last.start()].strip(), last.group(1).strip()
    decoder = json.JSONDecoder()
    for start in (i for i, char in enumerate(output) if char == "{"):
        try:
            _, end = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            continue
        if not output[end:].strip():
            return output[:start].strip(), output[start:end]
    return output.strip(), None


def _shape_problems(data: dict[str, Any]) -> list[str]:
    problems = [
        f"'{key}' is missing or not a {kind.__name__}"
        for key, kind in _REQUIRED_KEYS.items()
        if not isinstance(data.get(key), kind)
    ]
    for index, item in enumerate(data.get("functions") or []):
        if not isinstance(item, dict) or not isinstance(item.get("domain"), str):
            problems.append(f"functions[{index}] has no 'domain' string")
        elif not isinstance(item.get("pmids", []), list):
            problems.append(f"functions[{index}].pmids is not a list")
    return problems


def _cited_pmids(narrative: str, data: dict[str, Any] | None) -> list[str]:
    """Return every PMID cited anywhere in the report, deduplicated, in order."""
    cited = list(_NARRATIVE_PMID.findall(narrative))
    if data is not None:
        if isinstance(data.get("cited_pmids"), list):
            cited.extend(str(p) for p in data["cited_pmids"])
        for item in data.get("functions") or []:
            if isinstance(item, dict) and isinstance(item.get("pmids"), list):
                cited.extend(str(p) for p in item["pmids"])
    return list(dict.fromkeys(p.strip().removeprefix("PMID").strip() for p in cited))


def _domains(data: dict[str, Any]) -> list[str]:
    return [item["domain"] for item in data.get("functions") or [] if isinstance(item, dict) and "domain" in item]


def run_reasoned_report(
    ai: AIModelInterface,
    model: str,
    context: ReasonedReportContext,
    *,
    max_tokens: int = 512,
    retries: int = 3,
    system_message: str = DEFAULT_SYSTEM_MESSAGE,
    max_words: int = 180,
    use_cache: bool = True,
) -> tuple[ReasonedReport, dict[str, Any]]:
    """Generate and parse a reasoned report, returning metadata alongside.

    Parameters
    ----------
    ai : AIModelInterface
        Client used for the request.
    model : str
        Registered model name.
    context : ReasonedReportContext
        Coordinate, atlas information and studies.
    max_tokens : int, optional
        Maximum completion length.
    retries : int, optional
        Number of attempts for the request.
    system_message : str, optional
        System prompt guiding the assistant.
    max_words : int, optional
        Maximum narrative length requested.
    use_cache : bool, optional
        Answer from, and store into, the response cache.

    Returns
    -------
    tuple of (ReasonedReport, dict)
        The validated report, and metadata: ``model``, ``provider``,
        ``max_tokens``, ``max_words``, ``n_studies``, ``elapsed_s`` and
        ``raw_output``.
    """
    messages = build_reasoned_report_messages(context, system_message=system_message, max_words=max_words)
    started = time.monotonic()
    output = ai.generate_text(model, messages, max_tokens=max_tokens, retries=retries, use_cache=use_cache)
    report = parse_reasoned_report_output(
        output, known_pmids=context.known_pmids(), allowed_domains=context.allowed_domains
    )
    metadata = {
        "model": model,
        "provider": ai.provider_name(model),
        "max_tokens": max_tokens,
        "max_words": max_words,
        "n_studies": len(context.studies),
        "elapsed_s": round(time.monotonic() - started, 3),
        "raw_output": output,
    }
    return report, metadata
