"""Evidence summaries for coordinates: one, streamed, async, or a batch.

Each summary is one chat request: a short system message that forbids invented
evidence, then the prompt of :func:`~c2r_db.ai.prompts.generate_llm_prompt`.
Identical requests are answered from the client's response cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .client import AIModelInterface
from .prompts import generate_llm_prompt

#: System message sent before every summary prompt.
SUMMARY_SYSTEM_MESSAGE = (
    "You are a careful neuroscience assistant. Base every statement on the atlas labels and "
    "studies given in the prompt. Never invent studies, PMIDs, citations or findings; when the "
    "evidence is missing or insufficient, say so."
)

#: Default model, as in coord2region.
DEFAULT_MODEL = "gemini-2.0-flash"

Coordinate = list[float] | tuple[float, float, float]


def summary_messages(
    studies: list[dict[str, Any]],
    coordinate: Coordinate,
    prompt_type: str = "summary",
    atlas_labels: Mapping[str, str] | None = None,
    custom_prompt: str | None = None,
    radius_mm: float | None = None,
) -> list[dict[str, str]]:
    """Build the chat messages of one summary request.

    Parameters
    ----------
    studies, coordinate, prompt_type, atlas_labels, custom_prompt, radius_mm
        As in :func:`generate_summary`.

    Returns
    -------
    list of dict
        A system message and a user message.
    """
    prompt = generate_llm_prompt(
        studies,
        coordinate,
        prompt_type=prompt_type,
        prompt_template=custom_prompt,
        atlas_labels=atlas_labels,
        radius_mm=radius_mm,
    )
    return [{"role": "system", "content": SUMMARY_SYSTEM_MESSAGE}, {"role": "user", "content": prompt}]


def generate_summary(
    ai: AIModelInterface,
    studies: list[dict[str, Any]],
    coordinate: Coordinate,
    prompt_type: str = "summary",
    model: str = DEFAULT_MODEL,
    atlas_labels: dict[str, str] | None = None,
    custom_prompt: str | None = None,
    max_tokens: int = 1000,
    *,
    radius_mm: float | None = None,
    use_cache: bool = True,
) -> str:
    """Generate a text summary for a coordinate based on studies.

    Parameters
    ----------
    ai : AIModelInterface
        Client used for the request.
    studies : list of dict
        Studies with foci near the coordinate (may be empty).
    coordinate : (3,) sequence of float
        MNI coordinate in mm.
    prompt_type : str, optional
        Key of :data:`~c2r_db.ai.prompts.LLM_PROMPT_TEMPLATES`; ``"custom"``
        (or any value) is overridden by ``custom_prompt``.
    model : str, optional
        Registered model name.
    atlas_labels : dict of str to str, optional
        Region label per atlas, prepended to the prompt.
    custom_prompt : str, optional
        Template with ``{coord}`` and ``{studies}`` placeholders.
    max_tokens : int, optional
        Maximum completion length.
    radius_mm : float, optional
        Search radius used to find the studies, named in the prompt.
    use_cache : bool, optional
        Answer from, and store into, the response cache.

    Returns
    -------
    str
    """
    messages = summary_messages(studies, coordinate, prompt_type, atlas_labels, custom_prompt, radius_mm)
    return ai.generate_text(model, messages, max_tokens=max_tokens, use_cache=use_cache)


async def generate_summary_async(
    ai: AIModelInterface,
    studies: list[dict[str, Any]],
    coordinate: Coordinate,
    prompt_type: str = "summary",
    model: str = DEFAULT_MODEL,
    atlas_labels: dict[str, str] | None = None,
    custom_prompt: str | None = None,
    max_tokens: int = 1000,
    *,
    radius_mm: float | None = None,
    use_cache: bool = True,
) -> str:
    """Asynchronously generate a text summary; see :func:`generate_summary`."""
    messages = summary_messages(studies, coordinate, prompt_type, atlas_labels, custom_prompt, radius_mm)
    return await ai.generate_text_async(model, messages, max_tokens=max_tokens, use_cache=use_cache)


def stream_summary(
    ai: AIModelInterface,
    studies: list[dict[str, Any]],
    coordinate: Coordinate,
    prompt_type: str = "summary",
    model: str = DEFAULT_MODEL,
    atlas_labels: dict[str, str] | None = None,
    custom_prompt: str | None = None,
    max_tokens: int = 1000,
    *,
    radius_mm: float | None = None,
    use_cache: bool = True,
) -> Iterator[str]:
    """Stream a text summary in chunks; see :func:`generate_summary`.

    Returns
    -------
    iterator of str
        Text chunks in the order the model produced them.
    """
    messages = summary_messages(studies, coordinate, prompt_type, atlas_labels, custom_prompt, radius_mm)
    return ai.stream_generate_text(model, messages, max_tokens=max_tokens, use_cache=use_cache)


def generate_batch_summaries(
    ai: AIModelInterface,
    coord_studies_pairs: list[tuple[Coordinate, list[dict[str, Any]]]],
    prompt_type: str = "summary",
    model: str = DEFAULT_MODEL,
    custom_prompt: str | None = None,
    max_tokens: int = 1000,
    *,
    atlas_labels: Sequence[Mapping[str, str] | None] | None = None,
    radius_mm: float | None = None,
    max_concurrency: int = 4,
    use_cache: bool = True,
) -> list[str]:
    """Generate summaries for many coordinates, concurrently, in input order.

    At most ``max_concurrency`` requests run at once (one at a time when the
    model's provider does not support batching). If a request fails for good,
    the requests not yet started are cancelled and its
    :class:`~c2r_db.ai.errors.AIRequestError` is raised; the summaries already
    received are cached, so running the batch again only pays for the rest.

    Parameters
    ----------
    ai : AIModelInterface
        Client used for the requests.
    coord_studies_pairs : list of (coordinate, studies)
        One entry per coordinate.
    prompt_type, model, custom_prompt, max_tokens, radius_mm, use_cache
        As in :func:`generate_summary`, applied to every entry.
    atlas_labels : sequence of dict, optional
        Atlas labels per entry, aligned with ``coord_studies_pairs``.
    max_concurrency : int, optional
        Most requests in flight at once.

    Returns
    -------
    list of str
        One summary per entry, in input order.
    """
    labels = list(atlas_labels) if atlas_labels is not None else [None] * len(coord_studies_pairs)
    if len(labels) != len(coord_studies_pairs):
        raise ValueError("atlas_labels must have one entry per coordinate")
    workers = max(1, max_concurrency) if ai.supports_batching(model) else 1

    def summarise(index: int) -> str:
        coordinate, studies = coord_studies_pairs[index]
        messages = summary_messages(studies, coordinate, prompt_type, labels[index], custom_prompt, radius_mm)
        return ai.generate_text(model, messages, max_tokens=max_tokens, use_cache=use_cache)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="c2r-summary") as pool:
        futures = [pool.submit(summarise, index) for index in range(len(coord_studies_pairs))]
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
