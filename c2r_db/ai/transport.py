"""Calls to one provider: the ``openai`` clients, attempts, and failure classification.

A :class:`Transport` owns one provider's configuration (key included) and its
``openai`` client, created on first use with ``max_retries=0`` so that each
attempt is counted once, here. Failures are turned into key-free
:class:`~c2r_db.ai.retry.Failure` records; when attempts run out, one
:class:`~c2r_db.ai.errors.AIRequestError` is raised outside any ``except``
block, so it carries no chained exception that could hold request headers.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

from .errors import AIRequestError
from .providers import ProviderConfig
from .retry import Failure, RetryPolicy, is_retryable_status, parse_retry_after, sleep_at_least

log = logging.getLogger(__name__)

T = TypeVar("T")


class EmptyResponse(Exception):
    """The provider answered 200 but with no usable content."""


class Transport:
    """Send requests to one provider with bounded, policy-driven retries.

    Parameters
    ----------
    config : ProviderConfig
        Provider endpoint, key and models.
    timeout : float
        Per-request timeout in seconds.
    policy : RetryPolicy
        Backoff between attempts.
    """

    def __init__(self, config: ProviderConfig, timeout: float, policy: RetryPolicy) -> None:
        self.config = config
        self.timeout = timeout
        self.policy = policy
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Transport({self.config.name!r}, base_url={self.config.base_url!r})"

    @property
    def name(self) -> str:
        """Provider name."""
        return self.config.name

    def client(self) -> Any:
        """Return the provider's ``openai.OpenAI`` client, created on first use."""
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(**self._client_options())
            return self._client

    def async_client(self) -> Any:
        """Return a new ``openai.AsyncOpenAI`` client, to be used for one call and closed.

        An async connection pool belongs to the event loop that opened it, so
        it is not shared between calls that may run on different loops.
        """
        import openai

        return openai.AsyncOpenAI(**self._client_options())

    def close(self) -> None:
        """Close the synchronous client's connection pool, if one was opened."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _client_options(self) -> dict[str, Any]:
        return {
            "api_key": self.config.api_key,
            "base_url": self.config.base_url,
            "project": self.config.project,
            "timeout": self.timeout,
            "max_retries": 0,
        }

    def classify(self, exc: BaseException) -> Failure | None:
        """Describe a failed attempt without secrets, or return None for an unexpected error.

        Parameters
        ----------
        exc : BaseException
            What an attempt raised.

        Returns
        -------
        Failure or None
        """
        import openai

        if isinstance(exc, openai.APIStatusError):
            return Failure(
                reason=self._scrub(f"{type(exc).__name__}: {exc.message}"),
                status=exc.status_code,
                retry_after=parse_retry_after(exc.response.headers),
                retryable=is_retryable_status(exc.status_code),
            )
        if isinstance(exc, openai.APITimeoutError):
            return Failure(reason=f"no answer within the {self.timeout:g} s timeout")
        if isinstance(exc, openai.APIConnectionError):
            return Failure(reason=self._scrub(f"connection error: {exc.__cause__ or exc}"))
        if isinstance(exc, urllib.error.HTTPError):
            return Failure(reason="image download failed", status=exc.code, retryable=is_retryable_status(exc.code))
        if isinstance(exc, urllib.error.URLError):
            return Failure(reason=f"image download failed: {exc.reason}")
        if isinstance(exc, EmptyResponse):
            return Failure(reason=str(exc), retryable=False)
        return None

    def call(self, model: str, retries: int, attempt: Callable[[Any], T]) -> T:
        """Run ``attempt(client)`` until it succeeds or attempts run out.

        Parameters
        ----------
        model : str
            Model name as given by the caller (for messages).
        retries : int
            Maximum number of attempts (at least one is made).
        attempt : callable
            Makes one request with the given ``openai.OpenAI`` client.

        Returns
        -------
        object
            What ``attempt`` returned.

        Raises
        ------
        AIRequestError
            When the last allowed attempt failed, or a failure is not retryable.
        """
        attempts = max(1, retries)
        client = self.client()
        for number in range(1, attempts + 1):
            log.debug("%s request for model %r: attempt %d of %d", self.name, model, number, attempts)
            try:
                return attempt(client)
            except Exception as exc:
                failure = self.classify(exc)
                if failure is None:
                    raise
            wait = self._next_wait(model, number, attempts, failure)
            if wait is None:
                break
            sleep_at_least(wait)
        raise self.error(model, number, failure)

    async def call_async(self, model: str, retries: int, attempt: Callable[[Any], Awaitable[T]]) -> T:
        """Asynchronous :meth:`call`; ``attempt`` receives an ``openai.AsyncOpenAI`` client."""
        attempts = max(1, retries)
        async with self.async_client() as client:
            for number in range(1, attempts + 1):
                log.debug("%s request for model %r: attempt %d of %d", self.name, model, number, attempts)
                try:
                    return await attempt(client)
                except Exception as exc:
                    failure = self.classify(exc)
                    if failure is None:
                        raise
                wait = self._next_wait(model, number, attempts, failure)
                if wait is None:
                    break
                await _async_sleep_at_least(wait)
        raise self.error(model, number, failure)

    def error(self, model: str, attempts: int, failure: Failure, prefix: str = "") -> AIRequestError:
        """Build the final error for ``failure`` after ``attempts`` attempts."""
        return AIRequestError(
            provider=self.name, model=model, attempts=attempts, status=failure.status, reason=prefix + failure.reason
        )

    def _next_wait(self, model: str, number: int, attempts: int, failure: Failure) -> float | None:
        if number >= attempts:
            return None
        wait = self.policy.delay(number, failure)
        if wait is not None:
            log.warning(
                "%s request for model %r failed (%s); retrying in %.2f s (attempt %d of %d)",
                self.name,
                model,
                failure.status or failure.reason,
                wait,
                number + 1,
                attempts,
            )
        return wait

    def _scrub(self, text: str, limit: int = 300) -> str:
        """Remove the key from server-supplied text and bound its length."""
        if self.config.api_key:
            text = text.replace(self.config.api_key, "[redacted]")
        return text if len(text) <= limit else text[: limit - 3] + "..."


def completion_text(completion: Any) -> str:
    """Return the text of a chat completion, or raise :class:`EmptyResponse`."""
    choices = getattr(completion, "choices", None) or []
    content = choices[0].message.content if choices else None
    if not content:
        raise EmptyResponse("the completion contained no text")
    return content


def delta_texts(stream: Iterable[Any]) -> Iterator[str]:
    """Yield the non-empty text deltas of a chat-completion stream."""
    for chunk in stream:
        for choice in chunk.choices or []:
            if choice.delta is not None and choice.delta.content:
                yield choice.delta.content


def image_bytes(response: Any, timeout: float) -> bytes:
    """Return the first image of an images response (base64 or http(s) URL).

    The URL is fetched without the API key, which belongs to the API only.
    """
    data = getattr(response, "data", None) or []
    if not data:
        raise EmptyResponse("the images response contained no image")
    if data[0].b64_json:
        return base64.b64decode(data[0].b64_json)
    if data[0].url:
        if urllib.parse.urlsplit(data[0].url).scheme not in {"http", "https"}:
            raise EmptyResponse("the image URL is not http(s)")
        with urllib.request.urlopen(data[0].url, timeout=timeout) as reply:
            return reply.read()
    raise EmptyResponse("the image carried neither b64_json nor url")


async def _async_sleep_at_least(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(remaining)
