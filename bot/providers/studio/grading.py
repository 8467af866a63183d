"""Tone and colour grades, one per style, applied to the person before compositing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.options import Style

FloatImage = npt.NDArray[np.float32]

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
# Faces are brought towards this mean luma (sRGB values) before grading, within limits, so a
# dim phone photo and a bright studio shot end up comparable.
_FACE_LUMA = 0.52
_GAIN_RANGE = (0.85, 1.45)


@dataclass(frozen=True)
class Grade:
    """A look: positive `warmth` warms, `contrast` in [0, 1] blends towards an S-curve."""

    warmth: float = 0.0
    saturation: float = 1.0
    contrast: float = 0.0
    exposure: float = 1.0
    lift: float = 0.0


GRADES: dict[Style, Grade] = {
    Style.PROFESSIONAL: Grade(warmth=0.01, saturation=1.0, contrast=0.18),
    Style.CASUAL: Grade(warmth=0.05, saturation=1.06, contrast=0.08, lift=0.02),
    Style.CREATIVE: Grade(warmth=0.02, saturation=1.45, contrast=0.3),
    Style.EXECUTIVE: Grade(warmth=-0.005, saturation=0.75, contrast=0.42, exposure=0.98),
    Style.FRIENDLY: Grade(warmth=0.055, saturation=1.12, contrast=0.06, exposure=1.07, lift=0.025),
    Style.EDITORIAL: Grade(warmth=-0.05, saturation=0.88, contrast=0.65),
}


def luma(image: FloatImage) -> npt.NDArray[np.float32]:
    """Perceived brightness of each pixel."""
    result: npt.NDArray[np.float32] = image @ _LUMA
    return result


def exposure_gain(face_pixels: FloatImage) -> float:
    """A brightness gain that moves a face towards a pleasant level, never far."""
    mean = float(luma(face_pixels).mean()) if face_pixels.size else _FACE_LUMA
    if mean <= 1e-3:
        return _GAIN_RANGE[1]
    return float(np.clip(_FACE_LUMA / mean, *_GAIN_RANGE))


def apply_grade(image: FloatImage, style: Style, strength: float = 1.0, gain: float = 1.0) -> FloatImage:
    """Grade an RGB image in [0, 1]; `strength` scales the look (0 = untouched)."""
    look = GRADES[style]
    exposure = gain * (1 + (look.exposure - 1) * strength)
    warmth = look.warmth * strength
    balance = np.array([exposure * (1 + warmth), exposure, exposure * (1 - warmth)], np.float32)
    out = np.clip(image * balance, 0, 1)
    contrast = look.contrast * strength
    if contrast:
        curve = out * out * (3 - 2 * out)
        out += contrast * (curve - out)
    saturation = 1 + (look.saturation - 1) * strength
    if saturation != 1:
        grey = luma(out)[..., None]
        out = grey + saturation * (out - grey)
    lift = look.lift * strength
    if lift:
        out = lift + (1 - lift) * out
    result: FloatImage = np.clip(out, 0, 1).astype(np.float32, copy=False)
    return result
