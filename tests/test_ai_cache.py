"""Response cache: repeated requests cost no HTTP call; the cache can be bypassed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from ai_server import (
    TEST_MODEL,
    OpenAICompatServer,
    Reply,
    ai_env_fixture,  # noqa: F401 - pytest fixture
    ai_server_fixture,  # noqa: F401 - pytest fixture
    make_ai,
)

from c2r_db.ai import AIModelInterface, AIRequestError, ResponseCache
from c2r_db.ai.cache import default_cache_path, request_key


def test_repeated_request_is_answered_from_cache(ai_env, ai_server):
    ai = make_ai(ai_server, cache=True)
    first = ai.generate_text(TEST_MODEL, "summarise [-42, 18, 24]")
    second = ai.generate_text(TEST_MODEL, "summarise [-42, 18, 24]")
    assert first == second == ai_server.reply
    assert ai_server.count() == 1
    assert ai.cache.path == ai_env  # C2R_DB_LLM_CACHE chose the file
    assert ai_env.is_file()


def test_cache_survives_a_new_client(ai_env, ai_server):
    make_ai(ai_server, cache=True).generate_text(TEST_MODEL, "same")
    make_ai(ai_server, cache=True).generate_text(TEST_MODEL, "same")
    assert ai_server.count() == 1


def test_use_cache_false_and_cache_false_bypass_it(ai_env, ai_server):
    ai = make_ai(ai_server, cache=True)
    ai.generate_text(TEST_MODEL, "again")
    ai.generate_text(TEST_MODEL, "again", use_cache=False)
    assert ai_server.count() == 2
    uncached = make_ai(ai_server, cache=False)
    uncached.generate_text(TEST_MODEL, "again")
    assert ai_server.count() == 3
    assert uncached.cache is None


def test_different_parameters_are_different_requests(ai_env, ai_server):
    ai = make_ai(ai_server, cache=True)
    ai.generate_text(TEST_MODEL, "p", max_tokens=10)
    ai.generate_text(TEST_MODEL, "p", max_tokens=11)
    ai.generate_text(TEST_MODEL, "q", max_tokens=10)
    ai.generate_text(TEST_MODEL, "p", max_tokens=10)
    assert ai_server.count() == 3


def test_failures_are_not_cached(ai_env, ai_server):
    ai = make_ai(ai_server, cache=True)
    ai_server.fail_always(500)
    with pytest.raises(AIRequestError):
        ai.generate_text(TEST_MODEL, "x", retries=1)
    ai_server.stop_failing()
    assert ai.generate_text(TEST_MODEL, "x") == ai_server.reply
    assert ai_server.count() == 2


def test_completed_stream_is_cached_for_both_paths(ai_env):
    with OpenAICompatServer(chunks=["a", "b", "c"]) as server:
        ai = make_ai(server, cache=True)
        assert list(ai.stream_generate_text(TEST_MODEL, "s")) == ["a", "b", "c"]
        assert ai.generate_text(TEST_MODEL, "s") == "abc"
        assert list(ai.stream_generate_text(TEST_MODEL, "s")) == ["abc"]
        assert server.count() == 1


def test_abandoned_stream_is_not_cached(ai_env):
    with OpenAICompatServer(chunks=["a", "b", "c"]) as server:
        ai = make_ai(server, cache=True)
        stream = ai.stream_generate_text(TEST_MODEL, "s")
        assert next(stream) == "a"
        stream.close()
        assert ai.generate_text(TEST_MODEL, "s") == server.reply  # asked again, not "a"
        assert server.count() == 2


def test_interrupted_stream_is_not_cached(ai_env):
    with OpenAICompatServer(chunks=["a", "b", "c"]) as server:
        server.script(Reply(stall_after=1, stall=1.0))
        ai = make_ai(server, cache=True, timeout=0.3)
        with pytest.raises(AIRequestError):
            list(ai.stream_generate_text(TEST_MODEL, "s"))
        assert list(ai.stream_generate_text(TEST_MODEL, "s")) == ["a", "b", "c"]
        assert server.count() == 2


def test_images_are_cached(ai_env, ai_server):
    ai = make_ai(ai_server, cache=True)
    assert ai.generate_image(TEST_MODEL, "brain", size="256x256") == ai.generate_image(
        TEST_MODEL, "brain", size="256x256"
    )
    assert ai_server.count() == 1


def test_default_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("C2R_DB_LLM_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "c2r-db" / "llm-cache.sqlite"
    monkeypatch.setenv("C2R_DB_LLM_CACHE", str(tmp_path / "elsewhere.sqlite"))
    assert default_cache_path() == tmp_path / "elsewhere.sqlite"
    assert ResponseCache().path == tmp_path / "elsewhere.sqlite"


def test_cache_argument_accepts_a_path(ai_env, ai_server, tmp_path):
    ai = make_ai(ai_server, cache=tmp_path / "explicit.sqlite")
    ai.generate_text(TEST_MODEL, "x")
    assert (tmp_path / "explicit.sqlite").is_file()
    assert not ai_env.exists()


def test_request_key_is_canonical_and_covers_every_part():
    params = {"messages": [{"role": "user", "content": "x"}], "max_tokens": 5}
    key = request_key("http://h/v1", "m", "chat", params)
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == request_key("http://h/v1/", "m", "chat", dict(reversed(list(params.items()))))
    others = {
        request_key("http://other/v1", "m", "chat", params),
        request_key("http://h/v1", "m2", "chat", params),
        request_key("http://h/v1", "m", "images", params),
        request_key("http://h/v1", "m", "chat", {**params, "max_tokens": 6}),
    }
    assert key not in others and len(others) == 4


@pytest.mark.parametrize("attempt", range(20))
def test_concurrent_writers_share_one_file(tmp_path: Path, attempt: int):
    # The race is on creating a fresh file, so it is run on 20 fresh files.
    path = tmp_path / "shared.sqlite"
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        cache = ResponseCache(path)  # one instance per thread, like separate processes
        try:
            for i in range(25):
                cache.put(f"{worker}-{i}", "m", f"value {worker} {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert not list(tmp_path.glob(".shared.sqlite.*")), "scratch files left behind"
    assert path.stat().st_mode & 0o777 == 0o600
    reader = ResponseCache(path)
    assert all(reader.get(f"{w}-{i}") == f"value {w} {i}" for w in range(8) for i in range(25))
    assert reader.clear() == 200
    assert reader.get("0-0") is None


def test_cache_stores_bytes_and_text_distinctly(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("t", "m", "text")
    cache.put("b", "m", b"\x89PNG bytes")
    assert cache.get("t") == "text"
    assert cache.get("b") == b"\x89PNG bytes"
    assert cache.get("missing") is None
    assert isinstance(AIModelInterface(cache=cache).cache, ResponseCache)
