"""Quota charges on PostgreSQL (`bot.ports.QuotaLedger`): one row per job, held, confirmed, settled.

The check-and-hold runs in one transaction under a transaction-scoped advisory lock on the
provider, so holds from any number of replicas at the same moment are decided one at a time.
A window's use is summed from its charges over an index (provider, owner or workspace, time),
not kept as a running count as the SQLite store does.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.quotas import Charge, ChargeTotal, Scope, Window
from storage.postgres.connect import GuardedPool

# A charge counts once its job is recorded (held_until NULL), or while its hold lasts.
_LIVE = "(held_until IS NULL OR held_until > $4)"
_USED = {
    Scope.USER: "SELECT coalesce(sum(images), 0) FROM quota_charges WHERE provider = $1 "
    f"AND owner = $2 AND at >= $3 AND {_LIVE}",
    Scope.WORKSPACE: "SELECT coalesce(sum(images), 0) FROM quota_charges WHERE provider = $1 "
    f"AND workspace = $2 AND at >= $3 AND {_LIVE}",
}


class PostgresCharges:
    """The quota ledger's part of `PostgresStore`."""

    _pool: GuardedPool

    async def hold_charge(self, charge: Charge, windows: Sequence[Window], until: float) -> tuple[int, int] | None:
        """Hold `charge` until `until` unless it would pass a window's limit: then (its index, its use)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('quota:' || $1, 0))", charge.provider)
            for index, window in enumerate(windows):
                used = int(await conn.fetchval(
                    _USED[window.limit.scope], charge.provider, window.key, window.start, charge.at
                ))
                if used + charge.images > window.limit.images:
                    return index, used
            await conn.execute(
                "INSERT INTO quota_charges (job_id, provider, owner, workspace, at, images, held_until) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                charge.job_id, charge.provider, charge.owner, charge.workspace, charge.at, charge.images, until,
            )
        return None

    async def release_charge(self, job_id: str) -> None:
        """Drop a hold whose job was never recorded."""
        await self._pool.execute("DELETE FROM quota_charges WHERE job_id = $1 AND held_until IS NOT NULL", job_id)

    async def settle_charge(self, job_id: str, images: int) -> None:
        """Count what a finished job delivered (never more than it held)."""
        await self._pool.execute(
            "UPDATE quota_charges SET images = least(images, $1) WHERE job_id = $2", images, job_id
        )

    async def charged(self, windows: Sequence[Window], now: float) -> list[int]:
        """The images counted in each window (of its limit's provider)."""
        return [
            int(await self._pool.fetchval(_USED[w.limit.scope], w.limit.provider, w.key, w.start, now))
            for w in windows
        ]

    async def charge_totals(self, since: float, now: float) -> list[ChargeTotal]:
        """Images charged since `since`, per workspace, owner and provider."""
        rows = await self._pool.fetch(
            "SELECT workspace, owner, provider, sum(images) AS images FROM quota_charges "
            "WHERE at >= $1 AND (held_until IS NULL OR held_until > $2) GROUP BY workspace, owner, provider",
            since, now,
        )
        return [ChargeTotal(str(r["workspace"]), str(r["owner"]), str(r["provider"]), int(r["images"])) for r in rows]

    async def drop_charges_before(self, cutoff: float, now: float) -> int:
        """Forget charges older than every window (and lapsed holds); returns how many."""
        status: str = await self._pool.execute(
            "DELETE FROM quota_charges WHERE at < $1 OR (held_until IS NOT NULL AND held_until <= $2)", cutoff, now
        )
        return int(status.rsplit(" ", 1)[-1])
