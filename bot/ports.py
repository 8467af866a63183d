"""The storage ports the core works through, one per role; `storage/` holds the implementations.

One database may implement them all (`storage.jobs.SqliteJobStore` does), but each part of the
core asks only for the roles it uses, so a second store is written against small, typed contracts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from bot.consent.records import ConsentRecord, ExportLink, PendingRequest
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
from bot.quotas import Charge, ChargeTotal, Window


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

    async def add(self, job: Job) -> None:
        """Record a new job."""
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


class CallLog(Protocol):
    """Calls made to a rate-limited provider, shared by every process and remembered across restarts."""

    async def take_call(self, provider: str, at: float, limits: Sequence[tuple[int, float]]) -> float:
        """Log a call at `at` if every (count, window seconds) limit allows it, and return 0; else
        log nothing and return the seconds until one would. Two processes cannot share a slot."""
        ...

    async def calls_since(self, provider: str, since: float) -> list[float]:
        """Times of the calls since `since`, oldest first."""
        ...


class SlotsTaken(Exception):
    """The owner already has `busy` unfinished jobs (or jobs being started), as many as allowed."""

    def __init__(self, busy: int) -> None:
        super().__init__(f"{busy} jobs in progress")
        self.busy = busy


class JobSlots(Protocol):
    """Each user's allowance of unfinished jobs, held from the check until the job is recorded.

    Without the hold, requests sent at the same moment would all pass the check before any of
    them is recorded. `bot.slots.InProcessSlots` holds them in memory (one process per store).
    """

    async def in_use(self, owner: str) -> int:
        """The owner's unfinished jobs plus those being started."""
        ...

    def hold(self, owner: str, limit: int, job_id: str | None = None) -> AbstractAsyncContextManager[None]:
        """Take one of the owner's `limit` slots for as long as the context lasts; raises `SlotsTaken`.

        `job_id`, when known, is the id the job will be recorded with: from then on the job counts
        and the hold no longer does, so the two are never counted together."""
        ...


class SlotHolds(Protocol):
    """Holds on users' job slots kept in the store, so that every process sharing it sees them."""

    async def take_slot(
        self, owner: str, limit: int, hold_s: float, hold_id: str | None = None
    ) -> tuple[str | None, int]:
        """Hold one of the owner's `limit` slots for up to `hold_s` seconds, if one is free.

        Returns the hold's id (`hold_id`, the id its job will have, or a new one; None when every
        slot is taken) and how many were busy before: unfinished jobs plus other holds. Requests
        at the same moment, on any process, cannot both take the last slot. Recording the job
        with the hold's id ends the hold in the same write.
        """
        ...

    async def give_back_slot(self, hold: str) -> None:
        """End a hold (its job is recorded by now, or was given up)."""
        ...

    async def slots_in_use(self, owner: str) -> int:
        """The owner's unfinished jobs plus the live holds."""
        ...


class SeenKeys(Protocol):
    """Keys of events already handled, so a repeat (a retry, the same event twice) is ignored."""

    async def seen_once(self, key: str, ttl_s: float) -> bool:
        """True for the first sighting of `key` within `ttl_s` seconds, on any process; False after."""
        ...


class Connection(Protocol):
    """The store as a whole: whether it answers, and closing it."""

    async def ping(self) -> bool:
        """Whether the database answers."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class Installations(Protocol):
    """Each workspace's installation of a chat app: an opaque blob, sealed (encrypted) by the adapter."""

    async def save_installation(self, workspace: str, sealed: bytes) -> None:
        """Store (or replace) a workspace's installation."""
        ...

    async def installation(self, workspace: str) -> bytes | None:
        """A workspace's sealed installation, if it is installed."""
        ...

    async def installations(self) -> list[tuple[str, bytes]]:
        """Every stored installation (workspace, sealed blob)."""
        ...

    async def delete_installation(self, workspace: str) -> bool:
        """Forget a workspace's installation at once; whether there was one."""
        ...


class OneTimeStates(Protocol):
    """Secrets handed out once and accepted once before they expire (an OAuth `state`); stored hashed."""

    async def issue_state(self, state_hash: str, expires_at: float) -> None:
        """Remember a new state until `expires_at` (and drop expired ones)."""
        ...

    async def consume_state(self, state_hash: str, now: float) -> bool:
        """True exactly once for an issued state that has not expired at `now`."""
        ...


class JobCensus(Protocol):
    """How many jobs are in each state, for monitoring."""

    async def count_by_state(self) -> dict[str, int]:
        """Job counts by state value, in one grouped query; states without jobs may be absent."""
        ...


