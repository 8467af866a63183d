"""The provider port: a source of headshots, what it is given and answers with, how it fails, and
where an asynchronous one's callbacks go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.i18n import Phrase
from bot.options import Options
from bot.photos import Photo
from bot.request import Capabilities


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
    notes: tuple[str | Phrase, ...] = ()


class ProviderError(Exception):
    """A provider call that failed; `message` is a sentence for the user (`str(error)` in English).

    `retryable` errors are tried again by the job runner after `retry_after` seconds (or its own
    backoff); the others fail the job. `raw` keeps the provider's answer for diagnosis.
    """

    def __init__(
        self,
        message: str | Phrase,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        raw: str | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.raw = raw


@dataclass(frozen=True)
class GenerationInput:
    """Everything a provider gets for one job."""

    job_id: str
    photos: Sequence[Photo]
    options: Options
    callback_url: str | None = None


# token → the URL an asynchronous provider is told to call back (made by the callback route's owner).
CallbackUrl = Callable[[str], str]


class CallbackReceiver(Protocol):
    """Where a provider's completion callbacks go once its route has read them."""

    async def receive(self, token: str, remote_id: str, urls: list[str]) -> bool | None:
        """None when no job has this token and remote id, else whether the callback changed anything."""
        ...

    def refused(self) -> None:
        """A callback was refused before it reached any job (a bad token, body or event)."""
        ...


class Provider(Protocol):
    """A source of headshots."""

    name: str
    capabilities: Capabilities

    def wait_seconds(self) -> float:
        """How long until this provider may be called again (0 when it may be called now)."""
        ...

    async def generate(self, task: GenerationInput) -> Generated | Submitted:
        """Make headshots, or submit the job and return its remote id; raise `ProviderError`."""
        ...
