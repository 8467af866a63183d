"""Photo intake: decide by the bytes whether something is a usable portrait photo."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from bot.errors import UserError
from bot.i18n import Phrase, phrase

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # beyond this nothing is decoded at all
# What may be decoded at full size: a JPEG is decoded at a reduced scale (`draft`), other formats
# cannot be, and each decoded pixel costs up to 4 bytes. A 24-megapixel phone photo fits.
DECODE_PIXELS = 25_000_000
MIN_SIDE = 256
MAX_SIDE = 2048  # the providers work from about 1-2K pixels; more only costs memory and upload time
JPEG_QUALITY = 92
DECODE_THREADS = 2  # photos decoded at once, process-wide: each may briefly cost about 100 MB



@dataclass(frozen=True)
class ImageType:
    """A kind of photo we take: its file name endings and Pillow's names for it."""

    suffixes: tuple[str, ...]
    formats: tuple[str, ...]


# Every kind of photo the bot takes, here and nowhere else. MPO is the multi-picture JPEG many
# cameras write. AVIF is read too, but not named to users: few people have one to send.
IMAGE_TYPES = (
    ImageType(("jpg", "jpeg"), ("JPEG", "MPO")),
    ImageType(("png",), ("PNG",)),
    ImageType(("webp",), ("WEBP",)),
    ImageType(("heic", "heif"), ("HEIF",)),
    ImageType(("avif",), ("AVIF",)),
)
ACCEPTED_FORMATS = frozenset(name for kind in IMAGE_TYPES for name in kind.formats)
ACCEPTED_SUFFIXES = tuple(suffix for kind in IMAGE_TYPES for suffix in kind.suffixes)
NAMED_TYPES = phrase("JPEG, PNG, WebP or HEIC")
NO_PHOTOS = phrase("Please attach at least one portrait photo.")
_REDUCED_DECODE = frozenset({"JPEG", "MPO"})  # formats whose decoder can skip detail (`Image.draft`)

register_heif_opener()


# What platforms say when they say nothing: no type, or "some bytes".
_UNDECLARED = frozenset({"", "binary", "application/octet-stream"})


def looks_like_photo(mime_type: str, file_type: str) -> bool:
    """Whether to read a file as a photo, from a platform's description of it: its MIME type and its
    file type (a name's ending without the dot, or the platform's own word; "" when it has none).

    One of ours, or nothing said at all (both are optional on the chat platforms), is read; a file
    declared as something else is not. Only a pre-selection: `read_photo` decides by the bytes.
    """
    mime = mime_type.split(";", 1)[0].strip().lower()
    kind = file_type.strip().lower()
    if mime.startswith("image/") or kind in ACCEPTED_SUFFIXES:
        return True
    return mime in _UNDECLARED and kind in _UNDECLARED


def file_type_of(name: str) -> str:
    """A file name's ending without the dot ("" when it has none)."""
    stem, dot, suffix = name.rpartition(".")
    return suffix.lower() if dot and stem else ""


class PhotoError(UserError):
    """A photo we cannot use; the message is a sentence for the user."""


@dataclass(frozen=True)
class Photo:
    """A normalised input photo: orientation applied, metadata stripped, JPEG-encoded."""

    data: bytes
    mime_type: str = "image/jpeg"

    @property
    def width(self) -> int:
        """Pixels across, read from the image's header."""
        return self._size()[0]

    @property
    def height(self) -> int:
        """Pixels down, read from the image's header."""
        return self._size()[1]

    def _size(self) -> tuple[int, int]:
        with Image.open(io.BytesIO(self.data)) as image:
            return image.size


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value == int(value) else f"{value:.1f} MB"


def _what_it_looks_like(data: bytes) -> Phrase:
    """A guess at what a non-image file is, for the refusal message."""
    head = data[:64]
    if head.startswith(b"%PDF"):
        return phrase("a PDF document")
    if head.startswith(b"PK\x03\x04"):
        return phrase("a ZIP archive or Office document")
    if head[4:8] == b"ftyp":
        return phrase("a video")
    if head.startswith((b"ID3", b"OggS", b"fLaC")):
        return phrase("an audio file")
    sample = data[:2048]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the sample's end is still text.
        text = sample[:-4].decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if text and printable / len(text) > 0.95 and "\ufffd" not in text:
        stripped = text.lstrip().lower()
        if stripped.startswith(("<svg", "<?xml")) and "<svg" in stripped:
            return phrase("an SVG drawing")
        if stripped.startswith(("<!doctype html", "<html")):
            return phrase("a web page")
        return phrase("text")
    return phrase("unrecognised binary data")


def _refuse_bomb(
    name: str, width: int | None = None, height: int | None = None, pillow: str = ""
) -> PhotoError:
    limit = MAX_PIXELS // 1_000_000
    if width is not None and height is not None:
        return PhotoError(phrase(
            "{name} is {width} × {height} pixels ({megapixels} megapixels); the limit is {limit} megapixels.",
            name=name, width=width, height=height, megapixels=f"{width * height / 1_000_000:.0f}", limit=limit,
        ))
    # Pillow refuses the largest images before their size can be read; its message has the count.
    found = re.search(r"\((\d+) pixels\)", pillow)
    if found:
        return PhotoError(phrase(
            "{name} has {megapixels} megapixels; the limit is {limit} megapixels.",
            name=name, megapixels=f"{int(found.group(1)) / 1_000_000:.0f}", limit=limit,
        ))
    return PhotoError(phrase(
        "{name} has too many pixels to process safely; the limit is {limit} megapixels.", name=name, limit=limit
    ))


