"""Visible watermark for AI-generated images (Pillow, imported lazily).

AI images of brain regions are illustrations, not anatomy: every image returned
by :func:`~c2r_db.ai.images.generate_region_image` carries a translucent band
saying so unless the caller opts out.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Text written on generated images.
WATERMARK_TEXT = "AI-generated illustration - not anatomical data"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(data: bytes) -> bool:
    """Return whether ``data`` starts with the PNG signature."""
    return data.startswith(PNG_SIGNATURE)


def to_png(data: bytes) -> bytes:
    """Re-encode an image (PNG, JPEG, WebP, ...) as PNG; PNG input is returned as is.

    Parameters
    ----------
    data : bytes
        Encoded image.

    Returns
    -------
    bytes
        PNG-encoded image.
    """
    if is_png(data):
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return _encode_png(image.convert("RGBA" if image.mode in {"RGBA", "LA", "P"} else "RGB"))


def add_watermark(data: bytes, text: str = WATERMARK_TEXT, opacity: float = 0.6) -> bytes:
    """Draw a translucent band with ``text`` across the bottom of an image.

    Parameters
    ----------
    data : bytes
        Encoded image in any format Pillow reads.
    text : str, optional
        Watermark text.
    opacity : float, optional
        Opacity of the band, from 0 (invisible) to 1.

    Returns
    -------
    bytes
        The watermarked image, PNG-encoded.
    """
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGBA")
    width, height = image.size
    band = max(10, height // 12)
    font_size = max(6, min(band * 0.7, 1.8 * width / max(1, len(text))))
    font = ImageFont.load_default(size=font_size)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    alpha = round(255 * min(1.0, max(0.0, opacity)))
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0, alpha))
    draw.text((width / 2, height - band / 2), text, font=font, fill=(255, 255, 255, alpha), anchor="mm")
    return _encode_png(Image.alpha_composite(image, overlay).convert("RGB"))


def _encode_png(image: PILImage) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
