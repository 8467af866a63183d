"""Offline face detection with scikit-image's bundled LBP frontal-face cascade."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from PIL import Image
from skimage import data as skdata
from skimage.feature import Cascade

# Detection runs on a copy whose long side is this many pixels: big enough for a face that
# fills a tenth of the photo, small enough to stay under a tenth of a second.
DETECT_SIDE = 256
_MIN_WINDOW = 20
# The cascade fires many times on a real face and once or twice on texture; a face needs
# at least this many raw hits in one cluster.
_MIN_HITS = 3

_lock = threading.Lock()


@dataclass(frozen=True)
class FaceBox:
    """A detected face in image pixels; `hits` is how many raw detections agreed on it."""

    x: float
    y: float
    width: float
    height: float
    hits: int = 1

    @property
    def center_x(self) -> float:
        """Horizontal centre of the face."""
        return self.x + self.width / 2

    @property
    def eye_y(self) -> float:
        """Approximate height of the eye line (the cascade box runs from brow to chin)."""
        return self.y + 0.40 * self.height

    def scaled(self, factor: float) -> FaceBox:
        """The same box in an image resized by `factor`."""
        return FaceBox(self.x * factor, self.y * factor, self.width * factor, self.height * factor, self.hits)


@cache
def _cascade() -> Cascade:
    return Cascade(skdata.lbp_frontal_face_cascade_filename())  # type: ignore[no-untyped-call]


def _gray_small(rgb: npt.NDArray[np.uint8], detect_side: int) -> tuple[npt.NDArray[np.uint8], float]:
    height, width = rgb.shape[:2]
    scale = min(1.0, detect_side / max(height, width))
    image = Image.fromarray(rgb).convert("L")
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(image), scale


def _cluster(raw: list[dict[str, int]]) -> list[FaceBox]:
    """Group raw detections that describe the same face; the median box stands for the group."""
    boxes = np.array([[d["c"], d["r"], d["width"], d["height"]] for d in raw], dtype=np.float64)
    order = np.argsort(-boxes[:, 2], kind="stable")
    unassigned = list(order)
    faces: list[FaceBox] = []
    while unassigned:
        seed = boxes[unassigned[0]]
        seed_cx, seed_cy = seed[0] + seed[2] / 2, seed[1] + seed[3] / 2
        members = []
        for index in unassigned:
            box = boxes[index]
            cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
            close = abs(cx - seed_cx) < 0.35 * seed[2] and abs(cy - seed_cy) < 0.35 * seed[3]
            similar = 0.6 < box[2] / seed[2] < 1.6
            if close and similar:
                members.append(index)
        unassigned = [i for i in unassigned if i not in members]
        x, y, w, h = np.median(boxes[members], axis=0)
        faces.append(FaceBox(float(x), float(y), float(w), float(h), hits=len(members)))
    return faces


def detect_faces(rgb: npt.NDArray[np.uint8], detect_side: int = DETECT_SIDE) -> list[FaceBox]:
    """All faces found in an RGB image, most convincing first (hits, then size).

    The search runs on a copy whose long side is `detect_side`: smaller is faster, and finds only
    faces that fill more of the picture."""
    gray, scale = _gray_small(rgb, detect_side)
    side = min(gray.shape)
    if side < _MIN_WINDOW:
        return []
    with _lock:
        raw = _cascade().detect_multi_scale(
            img=gray,
            scale_factor=1.2,
            step_ratio=1,
            min_size=(_MIN_WINDOW, _MIN_WINDOW),
            max_size=(side, side),
            min_neighbor_number=1,
            # Above 1 nothing is merged, so the raw hits come back and can be counted here.
            intersection_score_threshold=2.0,
        )
    if not raw:
        return []
    faces = [face.scaled(1 / scale) for face in _cluster(raw) if face.hits >= _MIN_HITS]
    faces.sort(key=lambda face: (face.hits * face.width, face.width), reverse=True)
    return faces


def find_face(rgb: npt.NDArray[np.uint8], detect_side: int = DETECT_SIDE) -> FaceBox | None:
    """The main face of a portrait, or None when there is none (`detect_side`: see `detect_faces`)."""
    faces = detect_faces(rgb, detect_side)
    return faces[0] if faces else None
