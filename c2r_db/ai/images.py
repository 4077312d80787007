"""AI illustrations of brain regions through an OpenAI-compatible images endpoint.

Image templates are ``str.format`` strings that may use any of the
placeholders ``{coordinate}``, ``{region}``, ``{atlas_context}`` and
``{summary}``. Generated images are watermarked by default
(:mod:`c2r_db.ai.watermark`).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

from .client import AIModelInterface
from .prompts import format_coordinate
from .reports import ReasonedReportContext
from .watermark import add_watermark, to_png

#: Things image models should avoid, sent as ``negative_prompt``.
DEFAULT_NEGATIVE_PROMPT = (
    "cartoon, abstract art, texture noise, extra brains, low resolution, blurry, distorted anatomy, "
    "duplicated hemispheres, text, labels, watermark, gore"
)

#: Built-in image prompt templates, keyed by ``image_type``.
IMAGE_PROMPT_TEMPLATES: dict[str, str] = {
    "anatomical": (
        "Anatomically accurate medical illustration of the human brain highlighting {region} around "
        "MNI coordinate {coordinate} mm, shown in standard radiological views on a neutral background. "
        "{atlas_context}"
    ),
    "functional": (
        "Scientific figure of brain activation: a warm-coloured activation blob on {region} at MNI "
        "coordinate {coordinate} mm over a grey anatomical brain, in the style of an fMRI results figure. "
        "{atlas_context} Functional context: {summary}"
    ),
    "schematic": (
        "Clean schematic diagram of a brain outline, seen from the side and from above, with a single "
        "marked point for {region} at MNI coordinate {coordinate} mm; flat colours, textbook style. "
        "{atlas_context}"
    ),
    "artistic": (
        "Artistic but anatomically plausible rendering of the human brain in which {region} (MNI "
        "{coordinate} mm) glows softly. {atlas_context} Inspired by: {summary}"
    ),
}

_IMAGE_FIELDS = frozenset({"coordinate", "region", "atlas_context", "summary"})
_MAX_SUMMARY_CHARS = 300


def _label_text(value: Any) -> str:
    """Return a label from ``"name"`` or ``{"label": "name", ...}``."""
    if isinstance(value, Mapping):
        return str(value.get("label") or value.get("name") or "unknown")
    return str(value)


def _atlas_context(atlas_labels: Mapping[str, Any]) -> str:
    if not atlas_labels:
        return ""
    return "Atlas labels: " + "; ".join(f"{atlas}: {_label_text(v)}" for atlas, v in atlas_labels.items()) + "."


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SUMMARY_CHARS else text[: _MAX_SUMMARY_CHARS - 3].rstrip() + "..."


def region_image_prompt(
    coordinate: Sequence[float],
    region_info: Mapping[str, Any],
    image_type: str = "anatomical",
    include_atlas_labels: bool = True,
    prompt_template: str | None = None,
) -> str:
    """Fill an image template with a coordinate's region information.

    Parameters
    ----------
    coordinate, region_info, image_type, include_atlas_labels, prompt_template
        As in :func:`generate_region_image`.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For an unknown ``image_type`` or unknown template placeholders.
    """
    if prompt_template is None:
        if image_type not in IMAGE_PROMPT_TEMPLATES:
            known = ", ".join(sorted(IMAGE_PROMPT_TEMPLATES))
            raise ValueError(f"unknown image_type {image_type!r}; use one of {known} or pass prompt_template")
        prompt_template = IMAGE_PROMPT_TEMPLATES[image_type]
    fields = {name for _, name, _, _ in string.Formatter().parse(prompt_template) if name is not None}
    if not fields <= _IMAGE_FIELDS:
        raise ValueError(f"unknown image template placeholders: {sorted(fields - _IMAGE_FIELDS)}")
    labels = region_info.get("atlas_labels") or {}
    region = next((_label_text(v) for v in labels.values()), "the target region")
    text = prompt_template.format(
        coordinate=format_coordinate(coordinate),
        region=region,
        atlas_context=_atlas_context(labels) if include_atlas_labels else "",
        summary=_short(str(region_info.get("summary") or "not available")),
    )
    return " ".join(text.split())


def generate_region_image(
    ai: AIModelInterface,
    coordinate: list[float] | tuple[float, float, float],
    region_info: dict[str, Any],
    image_type: str = "anatomical",
    model: str = "stabilityai/stable-diffusion-2",
    include_atlas_labels: bool = True,
    prompt_template: str | None = None,
    retries: int = 3,
    watermark: bool = True,
    **kwargs: Any,
) -> bytes:
    """Generate an image for a brain region using an AI model.

    Parameters
    ----------
    ai : AIModelInterface
        Client used for the request.
    coordinate : (3,) sequence of float
        MNI coordinate in mm.
    region_info : dict
        ``{"atlas_labels": {atlas: label}, "summary": str}``; both optional.
    image_type : str, optional
        Key of :data:`IMAGE_PROMPT_TEMPLATES`.
    model : str, optional
        Registered image model name; it must be served by a registered
        provider's images endpoint (e.g. a local server via
        ``local_openai_models``).
    include_atlas_labels : bool, optional
        Put the atlas labels in the prompt.
    prompt_template : str, optional
        Custom template overriding ``image_type``.
    retries : int, optional
        Number of attempts for the request.
    watermark : bool, optional
        Draw the "AI-generated" band (default).
    **kwargs
        Passed to :meth:`AIModelInterface.generate_image` (``size``,
        ``negative_prompt`` (default :data:`DEFAULT_NEGATIVE_PROMPT`), ...).

    Returns
    -------
    bytes
        PNG image.
    """
    prompt = region_image_prompt(coordinate, region_info, image_type, include_atlas_labels, prompt_template)
    kwargs.setdefault("negative_prompt", DEFAULT_NEGATIVE_PROMPT)
    image = ai.generate_image(model, prompt, retries=retries, **kwargs)
    return add_watermark(image) if watermark else to_png(image)


def build_region_image_request(
    coord: Sequence[float],
    context: ReasonedReportContext,
    *,
    sphere_radius_mm: float = 6,
    negative_prompt: str = DEFAULT_NEGATIVE_PROMPT,
) -> dict[str, Any]:
    """Return prompt components for :meth:`AIModelInterface.generate_image`.

    Use as ``ai.generate_image(model, req["prompt"], negative_prompt=req["negative_prompt"])``.

    Parameters
    ----------
    coord : (3,) sequence of float
        Target MNI coordinate in mm.
    context : ReasonedReportContext
        Source of the hemisphere and atlas labels.
    sphere_radius_mm : float, optional
        Radius of the highlighted sphere.
    negative_prompt : str, optional
        What the image should avoid.

    Returns
    -------
    dict
        ``spec`` (the structured description), ``prompt`` and
        ``negative_prompt``.
    """
    labels = {atlas: _label_text(value) for atlas, value in context.atlas.items()}
    hemisphere = context.hemisphere or "unknown"
    spec = {
        "coordinate_mni": [float(v) for v in coord],
        "hemisphere": hemisphere,
        "sphere_radius_mm": float(sphere_radius_mm),
        "atlas_labels": labels,
        "views": ["sagittal", "coronal", "axial"],
        "background": "MNI152 template brain, greyscale",
    }
    side = f" in the {hemisphere} hemisphere" if hemisphere not in {"unknown", "midline"} else ""
    where = next(iter(labels.values()), "the target region")
    prompt = (
        f"Three-panel neuroimaging figure (sagittal, coronal, axial slices of a greyscale MNI152 brain) "
        f"with a bright sphere of radius {sphere_radius_mm:g} mm centred on MNI coordinate "
        f"{format_coordinate(coord)} mm, in {where}{side}. {_atlas_context(labels)} "
        "Crisp, publication-quality, accurate anatomy."
    )
    return {"spec": spec, "prompt": " ".join(prompt.split()), "negative_prompt": negative_prompt}
