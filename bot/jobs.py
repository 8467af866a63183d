"""Jobs: the durable record of one headshot request, from acceptance to its thread."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from bot.options import Options

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
# A surface's own address of a job's thread and status message: JSON, stored with the job, opaque to the core.
ThreadAddress: TypeAlias = Mapping[str, JSONValue]


class JobState(StrEnum):
    """Where a job stands. Every change is persisted before the work it announces begins."""

    QUEUED = "queued"  # accepted, photos stored, waiting for a provider slot
    GENERATING = "generating"  # the provider call is in flight
    WAITING = "waiting"  # an asynchronous provider has it; waiting for its callback
    FETCHING = "fetching"  # result URLs are known; downloading them into our storage
    DELIVERING = "delivering"  # results stored; posting them into the thread
    FAILING = "failing"  # the job failed; the user has not been told yet
    DELIVERED = "delivered"  # terminal: every result is in the thread
    FAILED = "failed"  # terminal: the failure is in the thread


ACTIVE_STATES = frozenset(
    {JobState.QUEUED, JobState.GENERATING, JobState.FETCHING, JobState.DELIVERING, JobState.FAILING}
)
TERMINAL_STATES = frozenset({JobState.DELIVERED, JobState.FAILED})


@dataclass
class Job:
    """One headshot job as stored."""

    id: str
    owner: str  # opaque key of the requesting user, e.g. "<surface>:<team>:<user>"
    surface: str  # name of the chat surface that delivers the results
    thread: ThreadAddress
    provider: str
    options: Options
    photo_count: int
    state: JobState = JobState.QUEUED
    created_at: float = 0.0
    updated_at: float = 0.0
    attempts: int = 0
    not_before: float = 0.0
    remote_id: str | None = None
    callback_hash: str | None = None
    deadline: float | None = None
    results_total: int = 0
    results_done: int = 0
    error: str | None = None
    detail: str | None = None  # diagnostic text: a provider's raw answer, never shown to users
    photos_purged: bool = False  # the input photos are deleted (kept a while after the job ends)
    workspace: str = ""  # opaque key of the place the job counts against (a team, a server, a user's DMs)
    locale: str | None = None  # the language its posts speak (BCP 47, as the platform gave it); None: English

    @property
    def short_id(self) -> str:
        """The first characters of the id, enough to tell a user's jobs apart."""
        return self.id[:8]

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to this job."""
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class JobChange:
    """Fields of a job to change in one write; a field left None keeps its value."""

    state: JobState | None = None
    attempts: int | None = None
    not_before: float | None = None
    deadline: float | None = None
    remote_id: str | None = None
    error: str | None = None
    detail: str | None = None
    results_total: int | None = None
    photos_purged: bool | None = None


@dataclass(frozen=True)
class StoredResult:
    """One result image of a job: where it came from and where we keep it."""

    job_id: str
    index: int
    url: str | None
    blob_key: str | None
    size: int = 0


def numbered_results(results: Sequence[StoredResult]) -> list[StoredResult]:
    """A job's stored results in order: headshot number n (1-based) is item n - 1. The thread, the
    contact sheet and the gallery number them so; a result that never landed has no number."""
    return [result for result in results if result.blob_key]


@dataclass(frozen=True)
class GalleryLink:
    """One issued link to a job's gallery, as stored: the hash of its token, never the token."""

    job_id: str
    token_hash: str
    created_at: float


@dataclass(frozen=True)
class PendingIntake:
    """A request taken on but not yet a job: who asked, where to answer them, and the status
    message if one was posted. `reply` and `thread` are the surface's own JSON."""

    id: str  # the job's id, once it is one
    owner: str
    surface: str
    reply: ThreadAddress
    created_at: float
    thread: ThreadAddress | None = None
    locale: str | None = None  # the language of whoever is waiting for it


@dataclass(frozen=True)
class Favourite:
    """One delivered headshot its owner marked as a favourite: result `index` (0-based) of `job_id`."""

    owner: str
    job_id: str
    index: int
    chosen_at: float


@dataclass(frozen=True)
class ExportLink:
    """One issued link to a workspace's favourites export, as stored: the hash of its token, never the token."""

    token_hash: str
    workspace: str
    owner_prefix: str  # whose favourites: every owner key of the workspace starts with it
    surface: str  # the chat surface that names the people
    created_by: str
    expires_at: float
