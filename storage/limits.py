"""What must hold across processes in the SQLite store: provider call limits, job slots, seen keys.

Each check and its write happen in one `BEGIN IMMEDIATE` transaction, which SQLite gives to
one writer at a time, so two processes on the file cannot both take the last slot either.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiosqlite

from storage.writes import begin_immediate

# Unfinished states are everything but these two.
_TERMINAL = ("delivered", "failed")
PRUNE_EVERY = 500  # seen keys: sweep the expired ones every this many sightings


class SqliteLimits:
    """`CallLog`, `JobSlots` and `SeenKeys` for `storage.jobs.SqliteJobStore`."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock
    _sightings = 0

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[aiosqlite.Connection]:
        """One read-then-write transaction that holds SQLite's write lock from its first statement."""
        async with self._writing:
            try:
                await begin_immediate(self._db)  # inside: see `storage.writes.transaction`
                yield self._db
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise

    async def take_call(self, provider: str, at: float, limits: Sequence[tuple[int, float]]) -> float:
        """Log a call if every limit allows one now (0), else the seconds until one would."""
        async with self._immediate() as db:
            wait = 0.0
            for limit, window in limits:
                rows = await db.execute_fetchall(
                    "SELECT at FROM provider_calls WHERE provider = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                    (provider, at - window, limit - 1),
                )
                for row in rows:  # the limit-th most recent call is still inside the window
                    wait = max(wait, float(row[0]) + window - at)
            if wait == 0:
                horizon = max((window for _limit, window in limits), default=0.0)
                await db.execute("INSERT INTO provider_calls (provider, at) VALUES (?, ?)", (provider, at))
                await db.execute("DELETE FROM provider_calls WHERE provider = ? AND at < ?", (provider, at - horizon))
            return wait

    async def calls_since(self, provider: str, since: float) -> list[float]:
        """Times of the calls to a provider since `since`, oldest first."""
        rows = await self._db.execute_fetchall(
            "SELECT at FROM provider_calls WHERE provider = ? AND at >= ? ORDER BY at", (provider, since)
        )
        return [float(row[0]) for row in rows]

    async def take_slot(
        self, owner: str, limit: int, hold_s: float, hold_id: str | None = None
    ) -> tuple[str | None, int]:
        """Hold one of the owner's slots if unfinished jobs and live holds leave one free."""
        now = time.time()
        async with self._immediate() as db:
            await db.execute("DELETE FROM job_holds WHERE until < ?", (now,))
            rows = await db.execute_fetchall(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE owner = ? AND state NOT IN (?, ?)) "
                "+ (SELECT COUNT(*) FROM job_holds WHERE owner = ?)",
                (owner, *_TERMINAL, owner),
            )
            busy = int(next(iter(rows))[0])
            if busy >= limit:
                return None, busy
            hold = hold_id or uuid.uuid4().hex
            await db.execute("INSERT INTO job_holds (id, owner, until) VALUES (?, ?, ?)", (hold, owner, now + hold_s))
            return hold, busy

    async def slots_in_use(self, owner: str) -> int:
        """Unfinished jobs and live holds of an owner.

        Read under the write lock: on the shared connection a read between the statements of a
        write would see its job recorded and its hold not yet ended, and count both.
        """
        async with self._writing:
            rows = await self._db.execute_fetchall(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE owner = ? AND state NOT IN (?, ?)) "
                "+ (SELECT COUNT(*) FROM job_holds WHERE owner = ? AND until >= ?)",
                (owner, *_TERMINAL, owner, time.time()),
            )
        return int(next(iter(rows))[0])

    async def give_back_slot(self, hold: str) -> None:
        """End a hold."""
        async with self._immediate() as db:
            await db.execute("DELETE FROM job_holds WHERE id = ?", (hold,))

    async def seen_once(self, key: str, ttl_s: float) -> bool:
        """True the first time `key` is seen within `ttl_s` seconds."""
        now = time.time()
        async with self._immediate() as db:
            cursor = await db.execute(
                "INSERT INTO seen_keys (key, until) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE seen_keys.until < ?",
                (key, now + ttl_s, now),
            )
            first = cursor.rowcount > 0
            self._sightings += 1
            if self._sightings % PRUNE_EVERY == 0:
                await db.execute("DELETE FROM seen_keys WHERE until < ?", (now,))
            return first
