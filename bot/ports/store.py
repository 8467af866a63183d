"""The job store's ports, one per role; `storage/sqlite/` and `storage/postgres/` implement them all.

One database plays every role (`JobStore`), but each part of the core asks only for the roles it
uses, so a second store is written against small, typed contracts. The roles that hold across
processes are in `bot.ports.limits`, a chat app's installations in `bot.ports.installations`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from bot.jobs import (
    Favourite,
    GalleryLink,
    Job,
    JobChange,
    JobState,
    JSONValue,
    PendingIntake,
    StoredResult,
    ThreadAddress,
)
from bot.ports.consent import ConsentLog, DataExports
from bot.ports.installations import Installations, OneTimeStates
from bot.ports.limits import CallLog, QuotaLedger, SeenKeys, SlotHolds
from bot.ports.rollout import BrandKits, CampaignStore, ExportLinks, WorkspaceRetention


class JobQueue(Protocol):
    """Due jobs, handed to one worker at a time under a lease that runs out if not renewed."""

    async def claim(self, worker: str, now: float, limit: int, lease_s: float) -> list[Job]:
        """Lease up to `limit` jobs with work to do at `now` to `worker` until `now + lease_s`.

        Due means: an active job whose `not_before` has passed, or a waiting one past its deadline.
        A job leased to anyone (this worker too) until after `now` is not claimed again.
        """
        ...

    async def renew(self, worker: str, job_ids: Sequence[str], lease_s: float) -> set[str]:
        """Extend `worker`'s leases on these jobs to `lease_s` from now; returns the ids it still holds.

        A job missing from the answer was taken over (its lease ran out): the worker must stop on it.
        """
        ...

    async def release(self, worker: str, job_id: str) -> None:
        """Give up `worker`'s lease on a job (its step is over)."""
        ...

    async def next_due(self) -> float | None:
        """The earliest time at which some job can be claimed, or None when no job has work ahead."""
        ...

    async def has_waiting(self) -> bool:
        """Whether some job waits for a provider's callback."""
        ...


class JobRecords(Protocol):
    """The job rows themselves: recorded once, changed field by field, read by owner."""

    async def admit(self, job: Job) -> None:
        """Record the job, confirm the quota charge held for it and end its slot's hold, in one transaction.

        The three happen together or not at all: a job is never recorded with its images still only
        held (or its slot counted twice), and a charge never confirmed for a job that is not there.
        """
        ...

    async def add(self, job: Job) -> None:
        """Record a job, and nothing else (a charge or a slot's hold under its id is left as it is)."""
        ...

    async def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        ...

    async def update(self, job_id: str, change: JobChange, *, expect: Iterable[JobState] | None = None) -> bool:
        """Apply `change`; with `expect`, only if the job is in one of those states.

        Returns whether the job changed, so callers act exactly once on a transition.
        """
        ...

    async def arm_callback(self, job_id: str, callback_hash: str) -> None:
        """Give a job a new callback secret (stored hashed); any earlier remote id stops counting."""
        ...

    async def jobs_for_owner(self, owner: str, limit: int = 10) -> list[Job]:
        """An owner's most recent jobs, newest first."""
        ...

    async def unfinished_count(self, owner: str) -> int:
        """How many of an owner's jobs are not finished."""
        ...

    async def unfinished_with_owner_prefix(self, prefix: str) -> list[str]:
        """Ids of the unfinished jobs whose owner key starts with `prefix` (one workspace's users)."""
        ...


class ResultLog(Protocol):
    """A job's result images: the provider's URLs first, then where each is stored."""

    async def accept_callback(self, callback_hash: str, remote_id: str, urls: list[str]) -> bool | None:
        """Record a completion callback's URLs once: True if the job moved on, False for a repeat,
        None when no job has this callback secret and remote id."""
        ...

    async def add_result(self, job_id: str, index: int, blob_key: str, size: int, url: str | None = None) -> bool:
        """Record a stored result image and count it; False (and nothing recorded) when the job is
        gone, forgotten while it ran."""
        ...

    async def add_results(self, job_id: str, results: Sequence[StoredResult]) -> bool:
        """Record several stored result images of one job (each with its blob) in one transaction and
        count them; False (and nothing recorded) when the job is gone."""
        ...

    async def results(self, job_id: str) -> list[StoredResult]:
        """A job's results in order."""
        ...

    async def forget_result_urls(self, job_id: str) -> None:
        """Drop the provider's URLs once the images are ours."""
        ...


class DeliveryLog(Protocol):
    """Which keyed pieces of a delivery were started and which were posted (see `bot.delivery`)."""

    async def delivery_state(self, job_id: str, key: str) -> str | None:
        """'started' or 'posted' for a delivery unit, or None if never attempted."""
        ...

    async def set_delivery(self, job_id: str, key: str, state: str) -> None:
        """Record a delivery unit's state."""
        ...


