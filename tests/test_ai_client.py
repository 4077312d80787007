"""AIModelInterface against a real HTTP server: providers, retries, timeouts, streaming, async."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from ai_server import (
    SERVED_MODEL,
    TEST_MODEL,
    OpenAICompatServer,
    Reply,
    ai_env_fixture,  # noqa: F401 - pytest fixture
    ai_server_fixture,  # noqa: F401 - pytest fixture
    make_ai,
)

from c2r_db.ai import AIModelInterface, AIRequestError, ProviderSpec, RetryPolicy, UnknownModelError
from c2r_db.ai.retry import Failure, parse_retry_after

# -- registration -----------------------------------------------------------------------


def test_local_server_models_are_registered(ai_env, ai_server):
    ai = make_ai(ai_server)
    assert ai.supports(TEST_MODEL)
    assert not ai.supports(SERVED_MODEL)
    assert ai.list_available_models() == [TEST_MODEL]
    assert ai.provider_name(TEST_MODEL) == "local"
    assert ai.supports_batching(TEST_MODEL) is False


def test_keys_from_environment_register_default_models(ai_env, monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk-env")
    monkeypatch.setenv("GEMINI_API_KEY", "gem-env")
    ai = AIModelInterface(cache=False)
    assert ai.provider_name("llama-3.1-8b-instant") == "groq"
    assert ai.provider_name("gemini-2.0-flash") == "gemini"
    assert not ai.supports("gpt-4o-mini")  # no OpenAI key anywhere
    assert ai.supports_batching("gemini-2.0-flash")


def test_enabled_providers_limits_registration(ai_env):
    ai = AIModelInterface(groq_api_key="k1", deepseek_api_key="k2", enabled_providers=["deepseek"], cache=False)
    assert ai.supports("deepseek-chat")
    assert not ai.supports("llama-3.1-8b-instant")


def test_no_provider_means_no_model(ai_env):
    ai = AIModelInterface(cache=False)
    assert ai.list_available_models() == []
    with pytest.raises(UnknownModelError, match=r"gemini-2\.0-flash"):
        ai.generate_text("gemini-2.0-flash", "hi")


def test_register_provider_without_key_names_the_variable(ai_env):
    ai = AIModelInterface(cache=False)
    with pytest.raises(ValueError, match="TOGETHER_API_KEY"):
        ai.register_provider("together")
    with pytest.raises(ValueError, match="unknown provider"):
        ai.register_provider("nonexistent", api_key="k")
    with pytest.raises(ValueError, match="unknown provider options"):
        ai.register_provider("together", api_key="k", colour="blue")
    ai.register_provider("together", enabled=False)
    assert ai.list_available_models() == []


def test_custom_provider_row_maps_alias_to_remote_id(ai_env, ai_server):
    ai = AIModelInterface(cache=False, retry_policy=RetryPolicy(base_delay=0.01))
    spec = ProviderSpec("acme", base_url=ai_server.base_url, key_env=("ACME_KEY",))
    ai.register_provider(spec, api_key="acme-key", models={"short": "acme/long-model-id"})
    assert ai.generate_text("short", "hello") == ai_server.reply
    request = ai_server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "acme/long-model-id"
    assert request.headers["authorization"] == "Bearer acme-key"
    assert ai.provider_name("short") == "acme"


def test_openai_row_uses_base_url_from_environment(ai_env, ai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", ai_server.base_url)
    ai = AIModelInterface(cache=False)
    assert ai.generate_text("gpt-4o-mini", "hello", max_tokens=77) == ai_server.reply
    body = ai_server.requests[-1].body
    assert body["model"] == "gpt-4o-mini"
    assert body["max_completion_tokens"] == 77  # OpenAI's own parameter name
    assert "max_tokens" not in body


def test_reregistering_a_provider_replaces_its_models(ai_env, ai_server):
    ai = make_ai(ai_server)
    ai.register_provider("local", base_url=ai_server.base_url, models={"new-name": "served/new"})
    assert ai.list_available_models() == ["new-name"]
    ai.generate_text("new-name", "hi")
    assert ai_server.requests[-1].body["model"] == "served/new"


def test_unknown_enabled_provider_is_rejected(ai_env):
    with pytest.raises(ValueError, match="mistral"):
        AIModelInterface(enabled_providers=["openai", "mistral"], cache=False)


def test_later_registration_wins_for_a_shared_model_name(ai_env, ai_server):
    ai = make_ai(ai_server)
    ai.register_provider(ProviderSpec("other", base_url=ai_server.base_url), api_key="k", models=[TEST_MODEL])
    assert ai.provider_name(TEST_MODEL) == "other"


# -- plain requests -------------------------------------------------------------------------


def test_generate_text_sends_the_prompt_and_returns_the_reply(ai_env, ai_server):
    ai = make_ai(ai_server)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "where is [-42, 18, 24]?"}]
    text = ai.generate_text(TEST_MODEL, messages, max_tokens=123, temperature=0.2)
    assert text == ai_server.reply
    body = ai_server.requests[0].body
    assert body["model"] == SERVED_MODEL
    assert body["messages"] == messages
    assert body["max_tokens"] == 123
    assert body["temperature"] == 0.2
    assert ai_server.requests[0].headers["x-stainless-retry-count"] == "0"


def test_string_prompt_becomes_one_user_message(ai_env, ai_server):
    make_ai(ai_server).generate_text(TEST_MODEL, "plain text")
    assert ai_server.requests[0].body["messages"] == [{"role": "user", "content": "plain text"}]


def test_empty_completion_is_an_error(ai_env):
    with OpenAICompatServer(reply="") as server:
        with pytest.raises(AIRequestError, match="no text"):
            make_ai(server).generate_text(TEST_MODEL, "hi")
        assert server.count() == 1


# -- retries ---------------------------------------------------------------------------------


def test_two_server_errors_then_success(ai_env, ai_server):
    ai_server.script(Reply(500), Reply(502))
    assert make_ai(ai_server).generate_text(TEST_MODEL, "hi", retries=3) == ai_server.reply
    assert ai_server.count("/chat/completions") == 3


def test_retry_after_seconds_is_honoured(ai_env, ai_server):
    ai_server.script(Reply(429, {"Retry-After": "1"}))
    started = time.monotonic()
    make_ai(ai_server).generate_text(TEST_MODEL, "hi")
    assert time.monotonic() - started >= 1.0
    first, second = ai_server.requests
    assert second.received_at - first.received_at >= 1.0


def test_retry_after_too_long_gives_up_at_once(ai_env, ai_server):
    ai_server.script(Reply(429, {"Retry-After": "3600"}))
    with pytest.raises(AIRequestError) as info:
        make_ai(ai_server).generate_text(TEST_MODEL, "hi", retries=5)
    assert (info.value.attempts, info.value.status) == (1, 429)
    assert ai_server.count() == 1


def test_persistent_failure_ends_with_one_clear_error(ai_env, ai_server):
    ai_server.fail_always(503)
    with pytest.raises(AIRequestError) as info:
        make_ai(ai_server).generate_text(TEST_MODEL, "hi", retries=4)
    error = info.value
    assert (error.provider, error.model, error.attempts, error.status) == ("local", TEST_MODEL, 4, 503)
    assert "local" in str(error) and TEST_MODEL in str(error)
    assert "4 attempts" in str(error) and "HTTP 503" in str(error)
    assert error.__cause__ is None and error.__context__ is None
    assert ai_server.count() == 4


def test_client_errors_are_not_retried(ai_env, ai_server):
    ai_server.script(Reply(400, message="bad request: unknown parameter"))
    with pytest.raises(AIRequestError, match="unknown parameter") as info:
        make_ai(ai_server).generate_text(TEST_MODEL, "hi", retries=3)
    assert (info.value.attempts, info.value.status) == (1, 400)
    assert ai_server.count() == 1


def test_timeout_is_retried(ai_env, ai_server):
    ai_server.script(Reply(delay=1.5))
    ai = make_ai(ai_server, timeout=0.3)
    assert ai.generate_text(TEST_MODEL, "hi") == ai_server.reply
    assert ai_server.count() == 2


def test_timeouts_exhaust_attempts(ai_env, ai_server):
    ai_server.script(Reply(delay=1.0), Reply(delay=1.0))
    with pytest.raises(AIRequestError, match="timeout") as info:
        make_ai(ai_server, timeout=0.2).generate_text(TEST_MODEL, "hi", retries=2)
    assert (info.value.attempts, info.value.status) == (2, None)


def test_dropped_connection_is_retried(ai_env, ai_server):
    ai_server.script(Reply(drop=True))
    assert make_ai(ai_server).generate_text(TEST_MODEL, "hi") == ai_server.reply
    assert ai_server.count() == 2


def test_unreachable_server_names_attempts(ai_env):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ai = AIModelInterface(
        local_openai_base_url=f"http://127.0.0.1:{port}/v1",
        local_openai_models={"m": "m"},
        retry_policy=RetryPolicy(base_delay=0.01),
        cache=False,
    )
    with pytest.raises(AIRequestError, match=r"2 attempts.*connection error") as info:
        ai.generate_text("m", "hi", retries=2)
    assert info.value.status is None


def test_backoff_grows_with_jitter_and_respects_retry_after():
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    rng = random.Random(7)
    waits = [policy.delay(n, Failure("x"), rng) for n in (1, 2, 3, 4)]
    for wait, ceiling in zip(waits, (1.0, 2.0, 4.0, 4.0), strict=True):
        assert ceiling / 2 <= wait <= ceiling
    assert policy.delay(1, Failure("x", status=429, retry_after=9.0), rng) == 9.0
    assert policy.delay(1, Failure("x", status=400, retryable=False), rng) is None


def test_parse_retry_after_forms():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "7"}, now) == 7.0
    assert parse_retry_after({"retry-after": format_datetime(now + timedelta(seconds=30), usegmt=True)}, now) == 30.0
    assert parse_retry_after({"retry-after": format_datetime(now - timedelta(seconds=30), usegmt=True)}, now) == 0.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}, now) == 0.25
    assert parse_retry_after({"retry-after": "soon"}, now) is None
    assert parse_retry_after({}, now) is None


# -- streaming ------------------------------------------------------------------------------


def test_stream_yields_chunks_in_order(ai_env):
    chunks = ["The ", "inferior ", "frontal ", "gyrus", "."]
    with OpenAICompatServer(chunks=chunks) as server:
        received = list(make_ai(server).stream_generate_text(TEST_MODEL, "describe"))
        assert received == chunks
        assert server.requests[0].body["stream"] is True


def test_stream_retries_until_the_first_chunk(ai_env, ai_server):
    ai_server.script(Reply(500), Reply(429, {"Retry-After": "0"}))
    received = list(make_ai(ai_server).stream_generate_text(TEST_MODEL, "describe"))
    assert "".join(received) == ai_server.reply
    assert len(received) == len(ai_server.reply.split(" "))
    assert ai_server.count() == 3


def test_stream_stalling_after_some_chunks_raises_named_error(ai_env):
    chunks = ["one ", "two ", "three"]
    with OpenAICompatServer(chunks=chunks) as server:
        server.script(Reply(500), Reply(stall_after=2, stall=1.5))
        stream = make_ai(server, timeout=0.3).stream_generate_text(TEST_MODEL, "describe")
        received = []
        with pytest.raises(AIRequestError, match="stream interrupted after 2 chunks") as info:
            for chunk in stream:
                received.append(chunk)
        assert received == chunks[:2]
        assert info.value.attempts == 2  # the 500, then the stream that stalled
        assert server.count() == 2


def test_stream_failure_raises_named_error(ai_env, ai_server):
    ai_server.fail_always(500)
    stream = make_ai(ai_server).stream_generate_text(TEST_MODEL, "describe", retries=2)
    with pytest.raises(AIRequestError, match="2 attempts"):
        next(stream)


# -- async -----------------------------------------------------------------------------------


def test_async_generation_retries_and_runs_concurrently(ai_env):
    with OpenAICompatServer(reply=lambda body: "echo: " + body["messages"][-1]["content"]) as server:
        server.script(Reply(503))
        ai = make_ai(server)

        async def run() -> list[str]:
            return await asyncio.gather(*(ai.generate_text_async(TEST_MODEL, f"q{i}") for i in range(4)))

        assert asyncio.run(run()) == [f"echo: q{i}" for i in range(4)]
        assert server.count() == 5


def test_async_persistent_failure(ai_env, ai_server):
    ai_server.fail_always(500)
    with pytest.raises(AIRequestError, match="3 attempts"):
        asyncio.run(make_ai(ai_server).generate_text_async(TEST_MODEL, "hi"))
    assert ai_server.count() == 3
