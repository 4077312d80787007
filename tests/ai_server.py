"""A real OpenAI-compatible HTTP server on 127.0.0.1 for the AI-layer tests.

It speaks the parts of the protocol the client uses: chat completions as JSON
or as server-sent events, and image generation returning base64 PNGs (or a URL
to one). Failures are scripted per request (``server.script(Reply(500), ...)``)
or made permanent (``server.fail_always(503)``); every request's method, path,
headers and JSON body is recorded so tests can assert on what was sent.

Only the standard library is used, so the server shares no code with the
client under test. The test modules import the pytest fixtures defined at
the bottom (``ai_env``, ``ai_server``) by their function names.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from c2r_db.ai.client import AIModelInterface
from c2r_db.ai.providers import PROVIDERS
from c2r_db.ai.retry import RetryPolicy


@dataclass(frozen=True)
class Reply:
    """A scripted answer to one request.

    Parameters
    ----------
    status : int
        HTTP status; 200 means "answer normally".
    headers : dict
        Extra response headers, e.g. ``{"Retry-After": "1"}``.
    delay : float
        Seconds to sleep before answering (to provoke client timeouts).
    drop : bool
        Close the connection without any answer.
    message : str, optional
        Error message put in the JSON error body.
    stall_after : int, optional
        When streaming, pause for ``stall`` seconds after this many chunks.
    stall : float
        Length of that pause.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    message: str | None = None
    stall_after: int | None = None
    stall: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float


def make_png(width: int, height: int, seed: int = 0) -> bytes:
    """Encode an RGB gradient as a PNG with zlib, independent of Pillow."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes(((x * 255) // max(1, width - 1), (y * 255) // max(1, height - 1), (seed * 37) % 256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    )


class OpenAICompatServer:
    """Threaded HTTP server answering like an OpenAI-compatible provider.

    Parameters
    ----------
    reply : str or callable
        Chat answer, or a function of the request body returning it.
    chunks : list of str, optional
        Pieces sent when streaming; by default the reply split after spaces.
    image_mode : {"b64_json", "url"}
        How images are returned.
    image_size : tuple of int
        Width and height of generated PNGs.
    """

    def __init__(
        self,
        reply: str | Callable[[dict[str, Any]], str] = "The coordinate lies in the test region.",
        chunks: list[str] | None = None,
        image_mode: str = "b64_json",
        image_size: tuple[int, int] = (96, 64),
    ) -> None:
        self.reply = reply
        self.chunks = chunks
        self.image_mode = image_mode
        self.image_size = image_size
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._always: Reply | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def root_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL (``.../v1``)."""
        return f"{self.root_url}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue answers for the next requests, in order; then answer normally."""
        with self._lock:
            self._script.extend(replies)

    def fail_always(self, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer every request with ``status`` from now on."""
        self._always = Reply(status, headers or {})

    def stop_failing(self) -> None:
        """Undo :meth:`fail_always`."""
        self._always = None

    def count(self, path_suffix: str = "") -> int:
        """Number of requests received whose path ends with ``path_suffix``."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.endswith(path_suffix))

    def __enter__(self) -> OpenAICompatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- request handling ------------------------------------------------------------

    def _next_reply(self) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return self._always or Reply()

    def _record(self, handler: BaseHTTPRequestHandler) -> RecordedRequest:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        request = RecordedRequest(
            method=handler.command,
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(request)
        return request

    def _reply_text(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply

    def _stream_pieces(self, body: dict[str, Any]) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        words = self._reply_text(body).split(" ")
        return [w + " " for w in words[:-1]] + words[-1:]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

            def do_GET(self) -> None:
                server._record(self)
                if self.path == "/files/image.png":
                    self._send(200, make_png(*server.image_size, seed=1), "image/png")
                else:
                    self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})

            def do_POST(self) -> None:
                request = server._record(self)
                reply = server._next_reply()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                if reply.status != 200:
                    message = reply.message or f"scripted failure {reply.status}"
                    error = {"error": {"message": message, "type": "server_error"}}
                    self._send_json(reply.status, error, reply.headers)
                elif self.path.endswith("/chat/completions"):
                    self._chat(request.body, reply)
                elif self.path.endswith("/images/generations"):
                    self._image(request.body)
                else:
                    self._send_json(404, {"error": {"message": "unknown endpoint", "type": "not_found"}})

            def _chat(self, body: dict[str, Any], reply: Reply) -> None:
                if body.get("stream"):
                    self._send_events(body["model"], server._stream_pieces(body), reply)
                    return
                completion = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": server._reply_text(body)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                self._send_json(200, completion)

            def _send_events(self, model: str, pieces: list[str], reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for index, piece in enumerate(pieces):
                    if index == reply.stall_after:
                        time.sleep(reply.stall)
                    event = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _image(self, body: dict[str, Any]) -> None:
                png = make_png(*server.image_size, seed=len(body.get("prompt", "")))
                if server.image_mode == "url":
                    item = {"url": f"{server.root_url}/files/image.png"}
                else:
                    item = {"b64_json": base64.b64encode(png).decode("ascii")}
                self._send_json(200, {"created": int(time.time()), "data": [item]})

            def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json", headers)

            def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def handle(self) -> None:
                with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
                    super().handle()

        return Handler


# -- pytest fixtures shared by the test_ai_* modules -----------------------------------

#: Model name used by the tests and the id the server is asked for.
TEST_MODEL = "test-model"
SERVED_MODEL = "served/test-model-v1"

#: Backoff that keeps retry tests fast.
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest.fixture(name="ai_env")
def ai_env_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Clear provider keys from the environment and point the cache at tmp_path."""
    for spec in PROVIDERS.values():
        for var in (*spec.key_env, spec.base_url_env):
            if var:
                monkeypatch.delenv(var, raising=False)
    cache_file = tmp_path / "llm-cache.sqlite"
    monkeypatch.setenv("C2R_DB_LLM_CACHE", str(cache_file))
    return cache_file


@pytest.fixture(name="ai_server")
def ai_server_fixture() -> Iterator[OpenAICompatServer]:
    """A started server, stopped after the test."""
    with OpenAICompatServer() as server:
        yield server


def make_ai(server: OpenAICompatServer, *, api_key: str | None = None, **options: Any) -> AIModelInterface:
    """A client whose model ``TEST_MODEL`` is served by ``server`` as provider "local".

    Options default to a 5 s timeout, :data:`FAST_RETRY` and no cache.
    """
    options.setdefault("timeout", 5.0)
    options.setdefault("retry_policy", FAST_RETRY)
    options.setdefault("cache", False)
    return AIModelInterface(
        local_openai_base_url=server.base_url,
        local_openai_api_key=api_key,
        local_openai_models={TEST_MODEL: SERVED_MODEL},
        **options,
    )
