"""The provider table: every AI provider reached through an OpenAI-compatible API.

Adding a provider is one row in :data:`PROVIDERS`. A row names the endpoint,
the environment variables that may hold its key, the models it offers by
default and two request details that differ between providers.

Keys live only in :class:`ProviderConfig` objects, whose ``repr`` hides them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Name of the provider that stands for any local OpenAI-compatible server
#: (vLLM, llama.cpp, Ollama, LM Studio, ...).
LOCAL_PROVIDER = "local"

#: Key sent to servers that need none: the ``openai`` client insists on one.
_PLACEHOLDER_KEY = "not-needed"


@dataclass(frozen=True)
class ProviderSpec:
    """Static description of one OpenAI-compatible provider.

    Parameters
    ----------
    name : str
        Short provider name used in registrations and error messages.
    base_url : str
        Root of the OpenAI-compatible API (the part before ``/chat/completions``).
    key_env : tuple of str
        Environment variables that may hold the API key, first match wins.
    models : tuple of str
        Model names registered by default when the provider is enabled.
    base_url_env : str or None
        Environment variable that overrides ``base_url``.
    token_param : str
        Name of the completion-length parameter the provider expects
        (``max_tokens`` for most, ``max_completion_tokens`` for OpenAI).
    batching : bool
        Whether concurrent requests are worthwhile (False for servers that
        typically process one request at a time).
    key_required : bool
        Whether the provider is usable without a key.
    """

    name: str
    base_url: str
    key_env: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    base_url_env: str | None = None
    token_param: str = "max_tokens"
    batching: bool = True
    key_required: bool = True


#: Every provider documented by coord2region, keyed by name.
PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            "openai",
            "https://api.openai.com/v1",
            key_env=("OPENAI_API_KEY",),
            models=("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "gpt-image-1", "dall-e-3"),
            base_url_env="OPENAI_BASE_URL",
            token_param="max_completion_tokens",
        ),
        ProviderSpec(
            "gemini",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            models=("gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro"),
        ),
        ProviderSpec(
            "anthropic",
            "https://api.anthropic.com/v1/",
            key_env=("ANTHROPIC_API_KEY",),
            models=("claude-3-5-haiku-latest", "claude-sonnet-4-0", "claude-opus-4-0"),
        ),
        ProviderSpec(
            "openrouter",
            "https://openrouter.ai/api/v1",
            key_env=("OPENROUTER_API_KEY",),
            models=("openrouter/auto",),
        ),
        ProviderSpec(
            "groq",
            "https://api.groq.com/openai/v1",
            key_env=("GROQ_API_KEY",),
            models=("llama-3.3-70b-versatile", "llama-3.1-8b-instant"),
        ),
        ProviderSpec(
            "deepseek",
            "https://api.deepseek.com/v1",
            key_env=("DEEPSEEK_API_KEY",),
            models=("deepseek-chat", "deepseek-reasoner"),
        ),
        ProviderSpec(
            "together",
            "https://api.together.xyz/v1",
            key_env=("TOGETHER_API_KEY",),
            models=("meta-llama/Llama-3.3-70B-Instruct-Turbo", "black-forest-labs/FLUX.1-schnell"),
        ),
        ProviderSpec(
            "huggingface",
            "https://router.huggingface.co/v1",
            key_env=("HF_TOKEN", "HUGGINGFACE_API_KEY", "HUGGINGFACEHUB_API_TOKEN"),
            models=("meta-llama/Llama-3.1-8B-Instruct",),
        ),
        ProviderSpec(
            LOCAL_PROVIDER,
            "http://127.0.0.1:8000/v1",
            key_env=("LOCAL_OPENAI_API_KEY",),
            batching=False,
            key_required=False,
        ),
    )
}


@dataclass(frozen=True)
class ProviderConfig:
    """A provider ready to be called: spec, endpoint, key and model aliases.

    Parameters
    ----------
    spec : ProviderSpec
        The provider's table row.
    base_url : str
        Endpoint actually used (the table value or an override).
    api_key : str
        Secret sent as a bearer token; excluded from ``repr`` and equality.
    models : dict of str to str
        Model name as used by callers -> model id sent to the provider.
    project : str or None
        OpenAI project id, sent as a header by the ``openai`` client.
    """

    spec: ProviderSpec
    base_url: str
    api_key: str = field(repr=False, compare=False)
    models: dict[str, str] = field(default_factory=dict)
    project: str | None = None

    @property
    def name(self) -> str:
        """Provider name, e.g. ``"openai"``."""
        return self.spec.name


def lookup_spec(provider: ProviderSpec | str) -> ProviderSpec:
    """Return the table row for ``provider``, or ``provider`` itself.

    Parameters
    ----------
    provider : ProviderSpec or str
        A spec, or the name of a row of :data:`PROVIDERS`.

    Returns
    -------
    ProviderSpec

    Raises
    ------
    ValueError
        If the name is not in the table.
    """
    if isinstance(provider, ProviderSpec):
        return provider
    try:
        return PROVIDERS[provider]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ValueError(f"unknown provider {provider!r}; known providers: {known}") from None


def resolve_key(spec: ProviderSpec, explicit: str | None) -> str | None:
    """Return the API key from the argument, else from the environment.

    Parameters
    ----------
    spec : ProviderSpec
        Provider whose ``key_env`` variables are consulted.
    explicit : str or None
        Key passed by the caller; wins when given.

    Returns
    -------
    str or None
        The key, the placeholder for key-less providers, or None when a
        required key is missing.
    """
    if explicit:
        return explicit
    for var in spec.key_env:
        value = os.environ.get(var)
        if value:
            return value
    return None if spec.key_required else _PLACEHOLDER_KEY


def resolve_base_url(spec: ProviderSpec, explicit: str | None) -> str:
    """Return the endpoint from the argument, the environment or the table.

    Parameters
    ----------
    spec : ProviderSpec
        Provider whose ``base_url_env`` and ``base_url`` are consulted.
    explicit : str or None
        Override passed by the caller; wins when given.

    Returns
    -------
    str
    """
    if explicit:
        return explicit
    if spec.base_url_env and os.environ.get(spec.base_url_env):
        return os.environ[spec.base_url_env]
    return spec.base_url


def model_aliases(models: Iterable[str] | Mapping[str, str] | None, spec: ProviderSpec) -> dict[str, str]:
    """Normalise a model list or alias mapping to ``{name: provider model id}``.

    Parameters
    ----------
    models : iterable of str, mapping of str to str, or None
        Names (each its own id), a mapping of names to provider ids, or None
        for the provider's default models.
    spec : ProviderSpec
        Provider whose defaults are used when ``models`` is None.

    Returns
    -------
    dict of str to str
    """
    if models is None:
        return {name: name for name in spec.models}
    if isinstance(models, Mapping):
        return {str(alias): str(remote) for alias, remote in models.items()}
    return {str(name): str(name) for name in models}
