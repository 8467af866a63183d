"""Photo intake: what is accepted, what is refused and why, and what the accepted file looks like."""

from __future__ import annotations

import io
import struct
import threading
import time

import numpy as np
import pytest
from PIL import ExifTags, Image, features

from bot.photos import (
    DECODE_THREADS,
    DEFAULT_MAX_BYTES,
    MAX_SIDE,
    Photo,
    PhotoError,
    PhotoReader,
    file_type_of,
    looks_like_photo,
    read_photo,
)
from bot.providers.studio.face import find_face
from tests.images import (
    astronaut_jpeg,
    encode,
    flat_png,
    gradient_image,
    heic_bytes,
    jpeg_with_gps_exif,
    png_bomb_header,
    rotated_exif_jpeg,
)


def decoded(photo: Photo) -> Image.Image:
    image = Image.open(io.BytesIO(photo.data))
    image.load()
    return image


def astronaut() -> Image.Image:
    return Image.open(io.BytesIO(astronaut_jpeg())).convert("RGB")


def refusal(data: bytes, name: str = "photo.jpg", **kwargs: int) -> str:
    with pytest.raises(PhotoError) as caught:
        read_photo(data, name=name, **kwargs)
    return str(caught.value)


# Accepted formats -------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_common_formats_become_a_plain_jpeg(format: str) -> None:
    photo = read_photo(encode(astronaut(), format), name="portrait")

    image = decoded(photo)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert (photo.width, photo.height) == image.size == (512, 512)
    assert photo.mime_type == "image/jpeg"


def test_heic_from_a_phone_is_read() -> None:
    photo = read_photo(heic_bytes(), name="IMG_0001.HEIC")

    assert (photo.width, photo.height) == (512, 512)
    assert find_face(np.asarray(decoded(photo))) is not None


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF support")
def test_avif_is_read() -> None:
    photo = read_photo(encode(astronaut(), "AVIF"), name="photo.avif")

    assert (photo.width, photo.height) == (512, 512)


def test_the_bytes_decide_not_the_name() -> None:
    png = encode(astronaut(), "PNG")

    assert read_photo(png, name="selfie.gif").width == 512
    assert "not an image" in refusal(b"just words, honest", name="selfie.jpg")


def test_transparency_is_laid_on_white() -> None:
    clear = Image.new("RGBA", (300, 300), (255, 0, 0, 0))

    photo = read_photo(encode(clear, "PNG"))

    assert np.asarray(decoded(photo)).min() >= 250


def test_exif_orientation_is_applied() -> None:
    stored = Image.open(io.BytesIO(rotated_exif_jpeg()))
    assert stored.size == (512, 400)
    assert find_face(np.asarray(stored.convert("RGB"))) is None  # on its side, no upright face

    photo = read_photo(rotated_exif_jpeg())

    assert (photo.width, photo.height) == (400, 512)
    assert find_face(np.asarray(decoded(photo))) is not None
    assert decoded(photo).getexif().get(ExifTags.Base.Orientation) is None


def test_all_metadata_is_removed() -> None:
    original = Image.open(io.BytesIO(jpeg_with_gps_exif()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "xmp" in original.info

    photo = read_photo(jpeg_with_gps_exif())

    image = decoded(photo)
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    for marker in (b"Exif", b"GPS", b"TestCam", b"xmpmeta", b"Paris"):
        assert marker not in photo.data


def test_large_photos_are_scaled_down() -> None:
    photo = read_photo(gradient_image(4500, 3000))

    assert (photo.width, photo.height) == (MAX_SIDE, round(3000 * MAX_SIDE / 4500))


# Refusals ---------------------------------------------------------------------------------


def test_empty_file() -> None:
    assert refusal(b"") == "photo.jpg is empty."


def test_file_over_the_size_limit() -> None:
    data = b"\xff" * round(12.3 * 1024 * 1024)

    assert refusal(data) == "photo.jpg is 12.3 MB; the limit is 10 MB."
    assert DEFAULT_MAX_BYTES == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"Dear team,\nplease find my photo attached.\n", "text"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(100), "a ZIP archive or Office document"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(100), "a video"),
        (bytes(range(256)) * 8, "unrecognised binary data"),
    ],
)
def test_not_an_image(data: bytes, looks_like: str) -> None:
    assert refusal(data) == f"photo.jpg is not an image (it looks like {looks_like})."


@pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
def test_image_formats_we_do_not_take(format: str) -> None:
    data = encode(astronaut(), format)

    message = refusal(data, name="upload.jpg")

    assert message == (
        f"upload.jpg is a {format} image, which I can't use; please send a JPEG, PNG, WebP or HEIC photo."
    )


