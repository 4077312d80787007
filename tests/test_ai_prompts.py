"""generate_llm_prompt: the coordinate, labels and studies reach the prompt; no invented evidence."""

from __future__ import annotations

import pytest

from c2r_db.ai import LLM_PROMPT_TEMPLATES, generate_llm_prompt
from c2r_db.ai.prompts import MAX_ABSTRACT_CHARS

STUDIES = [
    {
        "study_id": "ns-101",
        "pmid": 15001234.0,
        "title": "Phonological processing in Broca's area",
        "year": 2004,
        "abstract": "We scanned twenty participants reading pseudowords. " * 40,
        "distance_mm": 2.236,
    },
    {"id": "nq-7", "title": "Cognitive control and the pars opercularis", "distance_mm": 5.0},
]
LABELS = {"aal": "Frontal_Inf_Oper_L", "harvard_oxford": "Inferior Frontal Gyrus, pars opercularis"}


def test_prompt_carries_coordinate_labels_and_studies():
    prompt = generate_llm_prompt(STUDIES, [-42, 18, 24], atlas_labels=LABELS, radius_mm=6)
    assert "[-42, 18, 24]" in prompt
    for atlas, label in LABELS.items():
        assert f"{atlas}: {label}" in prompt
    for study in STUDIES:
        assert study["title"] in prompt
    assert "PMID 15001234" in prompt  # float PMIDs from dataframes print as integers
    assert "study nq-7" in prompt  # a study without PMID is named by its id
    assert "2004" in prompt and "2.2 mm" in prompt and "within 6 mm" in prompt
    assert prompt.index("Atlas labels") < prompt.index(STUDIES[0]["title"])


def test_long_abstracts_are_trimmed():
    prompt = generate_llm_prompt(STUDIES, (-42, 18, 24))
    abstract_line = next(line for line in prompt.splitlines() if line.strip().startswith("Abstract:"))
    assert len(abstract_line.strip()) <= len("Abstract: ") + MAX_ABSTRACT_CHARS
    assert abstract_line.endswith("...")


def test_non_integer_coordinates_keep_their_decimals():
    assert "[10.5, -3.25, 0]" in generate_llm_prompt(STUDIES, (10.5, -3.25, 0.0))


@pytest.mark.parametrize("prompt_type", sorted(LLM_PROMPT_TEMPLATES))
def test_no_studies_says_so_and_forbids_invention(prompt_type):
    prompt = generate_llm_prompt([], [30, -60, 45], prompt_type=prompt_type, radius_mm=8, atlas_labels=LABELS)
    lowered = prompt.lower()
    assert "no studies were found within the 8 mm search radius" in lowered
    assert "do not invent" in lowered
    assert "[1]" not in prompt
    assert "[30, -60, 45]" in prompt


def test_no_studies_without_radius_still_names_the_search_radius():
    prompt = generate_llm_prompt([], [0, 0, 0])
    assert "no studies were found within the search radius" in prompt.lower()


def test_custom_template_gets_the_same_evidence():
    template = "Coordinate {coord}.\nEvidence:\n{studies}\nAnswer briefly."
    prompt = generate_llm_prompt(STUDIES, [1, 2, 3], prompt_template=template)
    assert prompt.startswith("Coordinate [1, 2, 3].")
    assert STUDIES[1]["title"] in prompt
    empty = generate_llm_prompt([], [1, 2, 3], prompt_type="custom", prompt_template=template)
    assert "do not invent" in empty.lower()


@pytest.mark.parametrize("template", ["only {coord}", "{coord} {studies} {extra}", "{} {coord} {studies}"])
def test_templates_need_exactly_coord_and_studies(template):
    with pytest.raises(ValueError, match="placeholders"):
        generate_llm_prompt(STUDIES, [1, 2, 3], prompt_template=template)


def test_unknown_prompt_type_lists_the_known_ones():
    with pytest.raises(ValueError, match="summary"):
        generate_llm_prompt(STUDIES, [1, 2, 3], prompt_type="poem")
    with pytest.raises(ValueError, match="needs a template"):
        generate_llm_prompt(STUDIES, [1, 2, 3], prompt_type="custom")


def test_wrong_coordinate_length_is_rejected():
    with pytest.raises(ValueError, match="3 values"):
        generate_llm_prompt(STUDIES, [1, 2])


def test_long_study_lists_are_capped():
    many = [{"pmid": 1000 + i, "title": f"Study number {i}"} for i in range(30)]
    prompt = generate_llm_prompt(many, [1, 2, 3], max_studies=5)
    assert "Study number 4" in prompt and "Study number 5" not in prompt
    assert "25 further studies" in prompt
    assert "(30)" in prompt


def test_every_builtin_template_restricts_citations_to_the_list():
    for template in LLM_PROMPT_TEMPLATES.values():
        assert "{coord}" in template and "{studies}" in template
        assert "only by the PMIDs listed" in template
