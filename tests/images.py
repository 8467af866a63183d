"""Test images, all made at test time: real portraits that ship inside packages, and hostile files."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
import pillow_heif
from PIL import ExifTags, Image
from skimage import data as skdata


def encode(image: Image.Image, format: str = "JPEG", **params: object) -> bytes:
    """The bytes of `image` saved in `format`."""
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()


def _astronaut() -> Image.Image:
    return Image.fromarray(skdata.astronaut())  # type: ignore[no-untyped-call]


@cache
def astronaut_jpeg() -> bytes:
    """Eileen Collins' NASA portrait (512 x 512) from scikit-image, as a JPEG."""
    return encode(_astronaut(), quality=95)


@cache
def grace_hopper_jpeg() -> bytes:
    """Grace Hopper's portrait (512 x 600) from matplotlib's sample data."""
    return (Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").read_bytes()


def noise_image(width: int = 800, height: int = 600, *, seed: int = 0, format: str = "JPEG") -> bytes:
    """Colour noise: an image in which there is certainly no face."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), format)


def gradient_image(width: int = 800, height: int = 600, *, format: str = "JPEG") -> bytes:
    """A smooth sky-to-ground landscape gradient, also without a face."""
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    sky, ground = np.array([120, 170, 230], np.float32), np.array([60, 110, 50], np.float32)
    pixels = np.broadcast_to(sky * (1 - t) + ground * t, (height, width, 3))
    return encode(Image.fromarray(pixels.astype(np.uint8)), format)


@cache
def heic_bytes() -> bytes:
    """The astronaut encoded as HEIC with pillow-heif, like an iPhone photo."""
    heif = pillow_heif.from_pillow(_astronaut())
    buffer = io.BytesIO()
    heif.save(buffer, quality=85)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def png_bomb_header(width: int = 30_000, height: int = 30_000) -> bytes:
    """A complete, valid 1-bit PNG of `width` x `height` black pixels that compresses to little.

    Decoded it would need gigabytes; the file itself is small (about 100 KB for 30000^2),
    and it is written row by row so making it never holds the image in memory.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then packed pixels
    rows_per_part = 500
    compressor = zlib.compressobj(9)
    parts = [
        compressor.compress(row * min(rows_per_part, height - start))
        for start in range(0, height, rows_per_part)
    ]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


@cache
def flat_png(width: int = 7000, height: int = 7000) -> bytes:
    """A valid 8-bit RGB PNG of one flat colour: 7000 x 7000 is about 157 KB and 147 MB decoded.

    Like `png_bomb_header`, it is written row by row, so making it never holds the image.
    """
    row = b"\x00" + bytes((200, 180, 160)) * width
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * min(200, height - start)) for start in range(0, height, 200)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


GPS_LATITUDE = (48.0, 51.0, 29.5)
XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Paris"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


@cache
def jpeg_with_gps_exif() -> bytes:
    """The astronaut with camera make, GPS coordinates and an XMP packet naming a city."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Model 1"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.2)
    return encode(_astronaut(), quality=92, exif=exif, xmp=XMP_PACKET)


@cache
def rotated_exif_jpeg() -> bytes:
    """A 400 x 512 portrait stored on its side (512 x 400) with EXIF orientation 6.

    Only a reader that applies the orientation sees an upright face.
    """
    upright = _astronaut().crop((56, 0, 456, 512))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise; 6 turns it back
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return encode(stored, quality=92, exif=exif)


@cache
def wide_result_jpeg() -> bytes:
    """A delivered headshot as a provider might send it: 2400 x 1600, the astronaut enlarged to the left,
    so her face lies far from the picture's centre (a centre crop would cut it)."""
    canvas = Image.new("RGB", (2400, 1600), (128, 132, 140))
    canvas.paste(_astronaut().resize((1600, 1600), Image.Resampling.LANCZOS), (0, 0))
    return encode(canvas, quality=90)


@cache
def large_result_jpeg() -> bytes:
    """A delivered headshot at 2560 x 2560 (the astronaut enlarged): its face square is over 1024 pixels."""
    return encode(_astronaut().resize((2560, 2560), Image.Resampling.LANCZOS), quality=88)
