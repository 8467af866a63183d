"""The per-user job limit: unfinished jobs in the store, plus those being started (in memory, or held in the store)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.ports import JobRecords, SlotHolds, SlotsTaken

log = logging.getLogger(__name__)

# A slot is held while photos are fetched and checked; a process that dies meanwhile frees it after this.
SLOT_HOLD_SECONDS = 600.0


class InProcessSlots:
    """`bot.ports.JobSlots` for a store that one process serves: the jobs being started are counted in memory."""

    def __init__(self, records: JobRecords) -> None:
        self._records = records
        self._starting: dict[str, int] = {}
        self._checking = asyncio.Lock()

    async def in_use(self, owner: str) -> int:
        """Unfinished jobs in the store and jobs being started here."""
        return await self._records.unfinished_count(owner) + self._starting.get(owner, 0)

    @asynccontextmanager
    async def hold(self, owner: str, limit: int, job_id: str | None = None) -> AsyncIterator[None]:
        """Count one more job for the owner until the context ends (by then it is in the store, or given up)."""
        async with self._checking:
            busy = await self.in_use(owner)
            if busy >= limit:
                raise SlotsTaken(busy)
            self._starting[owner] = self._starting.get(owner, 0) + 1
        try:
            yield
        finally:
            self._starting[owner] -= 1
            if not self._starting[owner]:
                del self._starting[owner]


class StoredSlots:
    """`bot.ports.JobSlots` kept in the store: the per-user limit holds across every process sharing it.

    A hold is a row with an expiry, so a process that dies while starting a job frees its slot
    after `hold_s` at the latest.
    """

    def __init__(self, holds: SlotHolds, hold_s: float = SLOT_HOLD_SECONDS) -> None:
        self._holds = holds
        self._hold_s = hold_s

    async def in_use(self, owner: str) -> int:
        """Unfinished jobs and live holds, whichever process made them."""
        return await self._holds.slots_in_use(owner)

    @asynccontextmanager
    async def hold(self, owner: str, limit: int, job_id: str | None = None) -> AsyncIterator[None]:
        """Take a slot in the store until the context ends (or the job is recorded under `job_id`);
        raises `SlotsTaken` when none is free."""
        hold, busy = await self._holds.take_slot(owner, limit, self._hold_s, job_id)
        if hold is None:
            raise SlotsTaken(busy)
        try:
            yield
        finally:
            try:
                await self._holds.give_back_slot(hold)
            except Exception as exc:  # it runs out by itself
                log.warning("could not give back a job slot: %s", exc)
