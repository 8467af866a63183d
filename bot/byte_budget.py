"""A budget of bytes held in memory at once, shared by every download of the process.

A count of downloads bounds memory only as well as the largest file allows: the same count is
too many for big files and too few for small ones (a pack of 60 small images would wait for a
second round). Here each download reserves the bytes it may hold before it starts, waits while
the budget is spent, and gives back what it turns out not to need once the server says how long
the file is. Reservations are granted in the order they were asked for, so a large one is not
passed over for ever by small ones; one larger than the whole budget runs alone.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Reservation:
    """Bytes held from a `ByteBudget` until the `reserve` block ends; `shrink` gives some back early."""

    def __init__(self, budget: ByteBudget, amount: int) -> None:
        self._budget = budget
        self.amount = amount

    def shrink(self, amount: int) -> None:
        """Keep only `amount` bytes (never more than already held); the rest goes back at once."""
        amount = max(0, amount)
        if amount < self.amount:
            self._budget._give_back(self.amount - amount)
            self.amount = amount


class ByteBudget:
    """At most `limit` bytes reserved at once, granted first come, first served."""

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("a byte budget needs a positive limit")
        self.limit = limit
        self.in_use = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def reserve(self, amount: int) -> AsyncIterator[Reservation]:
        """Hold `amount` bytes (at most the whole budget) for the block, waiting until they are free."""
        held = Reservation(self, await self._take(min(max(0, amount), self.limit)))
        try:
            yield held
        finally:
            self._give_back(held.amount)

    async def _take(self, amount: int) -> int:
        if not self._waiting and self.in_use + amount <= self.limit:
            self.in_use += amount
            return amount
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn = (amount, granted)
        self._waiting.append(turn)
        try:
            await granted
        except BaseException:
            if granted.done() and not granted.cancelled():
                self._give_back(amount)  # granted just as the wait was cancelled
            else:
                if turn in self._waiting:
                    self._waiting.remove(turn)
                self._grant()  # the ones behind may fit now
            raise
        return amount

    def _give_back(self, amount: int) -> None:
        self.in_use -= amount
        self._grant()

    def _grant(self) -> None:
        while self._waiting and self.in_use + self._waiting[0][0] <= self.limit:
            amount, granted = self._waiting.popleft()
            if granted.done():  # cancelled while queued
                continue
            self.in_use += amount
            granted.set_result(None)
