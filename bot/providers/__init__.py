"""Headshot providers: what they are given and answer with (the port itself is `bot.ports.Provider`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bot.options import Options
from bot.photos import Photo


@dataclass(frozen=True)
class ResultImage:
    """One generated image: its bytes, or a URL to fetch them from (exactly one is set)."""

    data: bytes | None = None
    url: str | None = None
    mime_type: str = "image/jpeg"


@dataclass(frozen=True)
class Generated:
    """A provider that answered with its images at once."""

    images: list[ResultImage]
    remote_id: str | None = None
    raw: str | None = None


@dataclass(frozen=True)
class Submitted:
    """A provider that took the job and will call back later; `notes` are advice for the user."""

    remote_id: str
    raw: str | None = None
    notes: tuple[str, ...] = ()


class ProviderError(Exception):
    """A provider call that failed; `str(error)` is a sentence for the user.

    `retryable` errors are tried again by the job runner after `retry_after` seconds (or its own
    backoff); the others fail the job. `raw` keeps the provider's answer for diagnosis.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        raw: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.raw = raw


async def read_answer(response: aiohttp.ClientResponse, max_bytes: int) -> bytes | None:
    """A provider's answer body, read in chunks; None (and nothing more read) past `max_bytes`."""
    if response.content_length is not None and response.content_length > max_bytes:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(256 * 1024):
        body += chunk
        if len(body) > max_bytes:
            return None
    return bytes(body)


@dataclass(frozen=True)
class GenerationInput:
    """Everything a provider gets for one job."""

    job_id: str
    photos: Sequence[Photo]
    options: Options
    callback_url: str | None = None
