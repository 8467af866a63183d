"""A headshot made into a profile picture: square, around the face, 512 to 1024 pixels, JPEG.

Chat platforms show profile pictures as small squares or circles, so the crop is chosen by the
face, not the centre: the face a little above the middle, with room for hair and shoulders.
Detection runs on a small copy; the square is cut from the full image at its own resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from bot.providers.studio.face import FaceBox, find_face

MAX_SIDE = 1024
MIN_SIDE = 512
# A headshot's face fills much of the picture, so it is looked for in a small copy first (a few
# milliseconds), and only when none is found there, in a larger one (where smaller faces show).
DETECT_SIDES = (128, 256)
# The square is this many face heights tall (the detector's box runs from brow to chin) ...
FACE_HEIGHTS = 2.4
# ... with the face's centre this far down it, so the head sits a little above the middle.
FACE_CENTRE_AT = 0.45
# A small picture's square is cut no smaller than this, so it is never enlarged more than 4:3.
MIN_CROP = MIN_SIDE * 3 // 4
JPEG_QUALITY = 90
# A JPEG decodes at the smallest reduced scale (a half, a quarter, an eighth) whose short side is still
# this long: the square around a face takes about two thirds of it, so 1024 pixels stay within reach.
DRAFT_SHORT_SIDE = 3 * MAX_SIDE // 2
ORIENTATION = 0x0112  # the EXIF tag


@dataclass(frozen=True)
class SquareCrop:
    """Where the square lies in the full image, in its pixels."""

    x: int
    y: int
    side: int


def face_square(width: int, height: int, face: FaceBox | None) -> SquareCrop:
    """The square to cut from a `width` x `height` image: around `face`, or without one, as wide as
    the image allows and nearer the top (portraits put the face in the upper part)."""
    largest = min(width, height)
    if face is None:
        return SquareCrop((width - largest) // 2, round((height - largest) * 0.25), largest)
    side = min(largest, max(round(face.height * FACE_HEIGHTS), MIN_CROP))
    centre_y = face.y + face.height / 2
    x = round(face.center_x - side / 2)
    y = round(centre_y - side * FACE_CENTRE_AT)
    return SquareCrop(min(max(x, 0), width - side), min(max(y, 0), height - side), side)


def _opaque(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _decoded(image_bytes: bytes) -> Image.Image:
    """The image as upright RGB; a JPEG far larger than a square needs decodes at a reduced scale."""
    with Image.open(io.BytesIO(image_bytes)) as opened:
        wide = opened.width >= opened.height
        opened.draft("RGB", (1, DRAFT_SHORT_SIDE) if wide else (DRAFT_SHORT_SIDE, 1))
        opened.load()
        image = _opaque(opened)
    if image.getexif().get(ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    return image


def _find_face(image: Image.Image) -> FaceBox | None:
    """The main face in the image's pixels, looked for in a small copy at each of `DETECT_SIDES` until
    one is found."""
    small = image.reduce(max(1, max(image.size) // (2 * DETECT_SIDES[-1])))  # a cheap box filter first
    pixels = np.asarray(small)
    for side in DETECT_SIDES:
        face = find_face(pixels, detect_side=side)
        if face is not None:
            return face.scaled(image.width / small.width)
    return None


def profile_square(image_bytes: bytes) -> bytes:
    """`image_bytes` (a delivered headshot) as a square JPEG around the face, 512 to 1024 pixels a side.

    The square is cut out before it is resized, so the full picture is held only until then.
    Raises `OSError` (Pillow's `UnidentifiedImageError`) for bytes that are no image.
    """
    image = _decoded(image_bytes)
    crop = face_square(image.width, image.height, _find_face(image))
    region = image.crop((crop.x, crop.y, crop.x + crop.side, crop.y + crop.side))
    del image  # only the square's pixels are kept while it is resized
    side = min(MAX_SIDE, max(MIN_SIDE, crop.side))
    square = region.resize((side, side), Image.Resampling.BICUBIC, reducing_gap=3.0)
    out = io.BytesIO()
    square.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
