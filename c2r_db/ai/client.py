"""``AIModelInterface``: one client for every OpenAI-compatible provider.

Each provider of :data:`c2r_db.ai.providers.PROVIDERS` is reached with the
``openai`` package pointed at the provider's base URL, through a
:class:`~c2r_db.ai.transport.Transport` that owns the retries. This module
keeps the registry of providers and models and the response cache.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .cache import ResponseCache, request_key
from .errors import UnknownModelError
from .providers import (
    LOCAL_PROVIDER,
    PROVIDERS,
    ProviderConfig,
    ProviderSpec,
    lookup_spec,
    model_aliases,
    resolve_base_url,
    resolve_key,
)
from .retry import RetryPolicy
from .transport import EmptyResponse, Transport, completion_text, delta_texts, image_bytes

log = logging.getLogger(__name__)

#: A prompt: plain user text, or chat messages ``[{"role": ..., "content": ...}]``.
PromptType = str | Sequence[Mapping[str, str]]

#: Request timeout in seconds applied to every call unless overridden.
DEFAULT_TIMEOUT = 60.0

#: Keyword arguments of ``images.generate`` sent as named API parameters;
#: any other keyword (e.g. ``negative_prompt``) goes into the request body.
_IMAGE_API_PARAMS = frozenset(
    {"n", "size", "quality", "style", "response_format", "background", "output_format", "output_compression", "user"}
)


class AIModelInterface:
    """Register OpenAI-compatible providers and dispatch requests to them.

    A provider is registered when its key is given here or found in its
    usual environment variable (``OPENAI_API_KEY``, ``GEMINI_API_KEY``, ...),
    with the default models of its table row. A local server is registered
    as provider ``"local"`` when ``local_openai_base_url`` is given; its
    models are the keys of ``local_openai_models``. When two providers offer
    the same model name, the later registration wins.

    Parameters
    ----------
    gemini_api_key, openrouter_api_key, openai_api_key, anthropic_api_key, \
