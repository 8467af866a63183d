"""Gallery thumbnails: about 400 pixels wide, made once when a job is delivered."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

THUMB_WIDTH = 400
MAX_HEIGHT = 2 * THUMB_WIDTH  # a very tall result is cut down by height instead
QUALITY = 78
PLACEHOLDER = (214, 214, 220)


def render_thumbnail(data: bytes | Path) -> bytes:
    """A JPEG about `THUMB_WIDTH` pixels wide of an image's bytes, or of the file at a path (a grey tile
    if they do not decode)."""
    try:
        with Image.open(data if isinstance(data, Path) else io.BytesIO(data)) as image:
            width, height = image.size
            # JPEG: decode at the smallest scale still at least as large as the thumbnail (much faster).
            image.draft("RGB", (THUMB_WIDTH, max(1, THUMB_WIDTH * height // max(1, width))))
            thumb = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        thumb = Image.new("RGB", (THUMB_WIDTH, THUMB_WIDTH), PLACEHOLDER)
    thumb.thumbnail((THUMB_WIDTH, MAX_HEIGHT), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image from its bytes, read from the header only."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError):
        return None
