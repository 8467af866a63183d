"""Person cut-out: GrabCut seeded from the face box, or a soft head-and-shoulders shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

from bot.providers.studio.face import FaceBox

try:
    import cv2
except ImportError:  # the studio still works, with a plainer matte
    cv2 = None  # type: ignore[assignment]

# GrabCut's cost grows fast with size; at this long side it takes well under 0.1 s and the
# edge is refined later against the full-resolution photo.
MATTE_SIDE = 176
_ITERATIONS = 3

FloatImage = npt.NDArray[np.float32]

# GrabCut label values (OpenCV's GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD), kept here so the
# seeds can be built without cv2.
_BGD, _FGD, _PR_BGD, _PR_FGD = 0, 1, 2, 3


@dataclass(frozen=True)
class Matte:
    """A low-resolution alpha (1 = person) covering `region` (left, top, right, bottom) of the photo."""

    alpha: FloatImage
    region: tuple[int, int, int, int]


def _face_grid(
    shape: tuple[int, int], region: tuple[int, int, int, int], face: FaceBox
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Coordinates in face units: u = 0 on the face's centre line, v = 0 at its top, 1 at the chin."""
    rows, cols = shape
    left, top, right, bottom = region
    xs = left + (np.arange(cols, dtype=np.float32) + 0.5) * ((right - left) / cols)
    ys = top + (np.arange(rows, dtype=np.float32) + 0.5) * ((bottom - top) / rows)
    u = (xs - face.center_x) / face.width
    v = (ys - face.y) / face.height
    return u[None, :].astype(np.float32), v[:, None].astype(np.float32)


def _shape_prior(u: FloatImage, v: FloatImage) -> npt.NDArray[np.bool_]:
    """A generic head-and-shoulders silhouette."""
    head = ((u / 0.62) ** 2 + ((v - 0.42) / 0.8) ** 2) <= 1.0
    neck = (np.abs(u) < 0.34) & (v > 0.8) & (v < 1.5)
    shoulder_half_width = np.minimum(0.45 + np.maximum(v - 1.2, 0) * 1.8, 1.7)
    torso = (v > 1.2) & (np.abs(u) < shoulder_half_width)
    result: npt.NDArray[np.bool_] = head | neck | torso
    return result


def _allowed(u: FloatImage, v: FloatImage) -> npt.NDArray[np.bool_]:
    """Where a person can plausibly be: beside the head only close to it, anywhere lower down."""
    near_head = ((u / 1.0) ** 2 + ((v - 0.42) / 1.2) ** 2) <= 1.0
    result: npt.NDArray[np.bool_] = near_head | (v > 1.0)
    return result


def _seeds(u: FloatImage, v: FloatImage) -> npt.NDArray[np.uint8]:
    shape = np.broadcast_shapes(u.shape, v.shape)
    seeds = np.full(shape, _PR_BGD, dtype=np.uint8)
    seeds[np.broadcast_to(_shape_prior(u, v), shape)] = _PR_FGD
    abs_u = np.abs(u)
    beside_head = (abs_u > 0.92) & (v > -0.3) & (v < 0.85)
    sure_background = (v < -0.85) | beside_head | ((abs_u > 1.35) & (v < 0.95)) | (abs_u > 2.6)
    seeds[np.broadcast_to(sure_background, shape)] = _BGD
    inner_face = (abs_u < 0.3) & (v > 0.15) & (v < 0.95)
    spine = (abs_u < 0.25) & (v > 1.0)
    chest = (abs_u < 0.7) & (v > 1.9)
    seeds[np.broadcast_to(inner_face | spine | chest, shape)] = _FGD
    return seeds


def _low_res(rgb: npt.NDArray[np.uint8], region: tuple[int, int, int, int]) -> npt.NDArray[np.uint8]:
    left, top, right, bottom = region
    width, height = right - left, bottom - top
    scale = min(1.0, MATTE_SIDE / max(width, height))
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    part = Image.fromarray(rgb[top:bottom, left:right])
    return np.asarray(part.resize(size, Image.Resampling.BOX))


def _blurred(mask: npt.NDArray[np.float32], radius: float) -> FloatImage:
    image = Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8))
    soft = np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    result: FloatImage = (soft / 255).astype(np.float32)
    return result


def _keep_person(foreground: npt.NDArray[np.bool_], u: FloatImage, v: FloatImage) -> npt.NDArray[np.bool_]:
    """Only the blob that holds the face, with its holes filled."""
    assert cv2 is not None
    count, labels = cv2.connectedComponents(foreground.astype(np.uint8), connectivity=8)
    shape = foreground.shape
    centre = np.broadcast_to((np.abs(u) < 0.2) & (v > 0.3) & (v < 0.8), shape)
    face_labels = labels[centre & foreground]
    if count <= 1 or face_labels.size == 0:
        return foreground
    person = labels == np.bincount(face_labels).argmax()
    count, holes = cv2.connectedComponents((~person).astype(np.uint8), connectivity=4)
    border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
    filled: npt.NDArray[np.bool_] = person | ~np.isin(holes, border)
    return filled


def person_matte(rgb: npt.NDArray[np.uint8], face: FaceBox, region: tuple[int, int, int, int]) -> Matte:
    """Cut the person out of `region` of the photo; the result is soft at the edge."""
    small = _low_res(rgb, region)
    u, v = _face_grid(small.shape[:2], region, face)
    if cv2 is None:
        prior = np.broadcast_to(_shape_prior(u, v), small.shape[:2]).astype(np.float32)
        return Matte(_blurred(prior, max(small.shape[:2]) / 60), region)
    mask = _seeds(u, v)
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    # GrabCut seeds its k-means from OpenCV's per-thread generator: fix it for repeatable output.
    cv2.setRNGSeed(0x5EED)
    bgr = np.ascontiguousarray(small[:, :, ::-1])
    try:
        cv2.grabCut(
            bgr, mask, (0, 0, 1, 1), background_model, foreground_model, _ITERATIONS, cv2.GC_INIT_WITH_MASK
        )
    except cv2.error:
        # Degenerate colour statistics (e.g. a flat photo) make GrabCut give up; use the shape.
        mask = _seeds(u, v)
    # GrabCut knows colour, not anatomy: a skin-toned object beside the head joins the person.
    foreground = ((mask == _FGD) | (mask == _PR_FGD)) & _allowed(u, v)
    person = _keep_person(foreground, u, v)
    return Matte(_blurred(person.astype(np.float32), 0.7), region)