def test_decompression_bomb_is_refused_fast_without_decoding() -> None:
    bomb = png_bomb_header()
    assert bomb[12:24] == b"IHDR" + struct.pack(">II", 30_000, 30_000)  # a real PNG, just an enormous one
    assert len(bomb) < 200_000

    started = time.perf_counter()
    message = refusal(bomb, name="huge.png")

    assert time.perf_counter() - started < 0.5
    assert message == "huge.png has 900 megapixels; the limit is 50 megapixels."


def test_image_over_our_pixel_cap_is_refused_with_its_size() -> None:
    # 64 MP is below Pillow's own warning threshold, so this is our check speaking.
    message = refusal(png_bomb_header(8000, 8000), name="scan.png")

    assert message == "scan.png is 8000 × 8000 pixels (64 megapixels); the limit is 50 megapixels."


def test_a_small_png_that_decodes_to_hundreds_of_megabytes_is_refused_from_its_header() -> None:
    # 157 kB on the wire, 147 MB as pixels, and several copies of that while being normalised.
    big = flat_png(7000, 7000)
    assert len(big) < 200_000

    message = refusal(big, name="poster.png")

    assert message == (
        "poster.png is 7000 × 7000 pixels (49 megapixels), more than the 25 megapixels I can take in a PNG "
        "photo; please send a smaller copy or a JPEG."
    )


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_accepted() -> None:
    # A 27-megapixel camera JPEG: its decoder skips detail, so it never costs its full size.
    photo = read_photo(gradient_image(6000, 4500), name="camera.jpg")

    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE * 3 // 4)


def test_a_png_near_the_budget_is_reduced_to_the_working_size() -> None:
    photo = read_photo(flat_png(4800, 3200), name="scan.png")

    assert (photo.width, photo.height) == (MAX_SIDE, round(3200 * MAX_SIDE / 4800))
    assert decoded(photo).getpixel((10, 10)) == pytest.approx((200, 180, 160), abs=3)


async def test_photos_are_decoded_off_the_event_loop_a_few_at_a_time() -> None:
    reader = PhotoReader()
    seen: set[str] = set()
    try:
        loop_thread = threading.current_thread().name
        photos = await reader.read([(f"p{n}.png", encode(astronaut().rotate(n), "PNG")) for n in range(8)])
        seen = {t.name for t in threading.enumerate() if t.name.startswith("photo-decode")}
    finally:
        reader.close()
    assert len(photos) == 8 and all(p.width == 512 for p in photos)
    assert 1 <= len(seen) <= DECODE_THREADS and loop_thread not in seen


async def test_the_first_bad_photo_in_order_is_the_one_reported() -> None:
    reader = PhotoReader()
    try:
        with pytest.raises(PhotoError) as caught:
            await reader.read([("good.jpg", astronaut_jpeg()), ("big.png", flat_png()), ("text.jpg", b"hello")])
    finally:
        reader.close()
    assert str(caught.value).startswith("big.png is 7000 × 7000 pixels")


def test_too_small_for_a_headshot() -> None:
    tiny = encode(astronaut().resize((240, 180)))

    message = refusal(tiny, name="thumb.jpg")

    assert (
        message
        == "thumb.jpg is only 240 × 180 pixels; a headshot needs at least 256 pixels on the shorter side."
    )


def test_truncated_photo() -> None:
    data = astronaut_jpeg()

    message = refusal(data[: len(data) // 2], name="cut.jpg")

    assert message == "cut.jpg is damaged or incomplete, so I can't read it."


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"\xff\xd8\xff\xe0" + bytes(300),
        encode(Image.new("RGB", (300, 300)), "PNG")[:60],
        b"\xff\xd8\xff",
    ],
    ids=["png-signature-then-junk", "jpeg-marker-then-zeros", "png-header-only", "jpeg-marker-only"],
)
def test_corrupt_data_is_a_photo_error_not_a_crash(data: bytes) -> None:
    message = refusal(data, name="broken.png")

    assert message.startswith("broken.png ")
    assert message.endswith(".")


@pytest.mark.parametrize(
    ("mime_type", "file_type", "read"),
    [
        ("image/jpeg", "jpg", True),
        ("", "heic", True),
        ("image/png", "", True),
        ("", "", True),  # nothing declared (Discord's optional content_type, a Slack Connect file)
        ("application/octet-stream", "binary", True),
        ("text/plain; charset=utf-8", "txt", False),
        ("application/pdf", "", False),
        ("", "pdf", False),
    ],
)
def test_what_a_platform_declares_only_preselects(mime_type: str, file_type: str, read: bool) -> None:
    assert looks_like_photo(mime_type, file_type) is read


def test_a_file_names_ending() -> None:
    assert [file_type_of(n) for n in ("me.JPG", "portrait", ".hidden", "a.tar.gz")] == ["jpg", "", "", "gz"]
