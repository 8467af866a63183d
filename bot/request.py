"""The core request: photos + options + provider, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UserError
from bot.options import Options
from bot.photos import Photo


class RequestError(UserError):
    """A request that no provider call should be made for; the message is for the user."""


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do, in terms a user and the core both understand."""

    label: str
    description: str
    min_photos: int
    max_photos: int | None
    min_outputs: int
    max_outputs: int
    honours: frozenset[str]
    expected_seconds: float
    asynchronous: bool = False

    def expected_wait(self) -> str:
        """The typical wait as words: "about a minute", "1-2 hours"."""
        seconds = self.expected_seconds
        if seconds < 10:
            return "a few seconds"
        if seconds < 90:
            return "about a minute"
        if seconds < 3600:
            return f"about {round(seconds / 60)} minutes"
        return "1-2 hours"


@dataclass(frozen=True)
class HeadshotRequest:
    """A user's ask, before it becomes a job."""

    photos: tuple[Photo, ...]
    options: Options
    provider: str


def check_request(request: HeadshotRequest, capabilities: Capabilities) -> None:
    """Refuse, with a sentence, a request that does not fit the provider."""
    n = len(request.photos)
    label = capabilities.label
    if n == 0:
        raise RequestError("Please attach at least one portrait photo.")
    if n < capabilities.min_photos:
        raise RequestError(
            f"{label} needs at least {capabilities.min_photos} photos; you sent {n}."
        )
    if capabilities.max_photos is not None and n > capabilities.max_photos:
        noun = "photo" if capabilities.max_photos == 1 else "photos"
        raise RequestError(
            f"{label} takes at most {capabilities.max_photos} {noun}; you sent {n}."
        )
    if "count" in capabilities.honours and request.options.count > capabilities.max_outputs:
        raise RequestError(
            f"{label} makes at most {capabilities.max_outputs} headshots; you asked for {request.options.count}."
        )
