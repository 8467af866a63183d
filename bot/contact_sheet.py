"""A contact sheet: one image of numbered thumbnails, so a 60-image pack can be browsed at a glance."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

THUMB = 200
GAP = 8
LABEL_HEIGHT = 22
MAX_SOURCE_PIXELS = 50_000_000  # larger images get a blank cell rather than a full decode


def render_contact_sheet(paths: Sequence[Path], columns: int = 10) -> bytes:
    """Numbered thumbnails (1..n, in order) on a white sheet, as JPEG bytes."""
    count = len(paths)
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    cell_h = THUMB + LABEL_HEIGHT
    sheet = Image.new("RGB", (GAP + columns * (THUMB + GAP), GAP + rows * (cell_h + GAP)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    for number, path in enumerate(paths, start=1):
        row, col = divmod(number - 1, columns)
        x = GAP + col * (THUMB + GAP)
        y = GAP + row * (cell_h + GAP)
        try:
            with Image.open(path) as image:
                if image.width * image.height > MAX_SOURCE_PIXELS:
                    raise ValueError(f"{image.width} x {image.height} pixels")
                image.draft("RGB", (THUMB, THUMB))  # JPEG: decode at the smallest scale still as large as a cell
                thumb = image.convert("RGB")
                thumb.thumbnail((THUMB, THUMB))
        except Exception:  # one unreadable image (even a decompression bomb) must not cost the whole sheet
            thumb = Image.new("RGB", (THUMB, THUMB), (230, 230, 230))
        sheet.paste(thumb, (x + (THUMB - thumb.width) // 2, y + (THUMB - thumb.height) // 2))
        draw.text((x + THUMB // 2, y + THUMB + 2), str(number), fill="black", font=font, anchor="ma")
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=85)
    return out.getvalue()
