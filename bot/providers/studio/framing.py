"""Head-and-shoulders framing: where to crop a photo around its face."""

from __future__ import annotations

from dataclasses import dataclass

from bot.providers.studio.face import FaceBox

# Share of the frame height the face box fills, and where the eye line sits from the top.
FACE_FRACTION = 0.40
EYE_LINE = 0.36
# How far the face may drift from its ideal place to keep the crop inside the photo.
_MAX_SHIFT_X = 0.07
_MAX_SHIFT_Y = 0.04
_ZOOM_STEPS = (1.0, 0.95, 0.9, 0.86, 0.82)


@dataclass(frozen=True)
class Crop:
    """A crop rectangle in source pixels; it may reach outside the photo."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        """Right edge."""
        return self.left + self.width

    @property
    def bottom(self) -> float:
        """Bottom edge."""
        return self.top + self.height

    def overflow(self, image_width: int, image_height: int) -> float:
        """How far the crop leaves the photo at the sides and bottom (the top may leave freely)."""
        return (
            max(0.0, -self.left) + max(0.0, self.right - image_width) + max(0.0, self.bottom - image_height)
        )


def _shifted(value: float, low_gap: float, high_gap: float, limit: float) -> float:
    """Move by up to `limit` to close whichever gap is open (negative = outside the photo)."""
    if low_gap < 0 <= high_gap:
        return min(-low_gap, limit, high_gap) + value
    if high_gap < 0 <= low_gap:
        return value - min(-high_gap, limit, low_gap)
    return value


def head_and_shoulders(
    face: FaceBox, image_width: int, image_height: int, ratio: float, tightness: float = 1.0
) -> Crop:
    """A crop with the eyes near the upper third and the face ~40% of the height.

    `ratio` is width / height. `tightness` above 1 frames closer. When the ideal crop leaves
    the photo, the face first drifts a little off its ideal place, then the crop zooms in a
    little; whatever still overflows is left for the background to fill.
    """
    best: Crop | None = None
    for zoom in _ZOOM_STEPS:
        height = face.height / (FACE_FRACTION * tightness) * zoom
        width = height * ratio
        left = face.center_x - width / 2
        top = face.eye_y - EYE_LINE * height
        left = _shifted(left, left, image_width - (left + width), _MAX_SHIFT_X * width)
        top = _shifted(top, top, image_height - (top + height), _MAX_SHIFT_Y * height)
        crop = Crop(left, top, width, height)
        if (
            best is None
            or crop.overflow(image_width, image_height) < best.overflow(image_width, image_height) - 1
        ):
            best = crop
        if crop.overflow(image_width, image_height) <= 0.5:
            break
    assert best is not None
    return best
