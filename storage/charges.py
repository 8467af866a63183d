"""Quota charges in SQLite (`bot.ports.QuotaLedger`): one row per job, held, confirmed, settled.

Each method is one statement or one transaction, so the PostgreSQL store can say the same; the
check-and-hold is one `BEGIN IMMEDIATE` transaction (PostgreSQL: one transaction under a
transaction-scoped advisory lock per provider), so simultaneous holds are decided one at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosqlite

from bot.quotas import Charge, ChargeTotal, Scope, Window
from storage.writes import begin_immediate, write_at_once

# A charge counts once its job is recorded (held_until NULL), or while its hold lasts.
LIVE = "(held_until IS NULL OR held_until > :now)"
_USED = {
    Scope.USER: f"SELECT COALESCE(SUM(images), 0) FROM quota_charges WHERE provider = :provider "
    f"AND owner = :key AND at >= :since AND {LIVE}",
    Scope.WORKSPACE: f"SELECT COALESCE(SUM(images), 0) FROM quota_charges WHERE provider = :provider "
    f"AND workspace = :key AND at >= :since AND {LIVE}",
}
# The same write of the job row confirms its hold (see `SqliteJobStore.add`).
CONFIRM = "UPDATE quota_charges SET held_until = NULL WHERE job_id = ?"


class SqliteCharges:
    """The quota ledger's part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def _used(self, provider: str, window: Window, now: float) -> int:
        params = {"provider": provider, "key": window.key, "since": window.start, "now": now}
        async with self._db.execute(_USED[window.limit.scope], params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def hold_charge(self, charge: Charge, windows: Sequence[Window], until: float) -> tuple[int, int] | None:
        """Hold `charge` until `until` unless it would pass a window's limit: then (its index, its use)."""
        async with self._writing:
            await begin_immediate(self._db)
            try:
                for index, window in enumerate(windows):
                    used = await self._used(charge.provider, window, charge.at)
                    if used + charge.images > window.limit.images:
                        await self._db.rollback()
                        return index, used
                await self._db.execute(
                    "INSERT INTO quota_charges (job_id, provider, owner, workspace, at, images, held_until) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (charge.job_id, charge.provider, charge.owner, charge.workspace, charge.at, charge.images, until),
                )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise
        return None

    async def release_charge(self, job_id: str) -> None:
        """Drop a hold whose job was never recorded."""
        async with self._writing:
            sql = "DELETE FROM quota_charges WHERE job_id = ? AND held_until IS NOT NULL"
            await write_at_once(self._db, (sql, (job_id,)))

    async def settle_charge(self, job_id: str, images: int) -> None:
        """Count what a finished job delivered (never more than it held)."""
        async with self._writing:
            sql = "UPDATE quota_charges SET images = MIN(images, ?) WHERE job_id = ?"
            await write_at_once(self._db, (sql, (images, job_id)))

    async def charged(self, provider: str, windows: Sequence[Window], now: float) -> list[int]:
        """The images counted in each window."""
        return [await self._used(provider, window, now) for window in windows]

    async def charge_totals(self, since: float, now: float) -> list[ChargeTotal]:
        """Images charged since `since`, per workspace, owner and provider."""
        async with self._db.execute(
            "SELECT workspace, owner, provider, SUM(images) FROM quota_charges "
            f"WHERE at >= :since AND {LIVE} GROUP BY workspace, owner, provider",
            {"since": since, "now": now},
        ) as cursor:
            return [ChargeTotal(str(r[0]), str(r[1]), str(r[2]), int(r[3])) async for r in cursor]

    async def drop_charges_before(self, cutoff: float, now: float) -> int:
        """Forget charges older than every window (and lapsed holds); returns how many."""
        async with self._writing:
            return await write_at_once(self._db, (
                "DELETE FROM quota_charges WHERE at < ? OR (held_until IS NOT NULL AND held_until <= ?)", (cutoff, now)
            ))
