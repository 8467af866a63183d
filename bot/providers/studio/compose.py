"""Pixel plumbing for the studio: crop-and-scale with canvas extension, matte refinement, compositing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from bot.providers.studio.framing import Crop

try:
    import cv2
except ImportError:
    cv2 = None  # type: ignore[assignment]

FloatImage = npt.NDArray[np.float32]


def _box_mean(image: npt.NDArray[Any], radius: int) -> FloatImage:
    """Mean over a (2r+1)^2 window, edges replicated (OpenCV's box filter, or summed-area tables)."""
    if cv2 is not None:
        size = 2 * radius + 1
        mean = cv2.boxFilter(
            np.ascontiguousarray(image, dtype=np.float32), -1, (size, size), borderType=cv2.BORDER_REPLICATE
        )
        return np.asarray(mean, dtype=np.float32)
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


def _means(channels: Sequence[npt.NDArray[Any]], radius: int) -> list[FloatImage]:
    return [_box_mean(np.ascontiguousarray(c), radius) for c in channels]


def guided_filter(alpha: FloatImage, image: FloatImage, radius: int, eps: float = 1e-3) -> FloatImage:
    """Smooth `alpha` so that its edges follow the colour edges of `image` (a colour-guided filter).

    Within each window alpha is fitted as a linear function of the pixel's colour, so a soft,
    blocky matte takes on the photo's outline: hair, a collar, a shoulder against a wall.
    `eps` keeps flat, noisy areas from being fitted too closely.
    """
    colours = [image[..., c] for c in range(3)]
    mean_c = _means(colours, radius)
    mean_a = _box_mean(alpha, radius)
    cov_ca = [m - mc * mean_a for m, mc in zip(_means([c * alpha for c in colours], radius), mean_c, strict=True)]
    pairs = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    products = _means([colours[i] * colours[j] for i, j in pairs], radius)
    var = {pair: m - mean_c[pair[0]] * mean_c[pair[1]] for pair, m in zip(pairs, products, strict=True)}
    rr, rg, rb, gg, gb, bb = (var[p] + (eps if p[0] == p[1] else 0.0) for p in pairs)
    # The 3 x 3 covariance is symmetric: invert it per pixel by cofactors.
    inv = [
        gg * bb - gb * gb, gb * rb - rg * bb, rg * gb - gg * rb,
        rr * bb - rb * rb, rb * rg - rr * gb, rr * gg - rg * rg,
    ]
    det = rr * inv[0] + rg * inv[1] + rb * inv[2]
    i_rr, i_rg, i_rb, i_gg, i_gb, i_bb = (v / det for v in inv)
    a_r = i_rr * cov_ca[0] + i_rg * cov_ca[1] + i_rb * cov_ca[2]
    a_g = i_rg * cov_ca[0] + i_gg * cov_ca[1] + i_gb * cov_ca[2]
    a_b = i_rb * cov_ca[0] + i_gb * cov_ca[1] + i_bb * cov_ca[2]
    offset = mean_a - a_r * mean_c[0] - a_g * mean_c[1] - a_b * mean_c[2]
    m_r, m_g, m_b, m_o = _means([a_r, a_g, a_b, offset], radius)
    fitted = m_r * colours[0] + m_g * colours[1] + m_b * colours[2] + m_o
    result: FloatImage = np.clip(fitted, 0, 1).astype(np.float32)
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