huggingface_api_key, groq_api_key, deepseek_api_key, together_api_key : str, optional
        Provider keys; each falls back to the provider's environment variables.
    openai_project : str, optional
        OpenAI project id.
    local_openai_base_url : str, optional
        Base URL of a local OpenAI-compatible server, e.g.
        ``"http://127.0.0.1:11434/v1"`` for Ollama.
    local_openai_api_key : str, optional
        Key for the local server, if it needs one.
    local_openai_models : dict of str to str, optional
        Model name used by callers -> model id on the local server.
    enabled_providers : list of str, optional
        Register only these providers (all by default).
    timeout : float, optional
        Per-request timeout in seconds.
    retry_policy : RetryPolicy, optional
        Backoff between attempts.
    cache : ResponseCache, path, bool or None, optional
        Response cache: True (default) for the default file, a path or a
        :class:`ResponseCache` for another one, False or None for none.
    """

    def __init__(
        self,
        gemini_api_key: str | None = None,
        openrouter_api_key: str | None = None,
        openai_api_key: str | None = None,
        openai_project: str | None = None,
        anthropic_api_key: str | None = None,
        huggingface_api_key: str | None = None,
        groq_api_key: str | None = None,
        deepseek_api_key: str | None = None,
        together_api_key: str | None = None,
        local_openai_base_url: str | None = None,
        local_openai_api_key: str | None = None,
        local_openai_models: dict[str, str] | None = None,
        enabled_providers: list[str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        cache: ResponseCache | str | os.PathLike[str] | bool | None = True,
    ) -> None:
        self.timeout = timeout
        self.retry_policy = retry_policy or RetryPolicy()
        self.cache = _make_cache(cache)
        self._transports: dict[str, Transport] = {}
        self._models: dict[str, str] = {}
        self._lock = threading.Lock()
        keys = {
            "gemini": gemini_api_key,
            "openrouter": openrouter_api_key,
            "openai": openai_api_key,
            "anthropic": anthropic_api_key,
            "huggingface": huggingface_api_key,
            "groq": groq_api_key,
            "deepseek": deepseek_api_key,
            "together": together_api_key,
        }
        wanted = set(enabled_providers) if enabled_providers is not None else None
        if wanted is not None and not wanted <= PROVIDERS.keys():
            raise ValueError(f"unknown providers in enabled_providers: {', '.join(sorted(wanted - PROVIDERS.keys()))}")
        for name in keys:
            if (wanted is None or name in wanted) and resolve_key(PROVIDERS[name], keys[name]):
                project = openai_project if name == "openai" else None
                self.register_provider(name, api_key=keys[name], project=project)
        if local_openai_base_url and (wanted is None or LOCAL_PROVIDER in wanted):
            self.register_provider(
                LOCAL_PROVIDER,
                base_url=local_openai_base_url,
                api_key=local_openai_api_key,
                models=local_openai_models or {},
            )

    def __repr__(self) -> str:
        providers = ", ".join(self._transports)
        return f"AIModelInterface(providers=[{providers}], models={len(self._models)})"

    # -- registration ---------------------------------------------------------------

    def register_provider(self, provider: ProviderSpec | str, *, enabled: bool = True, **config: Any) -> None:
        """Register a provider and its models.

        Parameters
        ----------
        provider : ProviderSpec or str
            A spec (for a provider missing from the table) or a table name.
        enabled : bool, optional
            When False the provider is skipped.
        **config
            ``api_key`` (else the environment), ``base_url`` (else the
            environment or the table), ``models`` (a list of names or a
            mapping name -> provider model id; else the table's defaults) and
            ``project`` (OpenAI only).

        Raises
        ------
        ValueError
            For an unknown provider name, unknown config keys, or a missing
            required key.
        """
        if not enabled:
            return
        unknown = set(config) - {"api_key", "base_url", "models", "project"}
        if unknown:
            raise ValueError(f"unknown provider options: {', '.join(sorted(unknown))}")
        spec = lookup_spec(provider)
        api_key = resolve_key(spec, config.get("api_key"))
        if api_key is None:
            variables = " or ".join(spec.key_env) or "an api_key argument"
            raise ValueError(f"no API key for provider {spec.name!r}: pass api_key or set {variables}")
        provider_config = ProviderConfig(
            spec=spec,
            base_url=resolve_base_url(spec, config.get("base_url")),
            api_key=api_key,
            models=model_aliases(config.get("models"), spec),
            project=config.get("project"),
        )
        transport = Transport(provider_config, self.timeout, self.retry_policy)
        with self._lock:
            stale = self._transports.get(spec.name)
            self._transports[spec.name] = transport
            self._models = {m: p for m, p in self._models.items() if p != spec.name}
            self._models.update(dict.fromkeys(provider_config.models, spec.name))
        if stale is not None:
            stale.close()

    def supports(self, model: str) -> bool:
        """Return whether ``model`` is registered with any provider."""
        return model in self._models

    def supports_batching(self, model: str) -> bool:
        """Return whether concurrent requests to ``model``'s provider are worthwhile.

        Raises :class:`UnknownModelError` for an unregistered model, as does
        :meth:`provider_name`.
        """
        return self._resolve(model)[0].config.spec.batching

    def list_available_models(self) -> list[str]:
        """Return the registered model names, sorted."""
        return sorted(self._models)

    def provider_name(self, model: str) -> str:
        """Return the name of the provider registered for ``model``, e.g. ``"openai"``."""
        return self._resolve(model)[0].name

    def close(self) -> None:
        """Close the HTTP connection pools of the clients created so far."""
        with self._lock:
            transports = list(self._transports.values())
        for transport in transports:
            transport.close()

    def __enter__(self) -> AIModelInterface:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- text -------------------------------------------------------------------------

    def generate_text(
        self,
        model: str,
        prompt: PromptType,
        max_tokens: int = 1000,
        retries: int = 3,
        *,
        temperature: float | None = None,
        use_cache: bool = True,
    ) -> str:
        """Generate text with a registered model, retrying transient failures.

        Parameters
        ----------
        model : str
            Registered model name.
        prompt : str or list of dict
            User text, or chat messages with ``role`` and ``content``.
        max_tokens : int, optional
            Maximum completion length.
        retries : int, optional
            Number of attempts before raising the final error.
        temperature : float, optional
            Sampling temperature (provider default when omitted).
        use_cache : bool, optional
            Answer from, and store into, the response cache.

        Returns
        -------
        str

        Raises
        ------
        UnknownModelError
            If no provider serves ``model``.
        AIRequestError
            When every attempt failed or the failure was not retryable.
        """
        transport, params = self._chat_request(model, prompt, max_tokens, temperature)
        key = self._cache_key(transport, "chat", params, use_cache)
        cached = self._cached(key)
        if isinstance(cached, str):
            return cached

        def attempt(client: Any) -> str:
            return completion_text(client.chat.completions.create(**params))

        text = transport.call(model, retries, attempt)
        self._store(key, params["model"], text)
        return text

    async def generate_text_async(
        self,
        model: str,
        prompt: PromptType,
        max_tokens: int = 1000,
        retries: int = 3,
        *,
        temperature: float | None = None,
        use_cache: bool = True,
    ) -> str:
        """Asynchronously generate text; see :meth:`generate_text`."""
        transport, params = self._chat_request(model, prompt, max_tokens, temperature)
        key = self._cache_key(transport, "chat", params, use_cache)
        cached = self._cached(key)
        if isinstance(cached, str):
            return cached

        async def attempt(client: Any) -> str:
            return completion_text(await client.chat.completions.create(**params))

        text = await transport.call_async(model, retries, attempt)
        self._store(key, params["model"], text)
        return text

    def stream_generate_text(
        self,
        model: str,
        prompt: PromptType,
        max_tokens: int = 1000,
        retries: int = 3,
        *,
        temperature: float | None = None,
        use_cache: bool = True,
    ) -> Iterator[str]:
        """Stream text chunks from a registered model.

        Opening the stream and receiving its first chunk are retried like
        :meth:`generate_text`; a failure after chunks were yielded (including a
        read timeout between chunks) raises :class:`AIRequestError` at once,
        since a retry would repeat text.
        A complete stream is cached; a cached answer is yielded as one chunk.

        Parameters
        ----------
        model, prompt, max_tokens, retries, temperature, use_cache
            As in :meth:`generate_text`.

        Returns
        -------
        iterator of str
        """
        transport, params = self._chat_request(model, prompt, max_tokens, temperature)
        key = self._cache_key(transport, "chat", params, use_cache)
        cached = self._cached(key)
        if isinstance(cached, str):
            return iter([cached])
        return self._stream(transport, model, params, retries, key)

    def _stream(
        self, transport: Transport, model: str, params: dict[str, Any], retries: int, key: str | None
    ) -> Iterator[str]:
        opened = 0

        def attempt(client: Any) -> tuple[Any, Iterator[str], str]:
            nonlocal opened
            opened += 1
            stream = client.chat.completions.create(**params, stream=True)
            texts = delta_texts(stream)
            try:
                first = next(texts, None)
                if first is None:
                    raise EmptyResponse("the stream ended without any text")
            except BaseException:
                stream.close()
                raise
            return stream, texts, first

        stream, texts, first = transport.call(model, retries, attempt)
        pieces = [first]
        with stream:
            yield first
            try:
                for text in texts:
                    pieces.append(text)
                    yield text
            except Exception as exc:
                failure = transport.classify(exc)
                if failure is None:
                    raise
            else:
                self._store(key, params["model"], "".join(pieces))
                return
        raise transport.error(model, opened, failure, prefix=f"stream interrupted after {len(pieces)} chunks: ")

    # -- images -------------------------------------------------------------------------

    def generate_image(
        self, model: str, prompt: str, retries: int = 3, *, use_cache: bool = True, **kwargs: Any
    ) -> bytes:
        """Generate an image through the provider's ``/images/generations`` endpoint.

        Parameters
        ----------
        model : str
            Registered image model name.
        prompt : str
            Image description.
        retries : int, optional
            Number of attempts before raising the final error.
        use_cache : bool, optional
            Answer from, and store into, the response cache.
        **kwargs
            Images API parameters (``size``, ``quality``, ``n``, ...); any other
            keyword, such as ``negative_prompt``, is added to the JSON body for
            servers that accept it.

        Returns
        -------
        bytes
            The encoded image as returned by the provider (usually PNG).
        """
        transport, remote = self._resolve(model)
        named = {k: v for k, v in kwargs.items() if k in _IMAGE_API_PARAMS}
        extra = {k: v for k, v in kwargs.items() if k not in _IMAGE_API_PARAMS}
        params = {"model": remote, "prompt": prompt, **named}
        key = self._cache_key(transport, "images", {**params, **extra}, use_cache)
        cached = self._cached(key)
        if isinstance(cached, bytes):
            return cached

        def attempt(client: Any) -> bytes:
            response = client.images.generate(**params, extra_body=extra or None)
            return image_bytes(response, self.timeout)

        image = transport.call(model, retries, attempt)
        self._store(key, remote, image)
        return image

    # -- plumbing ------------------------------------------------------------------------

    def _resolve(self, model: str) -> tuple[Transport, str]:
        """Return the transport serving ``model`` and the model id it sends."""
        with self._lock:
            provider = self._models.get(model)
            if provider is None:
                raise UnknownModelError(model, sorted(self._models))
            transport = self._transports[provider]
        return transport, transport.config.models[model]

    def _chat_request(
        self, model: str, prompt: PromptType, max_tokens: int, temperature: float | None
    ) -> tuple[Transport, dict[str, Any]]:
        transport, remote = self._resolve(model)
        params: dict[str, Any] = {
            "model": remote,
            "messages": _as_messages(prompt),
            transport.config.spec.token_param: max_tokens,
        }
        if temperature is not None:
            params["temperature"] = temperature
        return transport, params

    def _cache_key(self, transport: Transport, endpoint: str, params: Mapping[str, Any], use_cache: bool) -> str | None:
        if self.cache is None or not use_cache:
            return None
        return request_key(transport.config.base_url, params["model"], endpoint, params)

    def _cached(self, key: str | None) -> str | bytes | None:
        if key is None or self.cache is None:
            return None
        value = self.cache.get(key)
        if value is not None:
            log.debug("answered from cache %s", key[:12])
        return value

    def _store(self, key: str | None, model: str, value: str | bytes) -> None:
        if key is not None and self.cache is not None:
            self.cache.put(key, model, value)


def _make_cache(cache: ResponseCache | str | os.PathLike[str] | bool | None) -> ResponseCache | None:
    if cache is True:
        return ResponseCache()
    if cache is False or cache is None:
        return None
    if isinstance(cache, ResponseCache):
        return cache
    return ResponseCache(cache)


def _as_messages(prompt: PromptType) -> list[dict[str, str]]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]
