"""The studio's person mask against exact ground truth: the evaluation set, its scores, the model and its fallback."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageFilter
from scipy import ndimage

from bot.options import AspectRatio, Background, Options
from bot.photos import Photo, read_photo
from bot.providers.studio import cutout, render, segmenter
from bot.providers.studio.backgrounds import render_background
from bot.providers.studio.compose import place
from bot.providers.studio.face import find_face
from bot.providers.studio.framing import head_and_shoulders
from tests.images import grace_hopper_jpeg
from tests.studio_eval import EvalImage, boundary_f, eval_set, iou, portrait, score

needs_model = pytest.mark.skipif(not segmenter.available(), reason="the studio-ml extra is not installed")


def image(name: str) -> EvalImage:
    return next(item for item in eval_set() if item.name == name)


@cache
def grace() -> Photo:
    return read_photo(grace_hopper_jpeg(), name="grace_hopper.jpg")


@pytest.fixture
def without_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if the studio-ml extra were not installed: the model is looked for in a package that does not exist."""
    monkeypatch.setattr(segmenter, "MODEL_PACKAGE", "no_such_package_here")
    segmenter._net.cache_clear()
    yield
    segmenter._net.cache_clear()


def test_the_evaluation_set_has_real_portraits_and_exact_composites() -> None:
    items = eval_set()

    assert len(items) >= 20
    assert len({item.name for item in items}) == len(items)
    assert [item.name for item in items[:2]] == ["astronaut", "grace_hopper"]
    for item in items:
        assert item.mask.shape == item.rgb.shape[:2]
        assert 0.1 < item.mask.mean() < 0.9, item.name
    # A composite is the portrait's own pixels wherever its mask is sure, the background elsewhere.
    composite = image("grace_hopper_on_brick")
    assert composite.rgb.shape == (600, 512, 3)
    inside = ndimage.binary_erosion(composite.mask, iterations=2)
    difference = np.abs(composite.rgb.astype(int) - portrait("grace_hopper").astype(int))
    assert difference[inside].max() <= 1


def test_the_hand_drawn_outlines_follow_the_photos() -> None:
    astronaut, grace_mask = image("astronaut").mask, image("grace_hopper").mask

    assert astronaut[120, 225] and astronaut[300, 150]  # face, suit
    assert not astronaut[40, 40] and not astronaut[150, 400] and not astronaut[450, 400]  # flag, shuttle, helmet
    assert grace_mask[220, 260] and grace_mask[60, 260] and grace_mask[500, 300]  # face, cap, uniform
    assert not grace_mask[100, 60] and not grace_mask[300, 150] and not grace_mask[200, 450]  # flag, pole, sky


def test_scores_are_one_for_the_truth_and_fall_with_error() -> None:
    truth = image("astronaut").mask
    window = (0, 0, truth.shape[1], truth.shape[0])
    shifted = np.roll(truth, 6, axis=1)

    assert iou(truth, truth, window) == 1.0
    assert boundary_f(truth, truth, window) == 1.0
    assert boundary_f(np.roll(truth, 1, axis=1), truth, window) > 0.99
    assert iou(shifted, truth, window) < 0.97
    assert boundary_f(shifted, truth, window) < 0.5
    assert iou(np.zeros_like(truth), truth, window) == 0.0


@needs_model
def test_the_model_is_read_from_the_installed_wheel() -> None:
    path = segmenter.model_path()

    assert path is not None and path.name == "selfie_segmentation.tflite"
    assert "mediapipe" not in sys.modules  # the file is read, the package is not imported


@needs_model
@pytest.mark.parametrize(
    "name",
    ["grace_hopper", "astronaut_on_immunohistochemistry", "grace_hopper_on_coffee_flipped", "astronaut_on_brick"],
)
def test_the_model_mask_is_close_to_the_truth(name: str) -> None:
    # GrabCut seeded from the face alone scores 0.73-0.92 on these: flag, skin tones, a cup around the head.
    mask_iou, mask_f = score(image(name), cutout.model_seeded_matte)

    assert mask_iou >= 0.95
    assert mask_f >= 0.6


@needs_model
@pytest.mark.parametrize("background", list(Background))
def test_the_flag_is_gone_behind_grace_hopper(background: Background) -> None:
    options = Options(background=background, aspect_ratio=AspectRatio.PORTRAIT_3_4)
    [data] = render.render_headshots([grace()], options)
    out = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.float32)
    height, width = out.shape[:2]

    source = portrait("grace_hopper")
    face = find_face(source)
    assert face is not None
    crop = head_and_shoulders(face, source.shape[1], source.shape[0], options.aspect_ratio.ratio)
    person = place(image("grace_hopper").mask.astype(np.float32), crop, width, height, matte=True)
    backdrop = render_background(background, width, height, render._seed([grace()]), 0) * 255
    # Left of the person, 12 px clear of the true outline, where the flag and its pole were.
    near_person = Image.fromarray((person > 0.01).astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(25))
    clear = np.asarray(near_person) == 0
    clear[:, width // 2 :] = False
    difference = np.abs(out - backdrop).max(axis=-1)[clear]

    assert clear.sum() > 0.1 * width * height
    assert float(np.mean(difference > 40)) < 0.002, background


def test_without_the_model_grabcut_from_the_face_is_used(without_model: None) -> None:
    item = image("grace_hopper")
    face = find_face(item.rgb)
    assert face is not None
    region = render.headshot_region(face, item.rgb.shape[1], item.rgb.shape[0])

    assert not segmenter.available()
    chosen = cutout.person_matte(item.rgb, face, region)
    assert np.array_equal(chosen.alpha, cutout.face_seeded_matte(item.rgb, face, region).alpha)
    [data] = render.render_headshots([grace()], Options())
    assert Image.open(io.BytesIO(data)).size == (1024, 1024)
