"""Pixel plumbing for the studio: crop-and-scale with canvas extension, matte refinement, compositing."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from PIL import Image

from bot.providers.studio.framing import Crop

FloatImage = npt.NDArray[np.float32]


def _box_mean(image: FloatImage, radius: int) -> FloatImage:
    """Mean over a (2r+1)^2 window, edges replicated, via summed-area tables."""
    padded = np.pad(image, radius + 1, mode="edge").astype(np.float64)
    table = padded.cumsum(0).cumsum(1)
    size = 2 * radius + 1
    total = table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    result: FloatImage = (total[: image.shape[0], : image.shape[1]] / (size * size)).astype(np.float32)
    return result


def _resize(image: FloatImage, width: int, height: int, resample: Image.Resampling) -> FloatImage:
    """Resize a float image (2-D, or 3-D channel by channel)."""
    if image.ndim == 2:
        return np.asarray(
            Image.fromarray(image, mode="F").resize((width, height), resample), dtype=np.float32
        )
    channels = [
        _resize(np.ascontiguousarray(image[..., c]), width, height, resample) for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=-1)


def place(
    source: npt.NDArray[np.uint8] | FloatImage,
    crop: Crop,
    width: int,
    height: int,
    *,
    matte: bool = False,
) -> FloatImage:
    """Cut `crop` (in `source` pixels) out of `source` and scale it to `width` x `height`.

    Where the crop leaves the source, edge pixels are repeated, so a torso continues
    downwards; for a `matte`, nothing continues above the photo.
    """
    rows, cols = source.shape[:2]
    scale = width / crop.width
    left, top = max(0, math.floor(crop.left)), max(0, math.floor(crop.top))
    right, bottom = min(cols, math.ceil(crop.right)), min(rows, math.ceil(crop.bottom))
    x0 = min(width - 1, max(0, round((left - crop.left) * scale)))
    x1 = min(width, max(x0 + 1, round((right - crop.left) * scale)))
    y0 = min(height - 1, max(0, round((top - crop.top) * scale)))
    y1 = min(height, max(y0 + 1, round((bottom - crop.top) * scale)))
    piece = source[top:bottom, left:right]
    if piece.dtype == np.uint8:
        resample = Image.Resampling.BICUBIC
        scaled = np.asarray(Image.fromarray(piece).resize((x1 - x0, y1 - y0), resample, reducing_gap=3.0))
        canvas = (scaled / 255).astype(np.float32)
    else:
        canvas = _resize(piece.astype(np.float32), x1 - x0, y1 - y0, Image.Resampling.BILINEAR)
    extra = [(0, 0)] * (canvas.ndim - 2)
    pad_top = y0
    if matte and pad_top:
        canvas = np.pad(canvas, [(pad_top, 0), (0, 0), *extra], mode="constant")
        pad_top = 0
    canvas = np.pad(canvas, [(pad_top, height - y1), (x0, width - x1), *extra], mode="edge")
    result: FloatImage = canvas[:height, :width]
    return result


def side_fade(crop: Crop, source_width: int, width: int) -> FloatImage:
    """Per output column, 1 inside the photo, fading to 0 a little way beyond its sides.

    A shoulder cut by the photo's edge then ends softly instead of as a long smear.
    """
    scale = width / crop.width
    inside_left = (0 - crop.left) * scale
    inside_right = (source_width - crop.left) * scale
    columns = np.arange(width, dtype=np.float32) + 0.5
    outside = np.maximum(inside_left - columns, columns - inside_right).clip(min=0)
    fade_width = 0.03 * width
    result: FloatImage = np.clip(1 - outside / fade_width, 0, 1).astype(np.float32)
    return result


def _spread(values: FloatImage, weight: FloatImage, radius: int) -> tuple[FloatImage, FloatImage]:
    """Local mean colour of `values` over the pixels where `weight` is 1, and how much weight was found."""
    total = _box_mean(weight, radius)
    channels = [
        _box_mean(np.ascontiguousarray(values[..., c]) * weight, radius) for c in range(values.shape[2])
    ]
    mean = (np.stack(channels, axis=-1) / np.maximum(total, 1e-6)[..., None]).astype(np.float32)
    return mean, total


def refine_matte(alpha: FloatImage, image: FloatImage, radius_fraction: float = 0.03) -> FloatImage:
    """Sharpen a blurry upscaled matte against the photo's own colours.

    Inside the soft band of the matte, each pixel is explained as a mix of the nearby sure
    person colour and the nearby sure background colour; the mix is its new alpha. Where the
    two colours are too alike to tell apart, the blurry matte stays.
    """
    height, width = alpha.shape
    step = max(1, round(max(height, width) / 512))
    small_w, small_h = max(8, width // step), max(8, height // step)
    pixels = _resize(image, small_w, small_h, Image.Resampling.BOX)
    coarse = _resize(alpha, small_w, small_h, Image.Resampling.BOX)
    radius = max(2, round(radius_fraction * max(small_w, small_h)))
    sure_fg = (coarse > 0.97).astype(np.float32)
    sure_bg = (coarse < 0.03).astype(np.float32)
    fg_colour, fg_found = _spread(pixels, sure_fg, radius)
    bg_colour, bg_found = _spread(pixels, sure_bg, radius)
    difference = fg_colour - bg_colour
    separation = np.sum(difference * difference, axis=-1)
    mix = np.sum((pixels - bg_colour) * difference, axis=-1) / np.maximum(separation, 1e-6)
    trust = np.clip(separation / 0.03, 0, 1) * (fg_found > 0.02) * (bg_found > 0.02)
    band = (coarse > 0.01) & (coarse < 0.99)
    refined = np.where(band, trust * np.clip(mix, 0, 1) + (1 - trust) * coarse, coarse).astype(np.float32)
    smooth = _box_mean(refined, 1)
    result: FloatImage = np.clip(_resize(smooth, width, height, Image.Resampling.BILINEAR), 0, 1)
    return result


def decontaminate(image: FloatImage, alpha: FloatImage, radius_fraction: float = 0.02) -> FloatImage:
    """Replace the colours at the person's edge with colours from just inside it.

    Edge pixels mix the person with the old background; compositing them on a new one
    leaves a halo. Spreading the inner colours outwards (a normalised blur) removes it.
    """
    height, width = alpha.shape
    step = max(1, round(max(height, width) / 256))
    small_w, small_h = max(8, width // step), max(8, height // step)
    inner = (alpha > 0.92).astype(np.float32)
    radius = max(1, round(radius_fraction * max(small_w, small_h)))
    weight = _box_mean(_resize(inner, small_w, small_h, Image.Resampling.BOX), radius)
    spread = np.stack(
        [
            _box_mean(
                _resize(np.ascontiguousarray(image[..., c] * inner), small_w, small_h, Image.Resampling.BOX),
                radius,
            )
            for c in range(3)
        ],
        axis=-1,
    )
    spread /= np.maximum(weight, 1e-4)[..., None]
    inside = _resize(spread, width, height, Image.Resampling.BILINEAR)
    has_inside = _resize(weight, width, height, Image.Resampling.BILINEAR)[..., None] > 1e-3
    keep = np.clip((alpha - 0.55) / 0.4, 0, 1)[..., None]
    mixed = image * keep + inside * (1 - keep)
    result: FloatImage = np.where(has_inside, mixed, image).astype(np.float32)
    return result


def composite(person: FloatImage, alpha: FloatImage, background: FloatImage) -> npt.NDArray[np.uint8]:
    """Lay the person over the background and quantise."""
    a = alpha[..., None]
    out = person * a + background * (1 - a)
    result: npt.NDArray[np.uint8] = (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)
    return result
