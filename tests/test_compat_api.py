"""Every class, function, method, parameter (name, order, default) and attribute that
coord2region's reference page documents for the atlas, study and AI halves of its API exists
in ``c2r_db``.
The page is read from ``../shared/reference/coord2region-api.txt`` beside the repository, where
the project keeps it (it is not copied into this repository)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import c2r_db

PAGE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "coord2region-api.txt"
ATLAS_CLASSES = ("AtlasMapper", "BatchAtlasMapper", "MultiAtlasMapper", "AtlasFetcher",
                 "AtlasFileHandler")
ATLAS_FUNCTIONS = ("infer_hemisphere", "get_working_directory")
STUDY_FUNCTIONS = ("fetch_datasets", "deduplicate_datasets", "prepare_datasets",
                   "load_deduplicated_dataset", "get_studies_for_coordinate", "search_studies")

_OWNER = re.compile(r"^(?:async )?(class )?coord2region\.(\w+)(?:\((.*)\))?")
_METHOD = re.compile(r"^(classmethod |async )?(\w+)\((.*)\)[^()]*\[source\]#$")
_ATTRIBUTE = re.compile(r"^(\w+)(?: = .*)?#$")


def _split(params):
    """Split a parameter list on the commas outside brackets."""
    parts, depth, current = [], 0, ""
    for char in params:
        depth += char in "[(" and 1 or (char in "])" and -1 or 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [p for p in parts + [current.strip()] if p]


def _parameters(text):
    """[(name, kind, default text or None)], kind in {"plain", "keyword", "*", "**"}."""
    out, keyword_only = [], False
    for part in _split(text):
        if part == "*":
            keyword_only = True
            continue
        kind = "**" if part.startswith("**") else "*" if part.startswith("*") else (
            "keyword" if keyword_only else "plain")
        name = re.match(r"\**(\w+)", part).group(1)
        head, _, default = part.partition(" = ") if " = " in part else part.partition("=")
        out.append((name, kind, default.strip() or None))
    return out


def _parse():
    """{owner: {"kind", "params", "methods": {name: (params, is_classmethod)}, "attributes"}}"""
    documented, owner = {}, None
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        match = _OWNER.match(line)
        if match:
            kind = "class" if match.group(1) else "function"
            params = match.group(3)
            owner = match.group(2) if kind == "class" else None
            if params is not None:
                documented[match.group(2)] = {"kind": kind, "params": _parameters(params),
                                              "methods": {}, "attributes": set()}
            continue
        if owner is None:
            continue
        method = _METHOD.match(line)
        if method:
            documented[owner]["methods"][method.group(2)] = (
                _parameters(method.group(3)), method.group(1) == "classmethod ")
        elif _ATTRIBUTE.match(line):
            documented[owner]["attributes"].add(_ATTRIBUTE.match(line).group(1))
    return documented


DOCUMENTED = _parse()


def _check_signature(function, documented):
    signature = inspect.signature(function)
    ours = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    plain = [d for d in documented if d[1] == "plain"]
    positional = [p for p in ours if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert [p.name for p in positional[:len(plain)]] == [d[0] for d in plain], function
    for name, kind, default in plain:
        if default is not None:
            assert signature.parameters[name].default == ast.literal_eval(default), \
                (function, name)
        else:
            assert signature.parameters[name].default is inspect.Parameter.empty, (function, name)
    for name, kind, default in documented:
        if kind == "keyword":
            parameter = signature.parameters[name]
            assert parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
            assert default is None or parameter.default != inspect.Parameter.empty, (function, name)
            if default is not None and not default.isidentifier():  # a literal, not a constant
                assert parameter.default == ast.literal_eval(default), (function, name)
    extra = positional[len(plain):]
    assert all(p.default is not inspect.Parameter.empty for p in extra), function
    assert all(p.default is not inspect.Parameter.empty for p in ours
               if p.kind is p.KEYWORD_ONLY), function
    if any(kind == "**" for _, kind, _ in documented):
        assert any(p.kind is p.VAR_KEYWORD for p in ours), function


def test_the_page_documents_the_atlas_half():
    for name in ATLAS_CLASSES:
        assert DOCUMENTED[name]["kind"] == "class" and DOCUMENTED[name]["methods"], name
    for name in ATLAS_FUNCTIONS:
        assert DOCUMENTED[name]["kind"] == "function", name
    assert set(DOCUMENTED["AtlasMapper"]["methods"]) == {  # as issue 4 lists them
        "region_name_from_index", "region_index_from_name", "list_all_regions",
        "infer_hemisphere", "convert_system", "mni_to_voxel", "voxel_to_mni", "mni_to_vertex",
        "vertex_to_mni", "convert_to_source", "convert_to_mni", "mni_to_region_index",
        "mni_to_region_name", "region_index_to_mni", "region_name_to_mni", "region_centroid",
        "distance_to_region_centroid", "distance_to_region_boundary", "membership_scores",
        "save", "load"}


def test_the_page_documents_the_study_half():
    for name in STUDY_FUNCTIONS:
        assert DOCUMENTED[name]["kind"] == "function", name
    params = {name: [(p, d) for p, _, d in DOCUMENTED[name]["params"]]
              for name in STUDY_FUNCTIONS}
    assert params["get_studies_for_coordinate"] == [
        ("datasets", None), ("coord", None), ("radius", "0"), ("email", "None"),
        ("sources", "None")]
    assert params["search_studies"] == [
        ("datasets", None), ("coord", None), ("radius", "0"), ("sources", "None"),
        ("email", "None")]


@pytest.mark.parametrize("name", ATLAS_FUNCTIONS + STUDY_FUNCTIONS)
def test_functions(name):
    assert name in c2r_db.__all__
    _check_signature(getattr(c2r_db, name), DOCUMENTED[name]["params"])


@pytest.mark.parametrize("name", ATLAS_CLASSES)
def test_classes_and_methods(name):
    assert name in c2r_db.__all__
    cls = getattr(c2r_db, name)
    _check_signature(cls.__init__, DOCUMENTED[name]["params"])
    for method, (params, is_classmethod) in DOCUMENTED[name]["methods"].items():
        assert hasattr(cls, method), f"{name}.{method}"
        assert isinstance(inspect.getattr_static(cls, method), classmethod) == is_classmethod
        _check_signature(getattr(cls, method), params)


@pytest.fixture
def instances(db, tmp_path):
    mapper = c2r_db.AtlasMapper("x", np.zeros((3, 3, 3), int), np.eye(4), labels=["a"])
    return {
        "AtlasMapper": mapper,
        "BatchAtlasMapper": c2r_db.BatchAtlasMapper(mapper),
        "MultiAtlasMapper": c2r_db.MultiAtlasMapper(str(tmp_path), {"aal2": {}}, db=db),
        "AtlasFetcher": c2r_db.AtlasFetcher(str(tmp_path), db=db),
        "AtlasFileHandler": c2r_db.AtlasFileHandler(str(tmp_path)),
    }


def test_documented_attributes(instances):
    for name, instance in instances.items():
        public = {a for a in DOCUMENTED[name]["attributes"] if not a.startswith("_")}
        assert public, name
        missing = [a for a in sorted(public) if not hasattr(instance, a)]
        assert missing == [], name


# --- the AI half (c2r_db.ai) ----------------------------------------------------------------

AI_FUNCTIONS = ("build_reasoned_report_messages", "build_region_image_request",
                "parse_reasoned_report_output", "run_reasoned_report",
                "generate_batch_summaries", "generate_llm_prompt", "generate_region_image",
                "generate_summary", "generate_summary_async", "stream_summary")
AI_CONSTANTS = ("DEFAULT_NEGATIVE_PROMPT", "DEFAULT_SYSTEM_MESSAGE", "IMAGE_PROMPT_TEMPLATES",
                "LLM_PROMPT_TEMPLATES", "ReasonedReport", "ReasonedReportContext")


@pytest.mark.parametrize("name", AI_FUNCTIONS)
def test_ai_functions(name):
    assert name in c2r_db.__all__ and DOCUMENTED[name]["kind"] == "function"
    _check_signature(getattr(c2r_db, name), DOCUMENTED[name]["params"])


def test_ai_model_interface():
    cls = c2r_db.AIModelInterface
    _check_signature(cls.__init__, DOCUMENTED["AIModelInterface"]["params"])
    for method, (params, _) in DOCUMENTED["AIModelInterface"]["methods"].items():
        _check_signature(getattr(cls, method), params)
    assert len(DOCUMENTED["AIModelInterface"]["methods"]) == 9


def test_ai_constants_and_report_fields():
    for name in AI_CONSTANTS:
        assert name in c2r_db.__all__ and getattr(c2r_db, name) is not None
    page = PAGE.read_text(encoding="utf-8")
    for cls, fields in (("ReasonedReport", ("narrative", "json_text", "json_data", "json_error")),
                        ("ReasonedReportContext", ("coordinate_mni", "hemisphere",
                                                   "boundary_proximity_mm", "atlas", "atlas_notes",
                                                   "studies", "allowed_domains",
                                                   "format_instructions"))):
        for field in fields:
            assert f"\n{field}:" in page  # the page documents the field ...
            assert field in getattr(c2r_db, cls).__dataclass_fields__  # ... and we have it
    assert c2r_db.DEFAULT_SYSTEM_MESSAGE.startswith("You are a careful neuroscience assistant.")
