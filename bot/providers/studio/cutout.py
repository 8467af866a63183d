"""Person cut-out: GrabCut seeded from a segmentation model, or from the face box alone.

Both paths cut a small copy of the photo, keep the blob that holds the face, and refine the
edge at up to `REFINE_SIDE` pixels with a colour-guided filter against the photo itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

from bot.providers.studio import segmenter
from bot.providers.studio.compose import _resize, guided_filter
from bot.providers.studio.face import FaceBox

try:
    import cv2
except ImportError:  # the studio still works, with a plainer matte
    cv2 = None  # type: ignore[assignment]

# GrabCut's cost grows fast with size: seeded from the face alone it needs few pixels (the
# guided filter brings the detail back); seeded from the model it works on a finer copy.
MATTE_SIDE = 176
MODEL_MATTE_SIDE = 384
# The model's views are cut from a copy this large, and the matte is refined up to this size.
MODEL_INPUT_SIDE = 512
REFINE_SIDE = 1024
_ITERATIONS = 3

FloatImage = npt.NDArray[np.float32]
Region = tuple[int, int, int, int]

# GrabCut label values (OpenCV's GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD), kept here so the
# seeds can be built without cv2.
_BGD, _FGD, _PR_BGD, _PR_FGD = 0, 1, 2, 3


@dataclass(frozen=True)
class Matte:
    """An alpha (1 = person) covering `region` (left, top, right, bottom) of the photo, at any resolution."""

    alpha: FloatImage
    region: Region


def _face_grid(
    shape: tuple[int, int], region: Region, face: FaceBox
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


def _never_person(u: FloatImage, v: FloatImage) -> npt.NDArray[np.bool_]:
    """Far above or beside the head, or far out to the side: background in any portrait."""
    abs_u = np.abs(u)
    beside_head = (abs_u > 0.92) & (v > -0.3) & (v < 0.85)
    result: npt.NDArray[np.bool_] = (v < -0.85) | beside_head | ((abs_u > 1.35) & (v < 0.95)) | (abs_u > 2.6)
    return result


def _inner_face(u: FloatImage, v: FloatImage) -> npt.NDArray[np.bool_]:
    result: npt.NDArray[np.bool_] = (np.abs(u) < 0.3) & (v > 0.15) & (v < 0.95)
    return result


def _face_seeds(u: FloatImage, v: FloatImage) -> npt.NDArray[np.uint8]:
    shape = np.broadcast_shapes(u.shape, v.shape)
    seeds = np.full(shape, _PR_BGD, dtype=np.uint8)
    seeds[np.broadcast_to(_shape_prior(u, v), shape)] = _PR_FGD
    seeds[np.broadcast_to(_never_person(u, v), shape)] = _BGD
    abs_u = np.abs(u)
    spine = (abs_u < 0.25) & (v > 1.0)
    chest = (abs_u < 0.7) & (v > 1.9)
    seeds[np.broadcast_to(_inner_face(u, v) | spine | chest, shape)] = _FGD
    return seeds


def _model_seeds(probability: FloatImage, u: FloatImage, v: FloatImage) -> npt.NDArray[np.uint8]:
    """Sure where the model is sure (well inside its outline), probable elsewhere; the face rules win."""
    assert cv2 is not None
    shape = probability.shape
    seeds = np.where(probability >= 0.5, _PR_FGD, _PR_BGD).astype(np.uint8)
    reach = max(1, round(0.01 * max(shape)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    seeds[cv2.erode((probability > 0.8).astype(np.uint8), disc) > 0] = _FGD
    seeds[cv2.erode((probability < 0.2).astype(np.uint8), disc) > 0] = _BGD
    seeds[np.broadcast_to(_never_person(u, v), shape)] = _BGD
    seeds[np.broadcast_to(_inner_face(u, v), shape)] = _FGD
    return seeds


def _small(rgb: npt.NDArray[np.uint8], region: Region, side: int) -> npt.NDArray[np.uint8]:
    left, top, right, bottom = region
    width, height = right - left, bottom - top
    scale = min(1.0, side / max(width, height))
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    return np.asarray(Image.fromarray(rgb[top:bottom, left:right]).resize(size, Image.Resampling.BOX))


def _blurred(mask: npt.NDArray[np.float32], radius: float) -> FloatImage:
    image = Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8))
    soft = np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    result: FloatImage = (soft / 255).astype(np.float32)
    return result


def _grabcut(small: npt.NDArray[np.uint8], seeds: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    assert cv2 is not None
    mask = seeds.copy()
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    # GrabCut seeds its k-means from OpenCV's per-thread generator: fix it for repeatable output.
    cv2.setRNGSeed(0x5EED)
    try:
        bgr = np.ascontiguousarray(small[:, :, ::-1])
        cv2.grabCut(bgr, mask, (0, 0, 1, 1), background_model, foreground_model, _ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        # Degenerate colour statistics (e.g. a flat photo) make GrabCut give up; keep the seeds.
        mask = seeds
    result: npt.NDArray[np.bool_] = (mask == _FGD) | (mask == _PR_FGD)
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


def _refined(person: FloatImage, rgb: npt.NDArray[np.uint8], region: Region) -> Matte:
    """A soft low-resolution mask, enlarged and fitted to the photo's own edges.

    Only a band along the mask's outline may change: further out, the filter would pick up
    faint copies of strong edges in the background (a flagpole, a door frame).
    """
    assert cv2 is not None
    pixels = _small(rgb, region, REFINE_SIDE)
    rows, cols = pixels.shape[:2]
    coarse = _resize(_blurred(person, 0.7), cols, rows, Image.Resampling.BILINEAR)
    radius = max(2, round(max(rows, cols) / 128))
    fitted = guided_filter(coarse, (pixels / 255).astype(np.float32), radius)
    share = cv2.blur((coarse > 0.5).astype(np.float32), (2 * radius + 1, 2 * radius + 1))
    near_outline = (share > 0.01) & (share < 0.99)
    return Matte(np.where(near_outline, fitted, coarse).astype(np.float32), region)


def face_seeded_matte(rgb: npt.NDArray[np.uint8], face: FaceBox, region: Region) -> Matte:
    """GrabCut seeded from a head-and-shoulders shape around the face (needs no model)."""
    small = _small(rgb, region, MATTE_SIDE)
    u, v = _face_grid(small.shape[:2], region, face)
    if cv2 is None:
        prior = np.broadcast_to(_shape_prior(u, v), small.shape[:2]).astype(np.float32)
        return Matte(_blurred(prior, max(small.shape[:2]) / 60), region)
    # GrabCut knows colour, not anatomy: a skin-toned object beside the head joins the person.
    foreground = _grabcut(small, _face_seeds(u, v)) & _allowed(u, v)
    return _refined(_keep_person(foreground, u, v).astype(np.float32), rgb, region)


def model_seeded_matte(rgb: npt.NDArray[np.uint8], face: FaceBox, region: Region) -> Matte:
    """GrabCut seeded from the segmentation model's answer; only when `segmenter.available()`."""
    left, top = region[:2]
    work = _small(rgb, region, MODEL_INPUT_SIDE)
    scale = work.shape[1] / (region[2] - left)
    local = FaceBox((face.x - left) * scale, (face.y - top) * scale, face.width * scale, face.height * scale)
    probability = segmenter.person_probability(work, local)
    small = _small(rgb, region, MODEL_MATTE_SIDE)
    rows, cols = small.shape[:2]
    probability = np.asarray(cv2.resize(probability, (cols, rows), interpolation=cv2.INTER_AREA), np.float32)
    u, v = _face_grid((rows, cols), region, face)
    # GrabCut may trim the model's person along colour edges, never add what the model rejects:
    # a dark flag beside a dark cap is the same colour, not the same thing.
    foreground = _grabcut(small, _model_seeds(probability, u, v)) & (probability >= 0.5)
    return _refined(_keep_person(foreground, u, v).astype(np.float32), rgb, region)


def person_matte(rgb: npt.NDArray[np.uint8], face: FaceBox, region: Region) -> Matte:
    """Cut the person out of `region` of the photo, with the model when it is installed."""
    if cv2 is not None and segmenter.available():
        return model_seeded_matte(rgb, face, region)
    return face_seeded_matte(rgb, face, region)
