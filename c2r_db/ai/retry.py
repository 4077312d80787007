"""Backoff policy: which failures to retry, how long to wait, when to stop.

The policy is pure: it knows nothing about HTTP clients. The client turns an
exception into a :class:`Failure` and asks the policy for the next delay.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Statuses worth another attempt besides every 5xx: request timeout,
#: conflict (lock contention), too early, and rate limiting.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class Failure:
    """One failed attempt, described without any secret.

    Parameters
    ----------
    reason : str
        Short description (exception type and server message).
    status : int or None
        HTTP status, or None for timeouts and connection errors.
    retry_after : float or None
        Seconds the server asked the client to wait, when it said so.
    retryable : bool
        Whether another attempt may succeed.
    """

    reason: str
    status: int | None = None
    retry_after: float | None = None
    retryable: bool = True


def is_retryable_status(status: int) -> bool:
    """Return whether an HTTP status is worth another attempt.

    Parameters
    ----------
    status : int
        HTTP status code.

    Returns
    -------
    bool
        True for 5xx and for :data:`RETRYABLE_STATUSES`.
    """
    return status >= 500 or status in RETRYABLE_STATUSES


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Read the wait a server asked for from response headers.

    ``retry-after-ms`` (milliseconds, sent by OpenAI) wins over
    ``Retry-After``, which holds either delta-seconds or an HTTP date.

    Parameters
    ----------
    headers : mapping of str to str
        Response headers; lookups must be case-insensitive (as with httpx).
    now : datetime, optional
        Current time for HTTP dates; defaults to the clock (UTC).

    Returns
    -------
    float or None
        Non-negative seconds, or None when absent or unparsable.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter that honours ``Retry-After``.

    The wait before attempt ``n + 1`` is drawn uniformly from
    ``[b / 2, b]`` with ``b = min(max_delay, base_delay * 2 ** (n - 1))``
    ("equal jitter": never zero, never in lock-step with other clients).
    A server's ``Retry-After`` raises that wait to at least its value; if it
    exceeds ``max_retry_after`` the client stops instead of waiting.
    The number of attempts is the ``retries`` argument of each call.

    Parameters
    ----------
    base_delay : float
        Backoff after the first failure, in seconds.
    max_delay : float
        Upper bound of the exponential backoff, in seconds.
    max_retry_after : float
        Longest server-requested wait that is honoured, in seconds.
    """

    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, failure: Failure, rng: random.Random | None = None) -> float | None:
        """Return the seconds to wait after failed attempt ``attempt``.

        Parameters
        ----------
        attempt : int
            1-based number of the attempt that just failed.
        failure : Failure
            What went wrong.
        rng : random.Random, optional
            Source of jitter (the module's generator by default).

        Returns
        -------
        float or None
            Seconds to wait, or None when the failure must not be retried.
        """
        if not failure.retryable:
            return None
        if failure.retry_after is not None and failure.retry_after > self.max_retry_after:
            return None
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        wait = (rng or random).uniform(ceiling / 2, ceiling)
        if failure.retry_after is not None:
            wait = max(wait, failure.retry_after)
        return wait


def sleep_at_least(seconds: float) -> None:
    """Sleep for ``seconds`` measured on the monotonic clock.

    ``time.sleep`` may return a little early on some platforms; a server that
    asked for ``Retry-After: 1`` must not see the next request sooner.

    Parameters
    ----------
    seconds : float
        Minimum time to wait.
    """
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        time.sleep(remaining)
