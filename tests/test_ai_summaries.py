"""Summaries end to end through the HTTP server: single, streamed, async and batched."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
from ai_server import (
    TEST_MODEL,
    OpenAICompatServer,
    ai_env_fixture,  # noqa: F401 - pytest fixture
    ai_server_fixture,  # noqa: F401 - pytest fixture
    make_ai,
)

from c2r_db.ai import (
    AIRequestError,
    ProviderSpec,
    generate_batch_summaries,
    generate_summary,
    generate_summary_async,
    stream_summary,
)
from c2r_db.ai.summaries import SUMMARY_SYSTEM_MESSAGE

STUDIES = [{"pmid": "12345678", "title": "Language production in the left IFG", "year": 2010, "distance_mm": 3.0}]
LABELS = {"aal": "Frontal_Inf_Oper_L"}


def _user_text(request) -> str:
    return request.body["messages"][-1]["content"]


def test_generate_summary_sends_grounded_prompt(ai_env, ai_server):
    ai = make_ai(ai_server)
    text = generate_summary(ai, STUDIES, [-42, 18, 24], model=TEST_MODEL, atlas_labels=LABELS, max_tokens=300)
    assert text == ai_server.reply
    body = ai_server.requests[0].body
    assert body["messages"][0] == {"role": "system", "content": SUMMARY_SYSTEM_MESSAGE}
    user = _user_text(ai_server.requests[0])
    assert "[-42, 18, 24]" in user and "Frontal_Inf_Oper_L" in user and STUDIES[0]["title"] in user
    assert body["max_tokens"] == 300


def test_summary_without_studies_tells_the_model(ai_env, ai_server):
    generate_summary(make_ai(ai_server), [], [10, 20, 30], model=TEST_MODEL, radius_mm=4)
    user = _user_text(ai_server.requests[0]).lower()
    assert "no studies were found within the 4 mm search radius" in user
    assert "do not invent" in user


def test_custom_prompt_is_used(ai_env, ai_server):
    generate_summary(
        make_ai(ai_server),
        STUDIES,
        [1, 2, 3],
        prompt_type="custom",
        model=TEST_MODEL,
        custom_prompt="At {coord}: {studies} -- one line only",
    )
    assert _user_text(ai_server.requests[0]).endswith("-- one line only")


def test_stream_summary_yields_chunks_in_order(ai_env):
    chunks = ["Left ", "IFG, ", "pars ", "opercularis."]
    with OpenAICompatServer(chunks=chunks) as server:
        assert list(stream_summary(make_ai(server), STUDIES, [-42, 18, 24], model=TEST_MODEL)) == chunks


def test_async_summary(ai_env, ai_server):
    text = asyncio.run(generate_summary_async(make_ai(ai_server), STUDIES, [-42, 18, 24], model=TEST_MODEL))
    assert text == ai_server.reply
    assert STUDIES[0]["title"] in _user_text(ai_server.requests[0])


class _ConcurrencyProbe:
    """Server reply that echoes the prompt's coordinate and records concurrency.

    Earlier coordinates answer more slowly, so completion order differs from
    input order.
    """

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, body) -> str:
        coordinate = re.search(r"MNI coordinate (\[[^\]]+\])", body["messages"][-1]["content"]).group(1)
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.3 / (1 + int(coordinate.strip("[]").split(",")[0])))
        with self.lock:
            self.active -= 1
        return f"summary of {coordinate}"


def test_batch_is_concurrent_bounded_and_ordered(ai_env):
    probe = _ConcurrencyProbe()
    coordinates = [[i, -i, 2 * i] for i in range(8)]
    with OpenAICompatServer(reply=probe) as server:
        ai = make_ai(server)
        ai.register_provider(ProviderSpec("batchy", base_url=server.base_url), api_key="k", models=["batch-model"])
        pairs = [(c, STUDIES) for c in coordinates]
        results = generate_batch_summaries(ai, pairs, model="batch-model", max_concurrency=3)
    assert results == [f"summary of [{i}, {-i}, {2 * i}]" for i in range(8)]
    assert 1 < probe.peak <= 3


def test_batch_is_sequential_when_provider_does_not_batch(ai_env):
    probe = _ConcurrencyProbe()
    with OpenAICompatServer(reply=probe) as server:
        pairs = [([i, 0, 0], []) for i in range(4)]
        results = generate_batch_summaries(make_ai(server), pairs, model=TEST_MODEL, max_concurrency=4)
    assert results == [f"summary of [{i}, 0, 0]" for i in range(4)]
    assert probe.peak == 1


def test_batch_passes_atlas_labels_per_entry(ai_env, ai_server):
    pairs = [([1, 1, 1], []), ([2, 2, 2], [])]
    labels = [{"aal": "Precentral_L"}, {"aal": "Postcentral_R"}]
    generate_batch_summaries(make_ai(ai_server), pairs, model=TEST_MODEL, atlas_labels=labels)
    sent = [_user_text(request) for request in ai_server.requests]
    first = next(text for text in sent if "[1, 1, 1]" in text)
    second = next(text for text in sent if "[2, 2, 2]" in text)
    assert "Precentral_L" in first and "Postcentral_R" not in first
    assert "Postcentral_R" in second and "Precentral_L" not in second
    with pytest.raises(ValueError, match="one entry per coordinate"):
        generate_batch_summaries(make_ai(ai_server), pairs, model=TEST_MODEL, atlas_labels=labels[:1])


def test_batch_rerun_after_failure_only_pays_for_the_rest(ai_env):
    calls = {"n": 0}

    def flaky(body) -> str:
        calls["n"] += 1
        return "ok " + body["messages"][-1]["content"][-20:]

    with OpenAICompatServer(reply=flaky) as server:
        ai = make_ai(server, cache=True)
        pairs = [([i, 0, 0], []) for i in range(3)]
        generate_batch_summaries(ai, pairs[:2], model=TEST_MODEL)
        server.fail_always(503)
        with pytest.raises(AIRequestError, match="HTTP 503"):
            generate_batch_summaries(ai, pairs, model=TEST_MODEL)
        server.stop_failing()
        before = server.count()
        assert len(generate_batch_summaries(ai, pairs, model=TEST_MODEL)) == 3
        assert server.count() - before == 1  # the two earlier summaries came from the cache
