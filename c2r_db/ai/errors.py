"""Named exceptions raised by the AI layer.

Messages and attributes name the provider, the model, the number of attempts
and the last HTTP status, and never an API key: the client builds them from
values it controls and scrubs any text that came from a server.
"""

from __future__ import annotations


class AIError(Exception):
    """Base class of every error raised by :mod:`c2r_db.ai`."""


class UnknownModelError(AIError, ValueError):
    """A model name that no registered provider serves.

    Parameters
    ----------
    model : str
        The requested model name.
    available : list of str
        The model names that are registered.
    """

    def __init__(self, model: str, available: list[str]) -> None:
        shown = ", ".join(available) if available else "none"
        super().__init__(
            f"model {model!r} is not registered with any provider (registered: {shown}); pass an API key or register it"
        )
        self.model = model


class AIRequestError(AIError):
    """A request that failed for good, after every allowed attempt.

    Parameters
    ----------
    provider : str
        Name of the provider that was called.
    model : str
        Model name as given by the caller.
    attempts : int
        Number of HTTP attempts made.
    status : int or None
        HTTP status of the last attempt, or None when none was received
        (timeout, connection error).
    reason : str
        Short, key-free description of the last failure.
    """

    def __init__(
        self,
        *,
        provider: str,
        model: str,
        attempts: int,
        status: int | None,
        reason: str,
    ) -> None:
        status_text = f"HTTP {status}" if status is not None else "no HTTP status"
        plural = "attempt" if attempts == 1 else "attempts"
        super().__init__(
            f"{provider} request for model {model!r} failed after {attempts} "
            f"{plural}; last error: {status_text}: {reason}"
        )
        self.provider = provider
        self.model = model
        self.attempts = attempts
        self.status = status
        self.reason = reason
