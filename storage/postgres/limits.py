"""What must hold across replicas on PostgreSQL: provider call limits, job slots, seen keys.

A check and its write run in one transaction that first takes a transaction-level advisory
lock on what is being counted (a provider, an owner), so replicas asking at the same moment
queue for that lock instead of both passing the check.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from storage.postgres.connect import GuardedPool

PRUNE_EVERY = 500  # seen keys: sweep the expired ones every this many sightings


class PostgresLimits:
    """`CallLog`, `JobSlots` and `SeenKeys` on an asyncpg pool."""

    _pool: GuardedPool
    _sightings = 0

    async def take_call(self, provider: str, at: float, limits: Sequence[tuple[int, float]]) -> float:
        """Log a call if every limit allows one now (0), else the seconds until one would."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('calls:' || $1, 0))", provider)
            wait = 0.0
            for limit, window in limits:
                nth = await conn.fetchval(
                    "SELECT at FROM provider_calls WHERE provider = $1 AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1",
                    provider, at - window, limit - 1,
                )
                if nth is not None:  # the limit-th most recent call is still inside the window
                    wait = max(wait, float(nth) + window - at)
            if wait == 0:
                horizon = max((window for _limit, window in limits), default=0.0)
                await conn.execute("INSERT INTO provider_calls (provider, at) VALUES ($1, $2)", provider, at)
                await conn.execute("DELETE FROM provider_calls WHERE provider = $1 AND at < $2", provider, at - horizon)
            return wait

    async def calls_since(self, provider: str, since: float) -> list[float]:
        """Times of the calls to a provider since `since`, oldest first."""
        rows = await self._pool.fetch(
            "SELECT at FROM provider_calls WHERE provider = $1 AND at >= $2 ORDER BY at", provider, since
        )
        return [float(row["at"]) for row in rows]

    async def take_slot(
        self, owner: str, limit: int, hold_s: float, hold_id: str | None = None
    ) -> tuple[str | None, int]:
        """Hold one of the owner's slots if unfinished jobs and live holds leave one free."""
        now = time.time()
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('slots:' || $1, 0))", owner)
            await conn.execute("DELETE FROM job_holds WHERE owner = $1 AND until < $2", owner, now)
            busy = int(await conn.fetchval(
                "SELECT (SELECT count(*) FROM jobs WHERE owner = $1 AND state NOT IN ('delivered', 'failed')) "
                "+ (SELECT count(*) FROM job_holds WHERE owner = $1)",
                owner,
            ))
            if busy >= limit:
                return None, busy
            hold = hold_id or uuid.uuid4().hex
            await conn.execute(
                "INSERT INTO job_holds (id, owner, until) VALUES ($1, $2, $3)", hold, owner, now + hold_s
            )
            return hold, busy

    async def slots_in_use(self, owner: str) -> int:
        """Unfinished jobs and live holds of an owner."""
        value = await self._pool.fetchval(
            "SELECT (SELECT count(*) FROM jobs WHERE owner = $1 AND state NOT IN ('delivered', 'failed')) "
            "+ (SELECT count(*) FROM job_holds WHERE owner = $1 AND until >= $2)",
            owner, time.time(),
        )
        return int(value)

    async def give_back_slot(self, hold: str) -> None:
        """End a hold."""
        await self._pool.execute("DELETE FROM job_holds WHERE id = $1", hold)

    async def seen_once(self, key: str, ttl_s: float) -> bool:
        """True the first time `key` is seen within `ttl_s` seconds, on any replica."""
        now = time.time()
        first = await self._pool.fetchval(
            "INSERT INTO seen_keys (key, until) VALUES ($1, $2) "
            "ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE seen_keys.until < $3 RETURNING true",
            key, now + ttl_s, now,
        )
        self._sightings += 1
        if self._sightings % PRUNE_EVERY == 0:
            await self._pool.execute("DELETE FROM seen_keys WHERE until < $1", now)
        return first is True
