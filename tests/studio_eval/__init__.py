"""An evaluation set for person masks, made at run time from small committed files.

Two real portraits that ship inside packages carry hand-drawn outlines (`portraits.json`,
in pixel coordinates). Each is also cut out along its outline and laid over photos that ship
with scikit-image, so those composites' masks are exact by construction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw
from scipy import ndimage
from skimage import data as skdata

from bot.providers.studio.compose import _resize
from bot.providers.studio.cutout import Matte, Region
from bot.providers.studio.face import FaceBox, find_face
from bot.providers.studio.render import headshot_region

HERE = Path(__file__).parent
Mask = npt.NDArray[np.bool_]
Pixels = npt.NDArray[np.uint8]
Window = tuple[int, int, int, int]  # left, top, right, bottom
# The outline is drawn at this many times the resolution, so edge pixels get partial coverage.
_SUPERSAMPLE = 4


@dataclass(frozen=True)
class EvalImage:
    """A photo and its true person mask."""

    name: str
    rgb: Pixels
    mask: Mask


@dataclass(frozen=True)
class Scene:
    """A portrait cut out and laid over a background photo on a `width` x `height` canvas.

    The portrait is scaled to `height_share` of the canvas height and stands on its bottom
    edge, its centre `centre` of the way across; `tint` multiplies a grey background.
    """

    person: str
    background: str
    width: int
    height: int
    height_share: float
    centre: float
    flip: bool = False
    tint: tuple[float, float, float] | None = None

    @property
    def name(self) -> str:
        """A short unique label."""
        return f"{self.person}_on_{self.background}" + ("_flipped" if self.flip else "")


SKIN = (0.96, 0.74, 0.62)
SAND = (0.93, 0.84, 0.70)
# Busy (coffee, grass, gravel, motorcycle), low-contrast (hubble and rocket behind a navy
# uniform, brick, moon), and skin- or suit-toned (chelsea, retina, immunohistochemistry).
SCENES: tuple[Scene, ...] = (
    Scene("astronaut", "coffee", 600, 450, 0.95, 0.55),
    Scene("astronaut", "chelsea", 512, 512, 1.0, 0.5, flip=True),
    Scene("astronaut", "retina", 480, 640, 0.8, 0.5),
    Scene("astronaut", "immunohistochemistry", 512, 512, 0.9, 0.45),
    Scene("astronaut", "grass", 640, 480, 1.0, 0.4),
    Scene("astronaut", "motorcycle", 640, 480, 0.9, 0.6, flip=True),
    Scene("astronaut", "moon", 512, 640, 0.85, 0.5, tint=SKIN),
    Scene("astronaut", "rocket", 600, 450, 1.05, 0.5),
    Scene("astronaut", "page", 512, 512, 0.95, 0.55, flip=True),
    Scene("astronaut", "brick", 480, 640, 0.75, 0.45, tint=SAND),
    Scene("grace_hopper", "hubble", 512, 600, 1.0, 0.5),
    Scene("grace_hopper", "rocket", 640, 480, 0.95, 0.45),
    Scene("grace_hopper", "coffee", 600, 450, 1.0, 0.5, flip=True),
    Scene("grace_hopper", "chelsea", 512, 512, 0.9, 0.5),
    Scene("grace_hopper", "brick", 512, 600, 1.0, 0.5),
    Scene("grace_hopper", "retina", 480, 640, 0.8, 0.55, flip=True),
    Scene("grace_hopper", "immunohistochemistry", 512, 512, 1.0, 0.5),
    Scene("grace_hopper", "motorcycle", 640, 480, 1.0, 0.4),
    Scene("grace_hopper", "gravel", 512, 512, 0.85, 0.5, flip=True),
    Scene("grace_hopper", "moon", 512, 600, 1.0, 0.5, tint=SKIN),
)


@cache
def _annotations() -> dict[str, dict[str, object]]:
    loaded: dict[str, dict[str, object]] = json.loads((HERE / "portraits.json").read_text())
    return loaded


def portrait(name: str) -> Pixels:
    """The RGB pixels of a bundled portrait."""
    if name == "astronaut":
        return np.asarray(skdata.astronaut())
    if name == "grace_hopper":
        path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    raise KeyError(name)


def _background(name: str) -> Pixels:
    if name == "motorcycle":
        pixels = skdata.stereo_motorcycle()[0]
    elif name == "hubble":
        pixels = skdata.hubble_deep_field()
    elif name == "retina":
        full = skdata.retina()
        side = full.shape[0]
        pixels = full[side // 5 : side * 4 // 5, side // 5 : side * 4 // 5]  # the lit disc, not the black rim
    else:
        pixels = getattr(skdata, name)()
    pixels = np.asarray(pixels)
    return np.stack([pixels] * 3, axis=-1) if pixels.ndim == 2 else pixels[..., :3]


def _cover(pixels: Pixels, width: int, height: int) -> Pixels:
    """Scale to cover `width` x `height`, then cut the middle."""
    rows, cols = pixels.shape[:2]
    scale = max(width / cols, height / rows)
    size = (max(width, round(cols * scale)), max(height, round(rows * scale)))
    image = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return np.asarray(image.crop((left, top, left + width, top + height)))


def coverage(outline: list[tuple[float, float]], width: int, height: int) -> npt.NDArray[np.float32]:
    """The share of each pixel that lies inside `outline` (pixel (i, j) is centred on x=j, y=i)."""
    canvas = Image.new("L", (width * _SUPERSAMPLE, height * _SUPERSAMPLE), 0)
    points = [((x + 0.5) * _SUPERSAMPLE - 0.5, (y + 0.5) * _SUPERSAMPLE - 0.5) for x, y in outline]
    ImageDraw.Draw(canvas).polygon(points, fill=255)
    small = canvas.resize((width, height), Image.Resampling.BOX)
    return (np.asarray(small, dtype=np.float32) / 255).astype(np.float32)


def _outline(name: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in _annotations()[name]["outline"]]  # type: ignore[attr-defined]


def _original(name: str) -> EvalImage:
    rgb = portrait(name)
    rows, cols = rgb.shape[:2]
    return EvalImage(name, rgb, coverage(_outline(name), cols, rows) >= 0.5)


def _composite(scene: Scene) -> EvalImage:
    source = portrait(scene.person)
    rows, cols = source.shape[:2]
    scale = scene.height_share * scene.height / rows
    size = (round(cols * scale), round(rows * scale))
    left = round(scene.centre * scene.width - size[0] / 2)
    top = scene.height - size[1]

    def placed(x: float, y: float) -> tuple[float, float]:
        x = cols - 1 - x if scene.flip else x
        return (x + 0.5) * scale - 0.5 + left, (y + 0.5) * scale - 0.5 + top

    person = Image.fromarray(source)
    if scene.flip:
        person = person.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    person = person.resize(size, Image.Resampling.LANCZOS)
    layer = np.zeros((scene.height, scene.width, 3), np.float32)
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(scene.width, left + size[0]), min(scene.height, top + size[1])
    layer[y0:y1, x0:x1] = np.asarray(person, dtype=np.float32)[y0 - top : y1 - top, x0 - left : x1 - left]
    outline = [placed(x, y) for x, y in _outline(scene.person)]
    alpha = coverage(outline, scene.width, scene.height)
    background = _cover(_background(scene.background), scene.width, scene.height).astype(np.float32)
    if scene.tint is not None:
        background = background * np.array(scene.tint, np.float32)
    mixed = layer * alpha[..., None] + background * (1 - alpha[..., None])
    return EvalImage(scene.name, np.clip(mixed + 0.5, 0, 255).astype(np.uint8), alpha >= 0.5)


@cache
def eval_set() -> tuple[EvalImage, ...]:
    """The two real portraits, then the composites: same files, same pixels."""
    return (_original("astronaut"), _original("grace_hopper"), *(_composite(s) for s in SCENES))


def iou(predicted: Mask, truth: Mask, window: Window) -> float:
    """Intersection over union of two masks inside `window`."""
    left, top, right, bottom = window
    p, t = predicted[top:bottom, left:right], truth[top:bottom, left:right]
    union = np.logical_or(p, t).sum()
    return float(np.logical_and(p, t).sum() / union) if union else 1.0


def _boundary(mask: Mask) -> Mask:
    """Pixels of the mask with a neighbour outside it; the photo's own edge is not a boundary."""
    padded = np.pad(mask, 1, mode="edge")
    eroded = ndimage.binary_erosion(padded, structure=np.ones((3, 3), bool))[1:-1, 1:-1]
    result: Mask = mask & ~eroded
    return result


