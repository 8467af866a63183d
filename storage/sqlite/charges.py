"""Quota charges in SQLite (`bot.ports.QuotaLedger`): one row per job, and a running count per window.

A charge is held when a request starts, confirmed by the job's own row, settled when the job
ends. Beside the rows, `quota_counts` keeps each user's and each workspace's images per provider
per UTC day and month, changed in the same transaction as the row, so checking a limit reads one
count instead of adding up a month of jobs. A hold whose process died is simply not counted once
it lapses (the few outstanding holds have their own index); the sweep then removes it.

Each method is one transaction, so the PostgreSQL store can say the same; the check-and-hold
takes the write lock first (`BEGIN IMMEDIATE`; on PostgreSQL, `SELECT ... FOR UPDATE` on the
counts or an advisory lock per provider), so simultaneous holds are decided one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from bot.quotas import Charge, ChargeTotal, Period, Scope, Window, window
from storage.sqlite.writes import SqliteRole

# A charge counts once its job is recorded (held_until NULL), or while its hold lasts.
LIVE = "(held_until IS NULL OR held_until > :now)"
_COLUMN = {Scope.USER: "owner", Scope.WORKSPACE: "workspace"}
# The same write that records the job confirms its hold (see `SqliteJobs.admit`).
CONFIRM = "UPDATE quota_charges SET held_until = NULL WHERE job_id = ?"
_BUMP = (
    "INSERT INTO quota_counts (provider, scope, key, period, start, images) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (provider, scope, key, period, start) DO UPDATE SET images = images + excluded.images"
)


class SqliteCharges(SqliteRole):
    """The quota ledger's part of `SqliteJobStore`, on its connection and its write lock."""

    @staticmethod
    def _uses_sql(windows: Sequence[Window], now: float) -> tuple[list[str], dict[str, object]]:
        """One expression per window: its count less its lapsed holds; and their parameters."""
        parts = [
            f"(SELECT COALESCE(SUM(images), 0) FROM quota_counts WHERE provider = :p{n} AND scope = :c{n} "
            f"AND key = :k{n} AND period = :d{n} AND start = :s{n}) - "
            # Only the outstanding holds are looked at, never the month of charges behind them.
            f"(SELECT COALESCE(SUM(images), 0) FROM quota_charges INDEXED BY quota_holds WHERE held_until IS NOT NULL "
            f"AND held_until <= :now AND provider = :p{n} AND {_COLUMN[w.limit.scope]} = :k{n} AND at >= :s{n})"
            for n, w in enumerate(windows)
        ]
        params: dict[str, object] = {"now": now}
        for n, w in enumerate(windows):
            limit = w.limit
            params.update({f"p{n}": limit.provider, f"c{n}": limit.scope.value, f"k{n}": w.key,
                           f"d{n}": limit.period.value, f"s{n}": w.start})
        return parts, params

    def _fits(self, windows: Sequence[Window], images: int, now: float) -> tuple[str, dict[str, object]]:
        """A condition true when `images` more stay within every window's limit; and its parameters."""
        parts, params = self._uses_sql(windows, now)
        params["more"] = images
        conditions = [f"{part} + :more <= :l{n}" for n, part in enumerate(parts)]
        params.update({f"l{n}": w.limit.images for n, w in enumerate(windows)})
        return " AND ".join(conditions) or "1", params

    async def _used(self, windows: Sequence[Window], now: float) -> list[int]:
        """Each window's count less its lapsed holds, in one statement (one trip to SQLite)."""
        if not windows:
            return []
        parts, params = self._uses_sql(windows, now)
        rows = list(await self._db.execute_fetchall(f"SELECT {', '.join(parts)}", params))  # one trip, not three
        return [int(value) for value in rows[0]] if rows else [0] * len(windows)

    async def _count(self, provider: str, owner: str, workspace: str, at: float, images: int) -> None:
        """Add `images` (or take them back, when negative) to the charge's four windows."""
        rows = [
            (provider, scope.value, key, period.value, window(period, at)[0], images)
            for scope, key in ((Scope.USER, owner), (Scope.WORKSPACE, workspace))
            for period in Period
        ]
        await self._db.executemany(_BUMP, rows)

    async def hold_charge(self, charge: Charge, windows: Sequence[Window], until: float) -> tuple[int, int] | None:
        """Hold `charge` until `until` unless it would pass a window's limit: then (its index, its use).

        The check and the insert are one statement, so a hold costs no more trips than an unlimited one.
        """
        fits, params = self._fits(windows, charge.images, charge.at)
        params.update(job=charge.job_id, provider=charge.provider, owner=charge.owner, workspace=charge.workspace,
                      at=charge.at, images=charge.images, until=until)
        async with self._immediate() as db:
            added = await db.execute(
                "INSERT INTO quota_charges (job_id, provider, owner, workspace, at, images, held_until) "
                f"SELECT :job, :provider, :owner, :workspace, :at, :images, :until WHERE {fits}",
                params,
            )
            if added.rowcount:
                await self._count(charge.provider, charge.owner, charge.workspace, charge.at, charge.images)
                return None
            uses = await self._used(windows, charge.at)
        index = next(n for n, (w, used) in enumerate(zip(windows, uses, strict=True))
                     if used + charge.images > w.limit.images)
        return index, uses[index]

    async def _charge(self, job_id: str, *, held: bool = False) -> aiosqlite.Row | None:
        sql = "SELECT provider, owner, workspace, at, images FROM quota_charges WHERE job_id = ?"
        async with self._db.execute(sql + (" AND held_until IS NOT NULL" if held else ""), (job_id,)) as cursor:
            return await cursor.fetchone()

    async def release_charge(self, job_id: str) -> None:
        """Drop a hold whose job was never recorded."""
        async with self._immediate() as db:
            row = await self._charge(job_id, held=True)
            if row is not None:
                await db.execute("DELETE FROM quota_charges WHERE job_id = ?", (job_id,))
                await self._count(row[0], row[1], row[2], row[3], -row[4])

    async def settle_charge(self, job_id: str, images: int) -> None:
        """Count what a finished job delivered (never more than it held)."""
        async with self._immediate() as db:
            row = await self._charge(job_id)
            if row is not None and images < row[4]:
                await db.execute("UPDATE quota_charges SET images = ? WHERE job_id = ?", (images, job_id))
                await self._count(row[0], row[1], row[2], row[3], images - row[4])

    async def charged(self, windows: Sequence[Window], now: float) -> list[int]:
        """The images counted in each window."""
        return await self._used(windows, now)

    async def charge_totals(self, since: float, now: float) -> list[ChargeTotal]:
        """Images charged since `since`, per workspace, owner and provider (the operator's report)."""
        async with self._db.execute(
            "SELECT workspace, owner, provider, SUM(images) FROM quota_charges "
            f"WHERE at >= :since AND {LIVE} GROUP BY workspace, owner, provider",
            {"since": since, "now": now},
        ) as cursor:
            return [ChargeTotal(str(r[0]), str(r[1]), str(r[2]), int(r[3])) async for r in cursor]

    async def drop_charges_before(self, cutoff: float, now: float) -> int:
        """Take back lapsed holds, and forget charges and counts older than `cutoff`; returns the charges removed."""
        async with self._immediate() as db:
            lapsed = list(await db.execute_fetchall(
                "SELECT provider, owner, workspace, at, images FROM quota_charges "
                "WHERE held_until IS NOT NULL AND held_until <= ?", (now,)
            ))
            for row in lapsed:
                await self._count(row[0], row[1], row[2], row[3], -row[4])
            cursor = await db.execute(
                "DELETE FROM quota_charges WHERE at < ? OR (held_until IS NOT NULL AND held_until <= ?)", (cutoff, now)
            )
            await db.execute("DELETE FROM quota_counts WHERE start < ?", (cutoff,))
            return cursor.rowcount
