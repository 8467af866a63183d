"""The core request: photos + options + provider, and what can be wrong with one, field by field."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import UserError
from bot.i18n import Phrase, phrase, phrase_n, say
from bot.options import Options
from bot.photos import NO_PHOTOS, Photo


class Field(StrEnum):
    """The part of a request a problem belongs to: the photos, the provider, one option, or the user's limit."""

    PHOTOS = "photos"
    PROVIDER = "provider"
    STYLE = "style"
    BACKGROUND = "background"
    ATTIRE = "attire"
    COUNT = "count"
    QUALITY = "quality"
    ASPECT_RATIO = "aspect_ratio"
    PROMPT = "prompt"
    PRIVATE = "private"
    LIMIT = "limit"  # the user has as many unfinished jobs as they may


@dataclass(frozen=True)
class Problem:
    """Why a request cannot become a job: the field it is about, and a sentence for the user."""

    field: Field
    sentence: str | Phrase

    def say(self, locale: str | None) -> str:
        """The sentence in the language of `locale`."""
        return say(locale, self.sentence)


class RequestError(UserError):
    """A request that no provider call should be made for; the message is for the user."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.sentence)
        self.problem = problem


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do, in terms a user and the core both understand; `label` is the provider's
    name (a name, the same in every language), `description` what it makes."""

    label: str
    description: str | Phrase
    min_photos: int
    max_photos: int | None
    min_outputs: int
    max_outputs: int
    honours: frozenset[str]
    expected_seconds: float
    asynchronous: bool = False
    runs_here: bool = False  # made on this server: photos never leave it (the consent question says so)

    def expected_wait(self) -> Phrase:
        """The typical wait as words: "about a minute", "1-2 hours"."""
        seconds = self.expected_seconds
        if seconds < 10:
            return phrase("a few seconds")
        if seconds < 90:
            return phrase("about a minute")
        if seconds < 3600:
            return phrase("about {minutes} minutes", minutes=round(seconds / 60))
        return phrase("1-2 hours")


@dataclass(frozen=True)
class HeadshotRequest:
    """A user's ask, before it becomes a job."""

    photos: tuple[Photo, ...]
    options: Options
    provider: str


def photo_count_problem(count: int, capabilities: Capabilities) -> Problem | None:
    """Too few or too many photos for the provider."""
    label = capabilities.label
    if count == 0:
        return Problem(Field.PHOTOS, NO_PHOTOS)
    if count < capabilities.min_photos:
        return Problem(Field.PHOTOS, phrase_n(
            "{label} needs at least 1 photo; you sent {count}.", "{label} needs at least {n} photos; you sent {count}.",
            capabilities.min_photos, label=label, count=count,
        ))
    if capabilities.max_photos is not None and count > capabilities.max_photos:
        return Problem(Field.PHOTOS, phrase_n(
            "{label} takes at most 1 photo; you sent {count}.", "{label} takes at most {n} photos; you sent {count}.",
            capabilities.max_photos, label=label, count=count,
        ))
    return None


def count_problem(options: Options, capabilities: Capabilities) -> Problem | None:
    """More headshots asked for than the provider makes."""
    if "count" in capabilities.honours and options.count > capabilities.max_outputs:
        return Problem(Field.COUNT, phrase_n(
            "{label} makes at most 1 headshot; you asked for {count}.",
            "{label} makes at most {n} headshots; you asked for {count}.",
            capabilities.max_outputs, label=capabilities.label, count=options.count,
        ))
    return None
