"""The profile square: around the face (not the centre), 512 to 1024 pixels a side, JPEG, from any result."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bot.profile_photo import face_square, profile_square
from bot.providers.studio.face import FaceBox, find_face
from tests.images import encode, large_result_jpeg, noise_image, rotated_exif_jpeg, wide_result_jpeg


def square_of(data: bytes) -> Image.Image:
    out = profile_square(data)
    image = Image.open(io.BytesIO(out))
    assert image.format == "JPEG" and image.width == image.height and 512 <= image.width <= 1024
    return image.convert("RGB")


@pytest.mark.parametrize(("make", "side"), [(wide_result_jpeg, 765), (large_result_jpeg, 1024)])
def test_the_square_lies_around_the_face(make: object, side: int) -> None:
    square = square_of(make())  # type: ignore[operator]
    face = find_face(np.asarray(square))
    assert square.width == side and face is not None
    assert abs(face.center_x - side / 2) < side * 0.08  # the face in the middle across
    assert side * 0.2 < face.y < side * 0.45  # and a little above the middle down


def test_a_small_or_turned_picture_is_enlarged_to_512_and_stood_upright() -> None:
    square = square_of(rotated_exif_jpeg())  # 400 x 512 once turned by its EXIF orientation
    assert square.size == (512, 512) and find_face(np.asarray(square)) is not None


def test_without_a_face_the_square_is_as_wide_as_it_can_be_nearer_the_top() -> None:
    assert face_square(800, 1200, None).__dict__ == {"x": 0, "y": 100, "side": 800}
    assert square_of(noise_image(1600, 900)).size == (900, 900)


def test_a_square_never_leaves_the_picture() -> None:
    corner = face_square(1000, 1000, FaceBox(900, 900, 100, 100))
    assert corner.x + corner.side <= 1000 and corner.y + corner.side <= 1000 and corner.side == 384


def test_transparency_is_laid_on_white() -> None:
    clear = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    square = square_of(encode(clear, "PNG"))
    assert square.getpixel((300, 300)) == (255, 255, 255)


def test_bytes_that_are_no_image_raise_oserror() -> None:
    with pytest.raises(OSError):
        profile_square(b"not an image")
