"""Importing c2r_db.ai must stay cheap: no openai, no Pillow until they are needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return result.stdout.strip()


def test_import_does_not_load_openai_or_pillow():
    out = _run(
        "import sys, c2r_db.ai\nprint(sorted(m for m in ('openai', 'httpx2', 'httpx', 'PIL') if m in sys.modules))"
    )
    assert out == "[]"


def test_creating_a_client_does_not_load_openai():
    out = _run(
        "import sys\n"
        "from c2r_db.ai import AIModelInterface\n"
        "ai = AIModelInterface(local_openai_base_url='http://127.0.0.1:9/v1',\n"
        "                      local_openai_models={'m': 'm'}, cache=False)\n"
        "print(ai.supports('m'), 'openai' in sys.modules)"
    )
    assert out == "True False"


def test_public_names_are_exported():
    import c2r_db.ai as ai

    assert set(ai.__all__) <= set(dir(ai))
    for name in (
        "AIModelInterface",
        "AIRequestError",
        "generate_llm_prompt",
        "generate_summary",
        "generate_summary_async",
        "stream_summary",
        "generate_batch_summaries",
        "run_reasoned_report",
        "generate_region_image",
        "build_region_image_request",
    ):
        assert name in ai.__all__
