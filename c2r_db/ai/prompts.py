"""Prompt templates and the builder that fills them with a coordinate's evidence.

A template is a ``str.format`` string with two placeholders: ``{coord}``, the
MNI coordinate, and ``{studies}``, the numbered evidence list. When no study
was found, ``{studies}`` becomes an explicit statement that none was found
within the search radius, with an instruction not to invent evidence, so even a
custom template carries it. Atlas labels, when given, are prepended.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

#: Longest abstract excerpt put in a prompt, in characters.
MAX_ABSTRACT_CHARS = 800

_CITATION_RULE = (
    "Cite studies only by the PMIDs listed above, in square brackets (e.g. [PMID 12345]); "
    "never cite a study, PMID or finding that is not in the list."
)

#: Built-in prompt templates, keyed by ``prompt_type``.
LLM_PROMPT_TEMPLATES: dict[str, str] = {
    "summary": (
        "Summarise the published neuroimaging evidence about the MNI coordinate {coord} (mm).\n\n"
        "{studies}\n\n"
        "In 150-250 words, say which tasks and cognitive domains activated this location, which "
        "findings recur and where the studies disagree. " + _CITATION_RULE + " "
        "If the evidence is thin or inconsistent, say so."
    ),
    "region_name": (
        "Name the brain region at the MNI coordinate {coord} (mm).\n\n"
        "{studies}\n\n"
        "Give the most likely anatomical name (gyrus, sulcus or nucleus, with a Brodmann area if "
        "appropriate) and the hemisphere, then justify it in one or two sentences from the atlas "
        "labels and studies given. " + _CITATION_RULE
    ),
    "function": (
        "Describe the functions attributed to the region at the MNI coordinate {coord} (mm).\n\n"
        "{studies}\n\n"
        "Group the reported findings by cognitive domain (e.g. language, memory, motor control), "
        "naming for each domain the studies that support it. " + _CITATION_RULE + " "
        "Mark a domain as weakly supported when only one study reports it."
    ),
}

_REQUIRED_FIELDS = frozenset({"coord", "studies"})


def format_coordinate(coordinate: Sequence[float]) -> str:
    """Format an MNI coordinate as ``[x, y, z]`` with no spurious decimals.

    Parameters
    ----------
    coordinate : (3,) sequence of float
        MNI coordinate in mm.

    Returns
    -------
    str
    """
    if len(coordinate) != 3:
        raise ValueError(f"a coordinate has 3 values (x, y, z), got {len(coordinate)}")
    return "[" + ", ".join(f"{float(v):g}" for v in coordinate) + "]"


def study_pmid(study: Mapping[str, Any]) -> str | None:
    """Return a study's PMID as a string, or None when it has none.

    Parameters
    ----------
    study : mapping
        Study record with an optional ``pmid`` key.

    Returns
    -------
    str or None
    """
    pmid = study.get("pmid")
    if pmid is None or str(pmid).strip() in {"", "nan", "None"}:
        return None
    text = str(pmid).strip()
    return text[:-2] if text.endswith(".0") else text


def no_studies_notice(radius_mm: float | None) -> str:
    """Return the statement used in place of the study list when it is empty.

    Parameters
    ----------
    radius_mm : float or None
        Search radius, named in the statement when known.

    Returns
    -------
    str
    """
    radius = f"{radius_mm:g} mm search radius" if radius_mm is not None else "search radius"
    return (
        f"No studies were found within the {radius} of this coordinate. "
        "There is no study-level evidence: do not invent studies, PMIDs, citations or findings. "
        "Say plainly that no studies were found, and describe only what the atlas labels indicate."
    )


def format_studies(studies: Sequence[Mapping[str, Any]], radius_mm: float | None = None, max_studies: int = 25) -> str:
    """Render studies as a numbered evidence list (or the no-studies notice).

    Parameters
    ----------
    studies : sequence of mapping
        Records with keys among ``id``/``study_id``, ``pmid``, ``title``,
        ``year``, ``abstract`` and ``distance_mm``.
    radius_mm : float, optional
        Search radius used to find them.
    max_studies : int, optional
        Studies beyond this many are counted but not listed.

    Returns
    -------
    str
    """
    if not studies:
        return no_studies_notice(radius_mm)
    within = f" within {radius_mm:g} mm" if radius_mm is not None else ""
    lines = [f"Studies reporting activation foci{within} of this coordinate ({len(studies)}):"]
    for number, study in enumerate(studies[:max_studies], start=1):
        lines.extend(_study_lines(number, study))
    if len(studies) > max_studies:
        lines.append(f"({len(studies) - max_studies} further studies are not listed.)")
    return "\n".join(lines)


def _study_lines(number: int, study: Mapping[str, Any]) -> list[str]:
    pmid = study_pmid(study)
    ident = f"PMID {pmid}" if pmid else f"study {study.get('study_id') or study.get('id') or '?'}"
    facts = [ident]
    if study.get("year") not in (None, ""):
        facts.append(str(study["year"]).removesuffix(".0"))
    if study.get("distance_mm") is not None:
        facts.append(f"nearest focus {float(study['distance_mm']):.1f} mm away")
    lines = [f"[{number}] " + " | ".join(facts), f"    Title: {study.get('title') or '(no title)'}"]
    abstract = " ".join(str(study.get("abstract") or "").split())
    if abstract:
        if len(abstract) > MAX_ABSTRACT_CHARS:
            abstract = abstract[: MAX_ABSTRACT_CHARS - 3].rstrip() + "..."
        lines.append(f"    Abstract: {abstract}")
    return lines


def format_atlas_labels(atlas_labels: Mapping[str, Any]) -> str:
    """Render ``{atlas: label}`` as a bulleted section.

    Parameters
    ----------
    atlas_labels : mapping of str to str
        Region label of the coordinate in each atlas.

    Returns
    -------
    str
    """
    lines = ["Atlas labels at this coordinate:"]
    lines.extend(f"- {atlas}: {label}" for atlas, label in atlas_labels.items())
    return "\n".join(lines)


def generate_llm_prompt(
    studies: list[dict[str, Any]],
    coordinate: list[float] | tuple[float, float, float],
    prompt_type: str = "summary",
    prompt_template: str | None = None,
    *,
    atlas_labels: Mapping[str, Any] | None = None,
    radius_mm: float | None = None,
    max_studies: int = 25,
) -> str:
    """Generate a detailed prompt for language models based on studies.

    Parameters
    ----------
    studies : list of dict
        Study records describing the activation evidence (may be empty).
    coordinate : (3,) sequence of float
        MNI coordinate in mm.
    prompt_type : str, optional
        Key of :data:`LLM_PROMPT_TEMPLATES`; ignored when ``prompt_template``
        is given.
    prompt_template : str, optional
        Custom template with exactly the ``{coord}`` and ``{studies}``
        placeholders.
    atlas_labels : mapping of str to str, optional
        Region label per atlas, prepended to the prompt.
    radius_mm : float, optional
        Search radius used to find the studies, named in the prompt.
    max_studies : int, optional
        Most studies listed in full.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For an unknown ``prompt_type`` or a template with wrong placeholders.
    """
    template = prompt_template if prompt_template is not None else _builtin_template(prompt_type)
    _check_template(template)
    body = template.format(coord=format_coordinate(coordinate), studies=format_studies(studies, radius_mm, max_studies))
    if atlas_labels:
        return format_atlas_labels(atlas_labels) + "\n\n" + body
    return body


def _builtin_template(prompt_type: str) -> str:
    if prompt_type == "custom":
        raise ValueError("prompt_type 'custom' needs a template (prompt_template / custom_prompt)")
    try:
        return LLM_PROMPT_TEMPLATES[prompt_type]
    except KeyError:
        known = ", ".join(sorted(LLM_PROMPT_TEMPLATES))
        raise ValueError(
            f"unknown prompt_type {prompt_type!r}; use one of {known}, or pass a custom template"
        ) from None


def _check_template(template: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    if fields != _REQUIRED_FIELDS:
        raise ValueError(
            "a prompt template needs exactly the placeholders {coord} and {studies}; "
            f"found {sorted(fields) or 'none'}"
        )
