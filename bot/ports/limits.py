"""What holds across every process sharing the store: provider call limits, job slots, seen
event keys and quota charges, each check and its write one atomic step."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.quotas import Charge, ChargeTotal, Window


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
        with the hold's id (`JobRecords.admit`) ends the hold in the same write.
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


class QuotaLedger(Protocol):
    """Each job's charge of images: held when its request starts, confirmed by the same write that
    records the job (`JobRecords.admit`), settled to what was delivered when it ends."""

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

