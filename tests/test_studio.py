"""The studio provider on real portraits: size, framing, backgrounds, variations, determinism, refusals."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from bot.options import AspectRatio, Background, Options, Quality, Style
from bot.photos import Photo, read_photo
from bot.ports import Generated, GenerationInput, Provider, ProviderError
from bot.providers.studio import StudioProvider, output_size, render_headshots
from bot.providers.studio import cutout as cutout_module
from bot.providers.studio.backgrounds import render_background
from bot.providers.studio.face import find_face
from tests.images import astronaut_jpeg, grace_hopper_jpeg, gradient_image, noise_image


@cache
def astronaut() -> Photo:
    return read_photo(astronaut_jpeg(), name="astronaut.jpg")


@cache
def grace() -> Photo:
    return read_photo(grace_hopper_jpeg(), name="grace_hopper.jpg")


def pixels(data: bytes) -> npt.NDArray[np.uint8]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return np.asarray(image.convert("RGB"))


@cache
def render(photo: Photo, options: Options) -> tuple[bytes, ...]:
    return tuple(render_headshots([photo], options))


@pytest.mark.parametrize(
    ("aspect_ratio", "quality", "size"),
    [
        (AspectRatio.SQUARE, Quality.STANDARD, (1024, 1024)),
        (AspectRatio.PORTRAIT_3_4, Quality.STANDARD, (768, 1024)),
        (AspectRatio.LANDSCAPE_16_9, Quality.STANDARD, (1024, 576)),
        (AspectRatio.PORTRAIT_9_16, Quality.STANDARD, (576, 1024)),
        (AspectRatio.PORTRAIT_3_4, Quality.HIGH, (1536, 2048)),
    ],
)
def test_output_has_the_exact_size(
    aspect_ratio: AspectRatio, quality: Quality, size: tuple[int, int]
) -> None:
    [data] = render(astronaut(), Options(aspect_ratio=aspect_ratio, quality=quality))

    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == size
    assert not image.getexif()
    assert "exif" not in image.info


@pytest.mark.parametrize("aspect_ratio", list(AspectRatio))
@pytest.mark.parametrize("quality", list(Quality))
def test_every_ratio_has_the_right_long_side_and_shape(aspect_ratio: AspectRatio, quality: Quality) -> None:
    width, height = output_size(aspect_ratio, quality)

    assert max(width, height) == (2048 if quality is Quality.HIGH else 1024)
    assert abs(width / height - aspect_ratio.ratio) < 1 / min(width, height)


@pytest.mark.parametrize("photo", [astronaut, grace], ids=["astronaut", "grace_hopper"])
@pytest.mark.parametrize(
    "aspect_ratio", [AspectRatio.PORTRAIT_3_4, AspectRatio.SQUARE, AspectRatio.LANDSCAPE_16_9]
)
def test_the_face_is_framed_as_a_headshot(photo: Callable[[], Photo], aspect_ratio: AspectRatio) -> None:
    [data] = render(photo(), Options(aspect_ratio=aspect_ratio, background=Background.STUDIO_GRAY))
    image = pixels(data)
    height, width = image.shape[:2]

    face = find_face(image)

    assert face is not None
    assert 0.4 * width < face.center_x < 0.6 * width
    assert 0.25 * height < face.eye_y < 0.45 * height
    assert 0.3 < face.height / height < 0.5


def test_studio_white_is_white_in_the_corners() -> None:
    for photo in (astronaut(), grace()):
        [data] = render(
            photo, Options(background=Background.STUDIO_WHITE, aspect_ratio=AspectRatio.PORTRAIT_3_4)
        )
        image = pixels(data)
        for corner in (image[:40, :40], image[:40, -40:]):
            assert corner.min() > 235


def test_the_backdrop_replaces_the_original_background() -> None:
    # Top corners of the astronaut's photo are a dark flag and a shuttle model; they must be gone.
    source = pixels(astronaut().data)
    assert source[:40, :40].mean() < 150
    for background in Background:
        [data] = render(astronaut(), Options(background=background, aspect_ratio=AspectRatio.PORTRAIT_3_4))
        corner = pixels(data)[:48, :48].astype(np.float32)
        assert corner.std(axis=(0, 1)).max() < 25, background  # smooth, not a flag
        assert np.abs(corner.mean(axis=(0, 1)) - source[:48, :48].mean(axis=(0, 1))).max() > 20, background


def test_backgrounds_look_different_from_each_other() -> None:
    means = {
        background: render_background(background, 256, 256, seed=7).reshape(-1, 3).mean(axis=0)
        for background in Background
    }
    for a in Background:
        for b in Background:
            if a is not b:
                assert np.abs(means[a] - means[b]).max() > 0.02, (a, b)


def test_styles_grade_the_person_differently() -> None:
    looks = [pixels(render(astronaut(), Options(style=style))[0]).astype(np.float32) for style in Style]
    for i, first in enumerate(looks):
        for second in looks[i + 1 :]:
            assert np.abs(first - second).mean() > 2


def test_four_variations_are_distinct() -> None:
    images = render(grace(), Options(count=4, background=Background.GRADIENT))

    assert len(images) == 4
    assert len(set(images)) == 4
    decoded = [pixels(data).astype(np.float32) for data in images]
    for i, first in enumerate(decoded):
        for second in decoded[i + 1 :]:
            assert np.abs(first - second).mean() > 5
    for image in decoded:
        assert find_face(image.astype(np.uint8)) is not None


def test_same_input_same_bytes() -> None:
    options = Options(count=2, background=Background.ABSTRACT, style=Style.CREATIVE)

    first = render_headshots([grace()], options)
    second = render_headshots([grace()], options)

    assert first == second


def test_several_photos_use_the_one_with_a_face() -> None:
    landscape = read_photo(gradient_image(), name="landscape.jpg")

    [data] = render_headshots([landscape, astronaut()], Options())

    assert find_face(pixels(data)) is not None


@pytest.mark.parametrize(
    ("photos", "where"),
    [
        (1, "your photo"),
        (2, "either of your photos"),
        (3, "any of your 3 photos"),
    ],
)
def test_no_face_is_a_clear_refusal(photos: int, where: str) -> None:
    inputs = [read_photo(noise_image(seed=n), name=f"noise{n}.jpg") for n in range(photos - 1)]
    inputs.append(read_photo(gradient_image(800, 600), name="landscape.jpg"))

    with pytest.raises(ProviderError) as caught:
        render_headshots(inputs, Options())

    assert (
        str(caught.value)
        == f"I couldn't find a face in {where} — please send a clear, front-facing portrait."
    )
    assert not caught.value.retryable


def test_without_opencv_a_soft_silhouette_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cutout_module, "cv2", None)

    [data] = render_headshots([astronaut()], Options(background=Background.STUDIO_WHITE))

    image = pixels(data)
    assert image.shape == (1024, 1024, 3)
    assert image[:40, :40].min() > 235
    assert find_face(image) is not None


async def test_provider_generates_in_a_thread() -> None:
    provider: Provider = StudioProvider()
    task = GenerationInput(job_id="job-1", photos=[astronaut()], options=Options(count=2))

    result = await provider.generate(task)

    assert isinstance(result, Generated)
    assert len(result.images) == 2
    assert all(
        image.data and image.mime_type == "image/jpeg" and image.url is None for image in result.images
    )
    assert provider.wait_seconds() == 0.0
    assert provider.name == "studio"
    assert provider.capabilities.max_outputs == 4
    assert provider.capabilities.honours == {"style", "background", "count", "quality", "aspect_ratio"}
