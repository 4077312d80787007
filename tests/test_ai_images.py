"""AI images through the images endpoint: valid PNGs, watermarking, prompts."""

from __future__ import annotations

import io

import numpy as np
import pytest
from ai_server import (
    TEST_MODEL,
    OpenAICompatServer,
    ai_env_fixture,  # noqa: F401 - pytest fixture
    ai_server_fixture,  # noqa: F401 - pytest fixture
    make_ai,
)
from PIL import Image

from c2r_db.ai import (
    DEFAULT_NEGATIVE_PROMPT,
    IMAGE_PROMPT_TEMPLATES,
    ReasonedReportContext,
    build_region_image_request,
    generate_region_image,
)
from c2r_db.ai.watermark import add_watermark, to_png

REGION_INFO = {"atlas_labels": {"aal": "Frontal_Inf_Oper_L", "juelich": "BA44"}, "summary": "Language production."}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _pixels(png: bytes) -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_generate_image_returns_the_server_png(ai_env, ai_server):
    png = make_ai(ai_server).generate_image(TEST_MODEL, "a brain", size="256x256", negative_prompt="blurry")
    assert _pixels(png).shape == (ai_server.image_size[1], ai_server.image_size[0], 3)
    body = ai_server.requests[0].body
    assert ai_server.requests[0].path == "/v1/images/generations"
    assert body["prompt"] == "a brain" and body["size"] == "256x256"
    assert body["negative_prompt"] == "blurry"  # non-OpenAI parameters travel in the body


def test_image_given_as_url_is_downloaded(ai_env):
    with OpenAICompatServer(image_mode="url") as server:
        png = make_ai(server).generate_image(TEST_MODEL, "a brain")
        assert _pixels(png).shape[2] == 3
        assert [r.method for r in server.requests] == ["POST", "GET"]
        assert "authorization" not in server.requests[1].headers  # the key stays with the API call


def test_region_image_is_watermarked_by_default(ai_env, ai_server):
    ai = make_ai(ai_server)
    marked = _pixels(generate_region_image(ai, [-42, 18, 24], REGION_INFO, model=TEST_MODEL))
    plain = _pixels(generate_region_image(ai, [-42, 18, 24], REGION_INFO, model=TEST_MODEL, watermark=False))
    assert marked.shape == plain.shape
    changed_rows = np.flatnonzero(np.any(marked != plain, axis=(1, 2)))
    assert changed_rows.size > 0
    assert changed_rows.min() > plain.shape[0] // 2  # the band sits at the bottom
    assert np.array_equal(marked[: plain.shape[0] // 2], plain[: plain.shape[0] // 2])


def test_region_image_prompt_and_negative_prompt(ai_env, ai_server):
    generate_region_image(make_ai(ai_server), [-42, 18, 24], REGION_INFO, image_type="functional", model=TEST_MODEL)
    generate_region_image(
        make_ai(ai_server),
        [-42, 18, 24],
        REGION_INFO,
        model=TEST_MODEL,
        include_atlas_labels=False,
        negative_prompt="no text",
    )
    with_labels, without_labels = (r.body for r in ai_server.requests)
    assert "[-42, 18, 24]" in with_labels["prompt"]
    assert "Frontal_Inf_Oper_L" in with_labels["prompt"] and "juelich: BA44" in with_labels["prompt"]
    assert "Language production." in with_labels["prompt"]
    assert with_labels["negative_prompt"] == DEFAULT_NEGATIVE_PROMPT
    assert "juelich" not in without_labels["prompt"]
    assert without_labels["negative_prompt"] == "no text"


def test_custom_and_unknown_image_templates(ai_env, ai_server):
    ai = make_ai(ai_server)
    generate_region_image(
        ai, [1, 2, 3], REGION_INFO, model=TEST_MODEL, prompt_template="Sketch {region} at {coordinate}"
    )
    assert ai_server.requests[0].body["prompt"] == "Sketch Frontal_Inf_Oper_L at [1, 2, 3]"
    with pytest.raises(ValueError, match="unknown image_type"):
        generate_region_image(ai, [1, 2, 3], REGION_INFO, image_type="cubist", model=TEST_MODEL)
    with pytest.raises(ValueError, match="placeholders"):
        generate_region_image(ai, [1, 2, 3], REGION_INFO, model=TEST_MODEL, prompt_template="{colour}")
    assert set(IMAGE_PROMPT_TEMPLATES) >= {"anatomical", "functional", "schematic", "artistic"}


def test_build_region_image_request_describes_the_target():
    context = ReasonedReportContext(
        coordinate_mni=(-42, 18, 24), hemisphere="left", atlas={"aal": {"label": "Frontal_Inf_Oper_L"}, "ho": "IFG"}
    )
    request = build_region_image_request((-42, 18, 24), context, sphere_radius_mm=4)
    assert request["spec"]["coordinate_mni"] == [-42.0, 18.0, 24.0]
    assert request["spec"]["sphere_radius_mm"] == 4.0
    assert request["spec"]["atlas_labels"] == {"aal": "Frontal_Inf_Oper_L", "ho": "IFG"}
    for expected in ("[-42, 18, 24]", "radius 4 mm", "left hemisphere", "Frontal_Inf_Oper_L", "ho: IFG"):
        assert expected in request["prompt"]
    assert request["negative_prompt"] == DEFAULT_NEGATIVE_PROMPT


def test_watermark_accepts_other_formats_and_returns_png():
    rng = np.random.default_rng(0)
    source = Image.fromarray(rng.integers(0, 256, size=(40, 120, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG")
    jpeg = buffer.getvalue()
    converted = _pixels(to_png(jpeg))
    marked = _pixels(add_watermark(jpeg))
    assert converted.shape == marked.shape == (40, 120, 3)
    assert np.any(converted != marked)