def boundary_f(predicted: Mask, truth: Mask, window: Window, tolerance: float = 2.0) -> float:
    """F-score of the mask outlines: a boundary pixel counts if the other outline is within `tolerance` px."""
    left, top, right, bottom = window
    found, wanted = _boundary(predicted), _boundary(truth)
    near_wanted = ndimage.distance_transform_edt(~wanted) <= tolerance
    near_found = ndimage.distance_transform_edt(~found) <= tolerance
    inside = np.zeros_like(found)
    inside[top:bottom, left:right] = True
    found_in, wanted_in = found & inside, wanted & inside
    if not found_in.any() or not wanted_in.any():
        return 1.0 if found_in.any() == wanted_in.any() else 0.0
    precision = float((found_in & near_wanted).sum() / found_in.sum())
    recall = float((wanted_in & near_found).sum() / wanted_in.sum())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


Cutter = Callable[[Pixels, FaceBox, Region], Matte]


def predict(rgb: Pixels, cutter: Cutter) -> tuple[Mask, Window]:
    """The studio's person mask for `rgb` (alpha >= 0.5) and the region it covers.

    The face is found and the region chosen as a render would; with no face, nothing is cut out
    and the whole photo is scored.
    """
    rows, cols = rgb.shape[:2]
    mask = np.zeros((rows, cols), bool)
    face = find_face(rgb)
    if face is None:
        return mask, (0, 0, cols, rows)
    region = headshot_region(face, cols, rows)
    left, top, right, bottom = region
    matte = cutter(rgb, face, region)
    alpha = _resize(matte.alpha, right - left, bottom - top, Image.Resampling.BILINEAR)
    mask[top:bottom, left:right] = alpha >= 0.5
    return mask, region


def score(item: EvalImage, cutter: Cutter) -> tuple[float, float]:
    """IoU and boundary F-score of `cutter`'s mask for `item`, inside the region a headshot can show."""
    mask, window = predict(item.rgb, cutter)
    return iou(mask, item.mask, window), boundary_f(mask, item.mask, window)