class Preferences(Protocol):
    """Each user's saved default options and provider."""

    async def user_defaults(self, owner: str) -> tuple[dict[str, JSONValue], str | None] | None:
        """An owner's saved options (as stored) and provider, if any were saved."""
        ...

    async def save_user_defaults(self, owner: str, options: Mapping[str, JSONValue], provider: str | None) -> None:
        """Save an owner's default options and provider."""
        ...


class Retention(Protocol):
    """What the retention sweep and `forget` need: finished jobs, owners' rows, live ids."""

    async def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose files are still kept."""
        ...

    async def mark_purged(self, job_id: str) -> None:
        """Record that a job's files are gone, photos and results (its row stays for `status`)."""
        ...

    async def photos_kept_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose input photos are still kept."""
        ...

    async def mark_photos_purged(self, job_id: str) -> None:
        """Record that a job's input photos are gone, leaving the time it ended as it was."""
        ...

    async def forget_owner(self, owner: str) -> list[str]:
        """Delete every row about an owner; returns the ids of the deleted jobs."""
        ...

    async def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of these job ids still have a row."""
        ...


class Connection(Protocol):
    """The store as a whole: whether it answers, and closing it."""

    async def ping(self) -> bool:
        """Whether the database answers."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class JobCensus(Protocol):
    """How many jobs are in each state, for monitoring."""

    async def count_by_state(self) -> dict[str, int]:
        """Job counts by state value, in one grouped query; states without jobs may be absent."""
        ...


class GalleryLinks(Protocol):
    """Links to delivered jobs' galleries, found by the hash of their token (`bot.gallery`)."""

    async def add_gallery_link(self, job_id: str, token_hash: str, created_at: float) -> None:
        """Record a newly issued link; it ends with its job (forgotten) or its files (swept)."""
        ...

    async def gallery_link(self, token_hash: str) -> GalleryLink | None:
        """The link with this token hash, if its job is there and its files are still kept."""
        ...


class IntakeLog(Protocol):
    """Requests taken on but not yet jobs, written before anything slow happens to them, so that
    a restart can tell whoever is still waiting (`bot.intake.InterruptedIntakes`)."""

    async def begin_intake(self, intake: PendingIntake) -> None:
        """Record a request the moment it is taken on."""
        ...

    async def intake_opened(self, intake_id: str, thread: ThreadAddress) -> None:
        """Note the request's status message (and thread), posted but not yet a job."""
        ...

    async def end_intake(self, intake_id: str) -> None:
        """The request became a job, or its refusal was told: nothing is left to answer."""
        ...

    async def open_intakes(self, older_than: float) -> list[PendingIntake]:
        """Requests taken on before `older_than` and never answered, oldest first."""
        ...




class Favourites(Protocol):
    """The headshots people marked as favourites; they end with their job's results or their owner."""

    async def mark_favourite(self, favourite: Favourite) -> None:
        """Mark one delivered result as a favourite of its owner (marking it again changes nothing)."""
        ...

    async def unmark_favourite(self, owner: str, job_id: str, index: int) -> None:
        """Take the mark off again."""
        ...

    async def favourites(self, owner: str) -> list[Favourite]:
        """The owner's favourites, newest first."""
        ...

    async def favourites_with_owner_prefix(self, prefix: str) -> list[Favourite]:
        """Every favourite of every owner whose key starts with `prefix` (a workspace), newest first."""
        ...


class UserCredentials(Protocol):
    """People's own tokens for a chat platform (sealed by the adapter), one per owner key; an owner's goes
    with `Retention.forget_owner`, a workspace's with its owners' key prefix."""

    async def save_user_credential(self, owner: str, sealed: bytes) -> None:
        """Store (or replace) an owner's sealed credential."""
        ...

    async def user_credential(self, owner: str) -> bytes | None:
        """An owner's sealed credential, if one is stored."""
        ...

    async def delete_user_credential(self, owner: str) -> bool:
        """Forget an owner's credential at once; whether there was one."""
        ...

    async def delete_user_credentials_with_prefix(self, prefix: str) -> int:
        """Forget the credentials of every owner whose key starts with `prefix` (a workspace); how many."""
        ...


class JobStore(
    JobQueue,
    JobRecords,
    IntakeLog,
    ResultLog,
    DeliveryLog,
    Preferences,
    Retention,
    CallLog,
    Installations,
    OneTimeStates,
    SlotHolds,
    SeenKeys,
    JobCensus,
    QuotaLedger,
    GalleryLinks,
    Favourites,
    UserCredentials,
    BrandKits,
    WorkspaceRetention,
    CampaignStore,
    ExportLinks,
    ConsentLog,
    DataExports,
    Connection,
    Protocol,
):
    """Every role at once: what one database behind the bot provides (the composition root wires it)."""
