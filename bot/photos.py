"""Photo intake: decide by the bytes whether something is a usable portrait photo."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class PhotoError(ValueError):
    """A photo we cannot use; the message is a sentence for the user."""


@dataclass(frozen=True)
class Photo:
    """A normalised input photo: orientation applied, metadata stripped, JPEG-encoded."""

    data: bytes
    width: int
    height: int
    mime_type: str = "image/jpeg"


def read_photo(data: bytes, *, name: str = "photo", max_bytes: int = DEFAULT_MAX_BYTES) -> Photo:
    """Turn uploaded bytes into a `Photo`, or raise `PhotoError` saying why not."""
    raise NotImplementedError
