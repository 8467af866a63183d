"""The studio pipeline: pick the best photo, frame it, cut the person out, light and grade."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from bot.i18n import Phrase, phrase
from bot.options import AspectRatio, Options, Quality
from bot.photos import NO_PHOTOS, Photo
from bot.ports import ProviderError
from bot.providers.studio.backgrounds import render_background
from bot.providers.studio.compose import composite, decontaminate, place, side_fade
from bot.providers.studio.cutout import Matte, person_matte
from bot.providers.studio.face import FaceBox, find_face
from bot.providers.studio.framing import Crop, head_and_shoulders
from bot.providers.studio.grading import apply_grade, exposure_gain

LONG_SIDE = {Quality.STANDARD: 1024, Quality.HIGH: 2048}
JPEG_QUALITY = 92
# Per variation: how tight the framing is and how strongly the style's grade is applied.
_VARIATIONS = ((1.0, 1.0), (1.1, 0.8), (0.9, 1.2), (1.05, 0.9))


@dataclass(frozen=True)
class _Subject:
    """The photo chosen as the base and its face."""

    index: int
    pixels: npt.NDArray[np.uint8]
    face: FaceBox


def output_size(aspect_ratio: AspectRatio, quality: Quality) -> tuple[int, int]:
    """Width and height: the long side is fixed by quality, the short side follows the ratio."""
    long_side = LONG_SIDE[quality]
    ratio = aspect_ratio.ratio
    if ratio >= 1:
        return long_side, round(long_side / ratio)
    return round(long_side * ratio), long_side


def _decode(photo: Photo) -> npt.NDArray[np.uint8]:
    with Image.open(io.BytesIO(photo.data)) as image:
        return np.asarray(image.convert("RGB"))


def _no_face_message(count: int) -> Phrase:
    if count == 1:
        return phrase("I couldn't find a face in your photo — please send a clear, front-facing portrait.")
    if count == 2:
        return phrase("I couldn't find a face in either of your photos — please send a clear, front-facing portrait.")
    return phrase(
        "I couldn't find a face in any of your {count} photos — please send a clear, front-facing portrait.",
        count=count,
    )


def _choose_subject(photos: Sequence[Photo]) -> _Subject:
    """The photo with the largest face: it has the most detail to work with."""
    best: _Subject | None = None
    for index, photo in enumerate(photos):
        try:
            pixels = _decode(photo)
        except Exception as error:  # a Photo has been checked already; anything here is our bug
            raise ProviderError(phrase("I couldn't read photo {number}.", number=index + 1), raw=repr(error)) from error
        face = find_face(pixels)
        if face is not None and (best is None or face.height > best.face.height):
            best = _Subject(index, pixels, face)
    if best is None:
        raise ProviderError(_no_face_message(len(photos)))
    return best


def _seed(photos: Sequence[Photo]) -> int:
    digest = hashlib.sha256()
    for photo in photos:
        digest.update(hashlib.sha256(photo.data).digest())
    return int.from_bytes(digest.digest()[:8], "big")


def headshot_region(face: FaceBox, width: int, height: int) -> tuple[int, int, int, int]:
    """The part of the photo any headshot of `face` can show: every ratio at the loosest framing.

    The person is cut out of this region once, whatever the options, so every variation and
    ratio shares one matte.
    """
    loosest = min(tightness for tightness, _ in _VARIATIONS)
    crops = [head_and_shoulders(face, width, height, ratio.ratio, loosest) for ratio in AspectRatio]
    left = max(0, math.floor(min(c.left for c in crops)))
    top = max(0, math.floor(min(c.top for c in crops)))
    right = min(width, math.ceil(max(c.right for c in crops)))
    bottom = min(height, math.ceil(max(c.bottom for c in crops)))
    return left, top, right, bottom


def _matte_crop(matte: Matte, crop: Crop) -> Crop:
    """`crop` in the matte's own pixels."""
    left, top, right, bottom = matte.region
    scale_x = matte.alpha.shape[1] / (right - left)
    scale_y = matte.alpha.shape[0] / (bottom - top)
    return Crop(
        (crop.left - left) * scale_x, (crop.top - top) * scale_y, crop.width * scale_x, crop.height * scale_y
    )


def _face_gain(subject: _Subject) -> float:
    face = subject.face
    x0, x1 = round(face.x + 0.25 * face.width), round(face.x + 0.75 * face.width)
    y0, y1 = round(face.y + 0.3 * face.height), round(face.y + 0.85 * face.height)
    rows, cols = subject.pixels.shape[:2]
    patch = subject.pixels[max(0, y0) : min(rows, y1), max(0, x0) : min(cols, x1)]
    return exposure_gain((patch / 255).astype(np.float32))


def _encode(pixels: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def render_headshots(photos: Sequence[Photo], options: Options) -> list[bytes]:
    """Make `options.count` headshots (JPEG bytes) from the best of `photos`.

    Raises `ProviderError` when no photo shows a face. Same photos and options, same bytes.
    """
    if not photos:
        raise ProviderError(NO_PHOTOS)
    subject = _choose_subject(photos)
    rows, cols = subject.pixels.shape[:2]
    width, height = output_size(options.aspect_ratio, options.quality)
    variations = [_VARIATIONS[i % len(_VARIATIONS)] for i in range(options.count)]
    crops = [
        head_and_shoulders(subject.face, cols, rows, options.aspect_ratio.ratio, tightness)
        for tightness, _ in variations
    ]
    matte = person_matte(subject.pixels, subject.face, headshot_region(subject.face, cols, rows))
    gain = _face_gain(subject)
    seed = _seed(photos)
    results: list[bytes] = []
    for index, (crop, (_, strength)) in enumerate(zip(crops, variations, strict=True)):
        person = place(subject.pixels, crop, width, height)
        alpha = place(matte.alpha, _matte_crop(matte, crop), width, height, matte=True)
        alpha = alpha * side_fade(crop, cols, width)[None, :]
        person = decontaminate(person, alpha)
        person = apply_grade(person, options.style, strength, gain)
        background = render_background(options.background, width, height, seed, index)
        results.append(_encode(composite(person, alpha, background)))
    return results