class QuotaLedger(Protocol):
    """Each job's charge of images: held when its request starts, confirmed by the same write that
    records the job (`JobStore.add`), settled to what was delivered when it ends."""

    async def hold_charge(self, charge: Charge, windows: Sequence[Window], until: float) -> tuple[int, int] | None:
        """In one atomic step: if every window's use plus `charge.images` stays within its limit, record
        the charge as held until `until` and return None; else record nothing and return the index of
        the first window it would pass and that window's use."""
        ...

    async def release_charge(self, job_id: str) -> None:
        """Drop the hold of a request that was not accepted (a recorded job's charge stays)."""
        ...

    async def settle_charge(self, job_id: str, images: int) -> None:
        """Count `images` (at most what was held) for a job that has ended."""
        ...

    async def charged(self, windows: Sequence[Window], now: float) -> list[int]:
        """The images counted in each window (of its limit's provider) at `now`: recorded charges and live holds."""
        ...

    async def charge_totals(self, since: float, now: float) -> list[ChargeTotal]:
        """The images counted since `since`, per workspace, owner and provider."""
        ...

    async def drop_charges_before(self, cutoff: float, now: float) -> int:
        """Forget charges made before `cutoff` and holds lapsed by `now`; returns how many."""
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


class ConsentLog(Protocol):
    """People's agreements to the consent question, and the requests held back until they answer it."""

    async def record_consent(self, record: ConsentRecord) -> None:
        """Store an agreement (earlier ones stay: they say what each earlier request was agreed under)."""
        ...

    async def latest_consent(self, owner: str) -> ConsentRecord | None:
        """The owner's newest agreement, if any."""
        ...

    async def consent_records(self, owner: str) -> list[ConsentRecord]:
        """Every agreement of the owner, newest first."""
        ...

    async def add_pending_request(self, pending: PendingRequest, drop_before: float) -> None:
        """Hold a request until its person answers; requests created before `drop_before` go in the same write."""
        ...

    async def pending_request(self, pending_id: str) -> PendingRequest | None:
        """A held request, if it is still waiting."""
        ...

    async def end_pending_request(self, pending_id: str) -> bool:
        """Drop a held request; True for exactly one caller (the answer that resumes or refuses it)."""
        ...

    async def pending_requests(self, owner: str) -> list[PendingRequest]:
        """Every request of the owner still waiting for an answer, oldest first."""
        ...


class DataExports(Protocol):
    """Links to people's exports of their own data (`bot.my_data`), and what the export reads that no
    other role gives."""

    async def add_export_link(self, link: ExportLink) -> None:
        """Record a newly issued link (by the hash of its token); links expired by its creation go in the same write."""
        ...

    async def export_link(self, token_hash: str, now: float) -> ExportLink | None:
        """The link with this token hash, if it has not expired at `now` and its owner was not forgotten."""
        ...

    async def charges_of(self, owner: str) -> list[Charge]:
        """Every quota charge of the owner still kept, oldest first."""
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
    ConsentLog,
    DataExports,
    Connection,
    Protocol,
):
    """Every role at once: what one database behind the bot provides (the composition root wires it)."""


class BlobStore(Protocol):
    """Photos and results by key (`bot.blob_keys`), each written whole or not at all.

    Nothing here promises a local file: a database or an object store can hold the bytes.
    `as_file` gives one to the libraries that insist on a path.
    """

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""
        ...

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store streamed chunks under `key` without holding them all; returns the size written.

        More than `max_bytes` raises `storage.blobs.BlobError` and leaves nothing behind.
        """
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        ...

    def stream(self, key: str) -> AsyncIterator[bytes]:
        """The bytes stored under `key`, in chunks."""
        ...

    async def size(self, key: str) -> int:
        """How many bytes are stored under `key`."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under a key prefix (a folder)."""
        ...

    async def folders(self, prefix: str) -> list[str]:
        """The names of the folders directly under `prefix` (for `jobs`: the job ids with files)."""
        ...

    def as_file(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A local file with the blob's bytes, for as long as the context lasts (do not write to it)."""
        ...

    async def remove_stale_temporaries(self, older_than: float) -> int:
        """Delete what writes killed half-way left behind before `older_than`; returns how many."""
        ...


class JobWakeups(Protocol):
    """News from other processes sharing the store: a job was accepted, a callback landed."""

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` whenever another process made work due, until cancelled."""
        ...


class SingletonLease(Protocol):
    """A lease at most one process of a deployment holds at a time (for a connection only one may keep)."""

    async def acquire(self) -> None:
        """Wait until this process holds the lease."""
        ...

    async def lost(self) -> None:
        """Return as soon as the lease is lost; whatever it guarded must stop at once."""
        ...

    async def release(self) -> None:
        """Give the lease up."""
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
