"""The per-user job limit within one process: unfinished jobs in the store, plus those being started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.ports import JobRecords, SlotsTaken


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
    async def hold(self, owner: str, limit: int) -> AsyncIterator[None]:
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
