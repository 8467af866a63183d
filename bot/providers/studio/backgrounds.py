"""Procedural backdrops: each is drawn small, blurred, and scaled up, so it costs a few milliseconds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

from bot.options import Background

FloatImage = npt.NDArray[np.float32]
Colour = tuple[float, float, float]

# Backdrops are smooth, so they are drawn at 1/_DOWNSCALE and enlarged.
_DOWNSCALE = 8
_GRAIN = 1.4 / 255  # breaks up banding in smooth gradients

_GRADIENT_PAIRS: tuple[tuple[Colour, Colour], ...] = (
    ((0.13, 0.20, 0.33), (0.42, 0.60, 0.66)),  # navy to teal
    ((0.22, 0.23, 0.27), (0.55, 0.60, 0.70)),  # charcoal to slate blue
    ((0.45, 0.30, 0.42), (0.93, 0.72, 0.62)),  # plum to peach
    ((0.16, 0.28, 0.24), (0.66, 0.74, 0.62)),  # forest to sage
)
_BLOB_COLOURS: tuple[Colour, ...] = (
    (0.95, 0.45, 0.35),
    (0.30, 0.55, 0.95),
    (0.98, 0.80, 0.30),
    (0.55, 0.35, 0.85),
    (0.25, 0.80, 0.70),
    (0.95, 0.45, 0.70),
)


def _grid(width: int, height: int) -> tuple[FloatImage, FloatImage]:
    """x in [0, 1] across, y in [0, 1] down, shaped for broadcasting."""
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    return x, y


def _fill(colour: Colour, shape: tuple[int, int]) -> FloatImage:
    return np.broadcast_to(np.array(colour, np.float32), (*shape, 3)).copy()


def _soft(image: FloatImage, radius: float) -> FloatImage:
    pixels = Image.fromarray(np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8))
    blurred = np.asarray(pixels.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    result: FloatImage = (blurred / 255).astype(np.float32)
    return result


def _blob(x: FloatImage, y: FloatImage, cx: float, cy: float, radius: float, aspect: float) -> FloatImage:
    """A soft round spot (1 at the centre), round on screen whatever the canvas shape."""
    d2 = ((x - cx) * aspect) ** 2 + (y - cy) ** 2
    result: FloatImage = np.exp(-d2 / (2 * radius * radius)).astype(np.float32)
    return result


def _studio_white(x: FloatImage, y: FloatImage, rng: np.random.Generator, variation: int) -> FloatImage:
    tint = (0.004, 0.0, -0.004) if variation % 2 else (-0.002, 0.0, 0.003)
    base = np.array([0.976 + tint[0], 0.975 + tint[1], 0.972 + tint[2]], np.float32)
    falloff = ((x - 0.5) ** 2 + (y - 0.35) ** 2) * (0.03 + 0.01 * (variation % 3))
    shade: FloatImage = (base[None, None, :] - falloff[..., None]).astype(np.float32)
    return shade


def _studio_gray(x: FloatImage, y: FloatImage, rng: np.random.Generator, variation: int) -> FloatImage:
    level = 0.46 + 0.04 * (variation % 3) + float(rng.uniform(-0.015, 0.015))
    tint = (
        np.array([0.0, 0.004, 0.014], np.float32)
        if variation % 2 == 0
        else np.array([0.012, 0.004, 0.0], np.float32)
    )
    aspect = x.shape[1] / y.shape[0]
    spot = 0.15 * _blob(x, y, 0.5 + 0.1 * (variation - 1.5) / 1.5, 0.32, 0.32, aspect)
    vignette = 0.22 * ((x - 0.5) ** 2 * 1.3 + (y - 0.45) ** 2)
    value = level + spot - vignette
    shade: FloatImage = (value[..., None] + tint).astype(np.float32)
    return shade


def _office(x: FloatImage, y: FloatImage, rng: np.random.Generator, variation: int) -> FloatImage:
    height, width = y.shape[0], x.shape[1]
    palette = np.array(
        [(0.80, 0.74, 0.64), (0.88, 0.86, 0.82), (0.52, 0.40, 0.30), (0.70, 0.62, 0.52), (0.93, 0.93, 0.90)],
        np.float32,
    )
    edges = np.sort(rng.uniform(0, 1, 7)).astype(np.float32)
    bands = np.searchsorted(edges, x[0]) % len(palette)
    image = np.broadcast_to(
        palette[(bands + variation) % len(palette)][None, :, :], (height, width, 3)
    ).copy()
    image *= (1.0 - 0.22 * np.clip((y - 0.7) / 0.3, 0, 1))[..., None]  # darker floor
    image *= (0.92 + 0.08 * (1 - y))[..., None]
    aspect = width / height
    warm = np.array([1.0, 0.86, 0.6], np.float32)
    for _ in range(5 + variation % 3):
        cx, cy = float(rng.uniform(0, 1)), float(rng.uniform(0.05, 0.55))
        image += 0.35 * _blob(x, y, cx, cy, float(rng.uniform(0.02, 0.05)), aspect)[..., None] * warm
    return _soft(np.clip(image, 0, 1), max(width, height) / 28)


def _outdoor(x: FloatImage, y: FloatImage, rng: np.random.Generator, variation: int) -> FloatImage:
    height, width = y.shape[0], x.shape[1]
    sky = np.array([0.80, 0.88, 0.96], np.float32)
    leaf = np.array([0.30, 0.47, 0.26], np.float32) * (0.9 + 0.1 * (variation % 3))
    phase = float(rng.uniform(0, 6.3))
    treeline = 0.32 + 0.06 * np.sin(x * 9 + phase) + 0.03 * np.sin(x * 23 + 2 * phase)
    mix = np.clip((y - treeline) / 0.12, 0, 1)[..., None]
    image = sky * (1 - mix) + leaf * mix
    aspect = width / height
    for _ in range(9):
        cx, cy = float(rng.uniform(0, 1)), float(rng.uniform(0.25, 1.0))
        shade = float(rng.uniform(-0.12, 0.16))
        image = image + shade * _blob(x, y, cx, cy, float(rng.uniform(0.05, 0.12)), aspect)[..., None]
    sun = np.array([1.0, 0.95, 0.75], np.float32)
    for _ in range(6):
        cx, cy = float(rng.uniform(0, 1)), float(rng.uniform(0.15, 0.6))
        image = image + 0.25 * _blob(x, y, cx, cy, 0.025, aspect)[..., None] * sun
    return _soft(np.clip(image, 0, 1).astype(np.float32), max(width, height) / 30)


def _gradient(x: FloatImage, y: FloatImage, rng: np.random.Generator, variation: int) -> FloatImage:
    start, end = (np.array(c, np.float32) for c in _GRADIENT_PAIRS[(int(rng.integers(4)) + variation) % 4])
    t = np.clip((x * 0.55 + (1 - y) * 0.45), 0, 1)
    t = t * t * (3 - 2 * t)  # smoothstep keeps both tones broad
    image = start * (1 - t[..., None]) + end * t[..., None]
    aspect = x.shape[1] / y.shape[0]
    image = image + 0.06 * _blob(x, y, 0.5, 0.35, 0.35, aspect)[..., None]
    shade: FloatImage = np.clip(image, 0, 1).astype(np.float32)
    return shade


def _abstract(x: FloatImage, y: FloatImage, rng: np.random.Generator, variation: int) -> FloatImage:
    height, width = y.shape[0], x.shape[1]
    dark = variation % 2 == 1
    image = _fill((0.16, 0.16, 0.20) if dark else (0.90, 0.89, 0.88), (height, width))
    aspect = width / height
    first = int(rng.integers(len(_BLOB_COLOURS)))
    for k in range(6):
        colour = np.array(_BLOB_COLOURS[(first + k + variation) % len(_BLOB_COLOURS)], np.float32)
        weight = 0.85 * _blob(
            x, y, float(rng.uniform(0, 1)), float(rng.uniform(0, 1)), float(rng.uniform(0.12, 0.24)), aspect
        )
        image = image * (1 - weight[..., None]) + colour * weight[..., None]
    return _soft(image.astype(np.float32), max(width, height) / 24)


_PAINTERS: dict[Background, Callable[[FloatImage, FloatImage, np.random.Generator, int], FloatImage]] = {
    Background.STUDIO_WHITE: _studio_white,
    Background.STUDIO_GRAY: _studio_gray,
    Background.OFFICE: _office,
    Background.OUTDOOR: _outdoor,
    Background.GRADIENT: _gradient,
    Background.ABSTRACT: _abstract,
}


def render_background(kind: Background, width: int, height: int, seed: int, variation: int = 0) -> FloatImage:
    """A `height` x `width` x 3 backdrop with values in [0, 1]; same arguments, same pixels."""
    rng = np.random.default_rng([seed, variation])
    small_w, small_h = max(4, width // _DOWNSCALE), max(4, height // _DOWNSCALE)
    x, y = _grid(small_w, small_h)
    small = np.clip(_PAINTERS[kind](x, y, rng, variation), 0, 1)
    pixels = Image.fromarray((small * 255 + 0.5).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    image = np.asarray(pixels, dtype=np.float32) / 255
    tile = rng.uniform(-_GRAIN, _GRAIN, (64, 64, 1)).astype(np.float32)
    reps = (-(-height // 64), -(-width // 64), 1)
    result: FloatImage = np.clip(image + np.tile(tile, reps)[:height, :width], 0, 1)
    return result