def declared_pixels(head: bytes) -> int | None:
    """How many pixels the first bytes of an image declare, without decoding any; None if they are
    not the start of an image whose header Pillow can read."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(head)) as image:
                width, height = image.size
        except Image.DecompressionBombError as error:
            found = re.search(r"\((\d+) pixels\)", str(error))
            return int(found.group(1)) if found else 2**63
        except Exception:  # Pillow plugins raise many kinds on a mangled or cut header
            return None
    return width * height


def _open(data: bytes, name: str) -> Image.Image:
    """Identify the bytes and check the header; nothing is decoded yet."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoError(phrase(
            "{name} is not an image (it looks like {what}).", name=name, what=_what_it_looks_like(data)
        )) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _refuse_bomb(name, pillow=str(error)) from None
    except Exception as error:  # Pillow plugins raise many kinds on a mangled header
        raise PhotoError(phrase("{name} looks like an image but its header is damaged.", name=name)) from error
    if image.format not in ACCEPTED_FORMATS:
        kind = image.format or "unknown"
        image.close()
        raise PhotoError(phrase(
            "{name} is a {kind} image, which I can't use; please send a {types} photo.",
            name=name, kind=kind, types=NAMED_TYPES,
        ))
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise _refuse_bomb(name, width, height)
    if image.format not in _REDUCED_DECODE and width * height > DECODE_PIXELS:
        image.close()
        raise PhotoError(phrase(
            "{name} is {width} × {height} pixels ({megapixels} megapixels), more than the {limit} megapixels "
            "I can take in a {kind} photo; please send a smaller copy or a JPEG.",
            name=name, width=width, height=height, megapixels=f"{width * height / 1_000_000:.0f}",
            limit=DECODE_PIXELS // 1_000_000, kind=image.format,
        ))
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert through an embedded colour profile (phones often use Display P3)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, source, target, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the raw values are the best guess
    return converted if converted is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image if image.mode == "RGB" else image.convert("RGB")


def _reducible(image: Image.Image) -> Image.Image:
    """The image in a mode `Image.reduce` works on (palette, 1-bit and 16-bit grey are not)."""
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "I" or image.mode.startswith("I;16"):
        return image.point(lambda value: value / 256).convert("L")  # 16-bit grey to 8-bit
    return image


def _shrink(image: Image.Image) -> Image.Image:
    """Cut a decoded image to near the working size at once, before any full-size copy is made."""
    factor = max(image.size) // MAX_SIDE
    image = _reducible(image)
    return image.reduce(factor) if factor >= 2 else image


def _decode(image: Image.Image) -> Image.Image:
    """Decode within the pixel budget, upright, in sRGB, no larger than MAX_SIDE."""
    if image.format in _REDUCED_DECODE:
        # Let the JPEG decoder skip detail we would throw away anyway.
        scale = min(1.0, MAX_SIDE / max(image.size))
        image.draft(None, (round(image.width * scale), round(image.height * scale)))
    image.load()
    small = _shrink(image)
    if small is not image:
        image.close()  # the full-size pixels go now, not after every later copy
    with contextlib.suppress(Exception):  # a mangled EXIF block should not cost the user a good photo
        ImageOps.exif_transpose(small, in_place=True)
    rgb = _flatten(_to_srgb(small))
    if max(rgb.size) > MAX_SIDE:
        rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return rgb


def read_photo(data: bytes, *, name: str = "photo", max_bytes: int = DEFAULT_MAX_BYTES) -> Photo:
    """Turn uploaded bytes into a `Photo`, or raise `PhotoError` saying why not.

    The format is decided from the content alone. The result is upright (EXIF orientation
    applied), RGB, at most MAX_SIDE pixels on its long side, and a JPEG with no metadata.
    """
    if not data:
        raise PhotoError(phrase("{name} is empty.", name=name))
    if len(data) > max_bytes:
        raise PhotoError(phrase(
            "{name} is {size}; the limit is {limit}.",
            name=name, size=_megabytes(len(data)), limit=_megabytes(max_bytes),
        ))
    with warnings.catch_warnings():
        # Pillow only warns for large images; here every such warning is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data, name)
        try:
            with image:
                rgb = _decode(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _refuse_bomb(name, pillow=str(error)) from None
        except PhotoError:
            raise
        except Exception as error:  # every decoder failure means the same thing to the user
            raise PhotoError(phrase("{name} is damaged or incomplete, so I can't read it.", name=name)) from error
    if min(rgb.size) < MIN_SIDE:
        raise PhotoError(phrase(
            "{name} is only {width} × {height} pixels; a headshot needs at least {least} pixels on the shorter side.",
            name=name, width=rgb.width, height=rgb.height, least=MIN_SIDE,
        ))
    rgb.info.clear()  # nothing of the original's metadata may travel with the new file
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return Photo(buffer.getvalue())


class PhotoReader:
    """Reads photos on a few threads of its own: off the event loop, and never more than
    `parallel` decoded at once, so a burst of uploads costs a bounded amount of memory."""

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES, parallel: int = DECODE_THREADS) -> None:
        self.max_bytes = max_bytes
        self._pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="photo-decode")

    async def read(self, files: Sequence[tuple[str, bytes]]) -> tuple[Photo, ...]:
        """Check and normalise (name, bytes) pairs; raises the first bad one's `PhotoError`, in order."""
        loop = asyncio.get_running_loop()
        jobs = [
            loop.run_in_executor(self._pool, partial(read_photo, data, name=name, max_bytes=self.max_bytes))
            for name, data in files
        ]
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return tuple(outcome for outcome in outcomes if isinstance(outcome, Photo))

    def close(self) -> None:
        """Stop the threads (photos being read finish first)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
