"""The API key reaches the server and nothing else: no log, output, error or cache byte."""

from __future__ import annotations

import logging
import secrets
import traceback

import pytest
from ai_server import (
    TEST_MODEL,
    Reply,
    ai_env_fixture,  # noqa: F401 - pytest fixture
    ai_server_fixture,  # noqa: F401 - pytest fixture
    make_ai,
)

from c2r_db.ai import AIModelInterface, AIRequestError, ResponseCache

SECRET = "sk-c2r-" + secrets.token_hex(16)


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or "", repr(record.__dict__)]
    return "\n".join(parts)


def test_key_never_leaks(ai_env, ai_server, caplog, capsys, tmp_path):
    for name in (None, "openai", "httpx2", "httpcore2", "c2r_db"):
        caplog.set_level(logging.DEBUG, logger=name)
    cache = ResponseCache(tmp_path / "cache" / "llm.sqlite")
    ai = make_ai(ai_server, api_key=SECRET, cache=cache)

    texts = [ai.generate_text(TEST_MODEL, "hello"), "".join(ai.stream_generate_text(TEST_MODEL, "stream please"))]
    image = ai.generate_image(TEST_MODEL, "a brain")
    # a misbehaving upstream that echoes the key in its error message
    ai_server.script(Reply(500), Reply(500, message=f"upstream rejected key {SECRET}"))
    errors = []
    for _ in range(2):
        try:
            ai.generate_text(TEST_MODEL, "this one fails", retries=2, use_cache=False)
        except AIRequestError as exc:
            errors.append(exc)
        ai_server.fail_always(500)
    assert len(errors) == 2

    # the key was really used: the server saw it on every request
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in ai_server.requests)
    # and the loggers under test really logged the requests
    assert any(r.name.startswith("openai") for r in caplog.records)
    assert any(r.name.startswith("httpx2") for r in caplog.records)

    exposed = [
        _everything_logged(caplog),
        *capsys.readouterr(),
        *texts,
        repr(ai),
        repr(ai._transports),
        *(str(e) + repr(e) + "".join(traceback.format_exception(e)) + repr(vars(e)) for e in errors),
    ]
    assert "[redacted]" in str(errors[0])
    for text in exposed:
        assert SECRET not in text
    files = sorted(p for p in cache.path.parent.iterdir() if p.is_file())
    assert files
    for path in files:
        assert SECRET.encode() not in path.read_bytes()
    assert SECRET.encode() not in image


def test_key_from_environment_is_not_in_repr_or_errors(ai_env, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    ai = AIModelInterface(cache=False)
    assert SECRET not in repr(ai)
    assert SECRET not in repr(ai._transports)
    with pytest.raises(Exception) as info:
        ai.generate_text("no-such-model", "hi")
    assert SECRET not in str(info.value)
