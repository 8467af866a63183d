"""Person probability from MediaPipe's selfie-segmentation model, run by OpenCV's DNN module.

The model file ships inside the `mediapipe` wheel (the `studio-ml` extra); only the file is
read, mediapipe itself is never imported. Without it, `available()` is False and the studio
falls back to GrabCut seeded from the face alone.

The model sees a 256 x 256 picture and is easily fooled by a busy scene at the edges, so it
is asked several times: the whole region squashed and letterboxed, each also mirrored, and a
tight crop around the head and shoulders. Inside the tight crop a pixel must convince both.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.providers.studio.face import FaceBox

try:
    import cv2
except ImportError:
    cv2 = None  # type: ignore[assignment]

FloatImage = npt.NDArray[np.float32]
Box = tuple[float, float, float, float]  # left, top, width, height

MODEL_PACKAGE = "mediapipe"
MODEL_FILE = Path("modules", "selfie_segmentation", "selfie_segmentation.tflite")
INPUT_SIDE = 256
# The tight crop reaches this many face widths either side of the face's centre line, and
# starts this many face heights above the face box.
TIGHT_HALF_WIDTH = 1.6
TIGHT_ABOVE = 0.6

_lock = threading.Lock()  # one cv2.dnn.Net must not run two inferences at once


def model_path() -> Path | None:
    """Where the installed mediapipe package keeps the selfie model, without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / MODEL_FILE
        if path.is_file():
            return path
    return None


@cache
def _net() -> Any:
    path = model_path()
    if path is None or cv2 is None or not hasattr(cv2.dnn, "readNetFromTFLite"):
        return None
    return cv2.dnn.readNetFromTFLite(str(path))


def available() -> bool:
    """Whether the model can be used here."""
    return _net() is not None


def _infer(square: npt.NDArray[np.uint8]) -> FloatImage:
    tensor = (square.astype(np.float32) / 255).transpose(2, 0, 1)[None]
    with _lock:
        net = _net()
        net.setInput(np.ascontiguousarray(tensor))
        output = net.forward()
    result: FloatImage = np.asarray(output, dtype=np.float32).reshape(INPUT_SIDE, INPUT_SIDE)
    return result


def _view(image: npt.NDArray[np.uint8], box: Box, mirrored: bool) -> FloatImage:
    """The model's answer for `box` of `image`, mapped back onto `image`'s grid (0 outside the box)."""
    left, top, width, height = box
    sx, sy = INPUT_SIDE / width, INPUT_SIDE / height
    forward = np.array([[sx, 0, -left * sx], [0, sy, -top * sy]], np.float32)
    square = np.asarray(
        cv2.warpAffine(
            image, forward, (INPUT_SIDE, INPUT_SIDE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
        ),
        dtype=np.uint8,
    )
    if mirrored:
        probability = _infer(np.ascontiguousarray(square[:, ::-1]))[:, ::-1]
    else:
        probability = _infer(square)
    rows, cols = image.shape[:2]
    back = cv2.warpAffine(
        np.ascontiguousarray(probability), cv2.invertAffineTransform(forward), (cols, rows),
        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0,
    )
    result: FloatImage = back.astype(np.float32)
    return result


def _both_ways(image: npt.NDArray[np.uint8], box: Box) -> FloatImage:
    result: FloatImage = 0.5 * (_view(image, box, False) + _view(image, box, True))
    return result


def _tight_box(face: FaceBox, cols: int, rows: int) -> tuple[int, int, int, int]:
    """Left, top, right, bottom of the head-and-shoulders crop, inside the image."""
    left = max(0, round(face.center_x - TIGHT_HALF_WIDTH * face.width))
    right = min(cols, round(face.center_x + TIGHT_HALF_WIDTH * face.width))
    top = max(0, round(face.y - TIGHT_ABOVE * face.height))
    return left, top, max(left + 8, right), rows


def _gate_outside(
    combined: FloatImage, tight: FloatImage, box: tuple[int, int, int, int], inset: int
) -> None:
    """Beyond the tight crop's sides, a row may hold person only where the body crosses that side."""
    left, top, right, _ = box
    cols = combined.shape[1]
    for edge, outside in ((left + inset, slice(0, left)), (right - 1 - inset, slice(right, cols))):
        if outside.start == outside.stop or not 0 <= edge < cols:
            continue  # the crop reaches the image's edge here
        crossing = tight[:, edge].copy()
        crossing[:top] = 0
        smooth = cv2.GaussianBlur(crossing.reshape(-1, 1), (0, 0), 3).ravel()
        combined[:, outside] *= np.clip(smooth / 0.5, 0, 1)[:, None]


def person_probability(image: npt.NDArray[np.uint8], face: FaceBox) -> FloatImage:
    """Per pixel of `image` (RGB, a few hundred pixels across), how likely it shows the person.

    `face` is in `image`'s pixels. Call only when `available()`.
    """
    rows, cols = image.shape[:2]
    side = max(rows, cols)
    wide = 0.5 * (
        _both_ways(image, (0, 0, cols, rows))
        + _both_ways(image, ((cols - side) / 2, (rows - side) / 2, side, side))
    )
    box = _tight_box(face, cols, rows)
    left, top, right, bottom = box
    tight = _both_ways(image, (left, top, right - left, bottom - top))
    inside = np.zeros((rows, cols), np.uint8)
    inside[top:bottom, left:right] = 1
    margin = max(1, side // 128)
    core = cv2.erode(inside, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)).astype(np.float32)
    weight = cv2.GaussianBlur(core, (0, 0), margin) * inside
    combined: FloatImage = (weight * np.minimum(wide, tight) + (1 - weight) * wide).astype(np.float32)
    _gate_outside(combined, tight, box, margin)
    return combined
