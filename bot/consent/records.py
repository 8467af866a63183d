"""What the consent store keeps: the terms a question showed, agreements to them, and requests waiting
for an answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.jobs import JSONValue


@dataclass(frozen=True)
class ShownTerms:
    """What one consent question said, as stored: its version, which providers it named as receiving
    photos, the retention it promised, and its exact words (in the reader's language)."""

    version: str
    providers: tuple[str, ...]
    photo_keep_hours: float
    result_days: float
    wording: str


@dataclass(frozen=True)
class ConsentRecord:
    """A person's agreement: who (an owner key), to what, and when. A "No thanks" is never stored:
    it changes nothing the bot does (the next photo is asked about again), so it is not kept."""

    owner: str
    terms: ShownTerms
    agreed_at: float


@dataclass(frozen=True)
class PendingRequest:
    """A request held back until its person answers the consent question: no photo of it is fetched,
    only what the adapter needs to run it afterwards (`resume`, the adapter's own JSON: ids and links)."""

    id: str
    owner: str
    surface: str
    resume: Mapping[str, JSONValue]
    terms: ShownTerms
    created_at: float


@dataclass(frozen=True)
class DataExportLink:
    """A link to a person's data export, as stored: the hash of its token, never the token."""

    owner: str
    token_hash: str
    created_at: float
    expires_at: float
