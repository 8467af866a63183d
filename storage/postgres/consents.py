"""Consent records, requests held for an answer, and data export links, on PostgreSQL
(`bot.ports.ConsentLog`, `bot.ports.DataExports`)."""

from __future__ import annotations

from bot.consent.records import ConsentRecord, DataExportLink, PendingRequest
from bot.quotas import Charge
from storage.consent_rows import (
    CHARGE_COLUMNS,
    CONSENT_COLUMNS,
    PENDING_COLUMNS,
    charge_from,
    consent_from,
    consent_values,
    names,
    pending_from,
    pending_values,
)
from storage.postgres.connect import GuardedPool

_CONSENTS = f"SELECT {names(CONSENT_COLUMNS)} FROM consents WHERE owner = $1 ORDER BY agreed_at DESC"
_PENDING = f"SELECT {names(PENDING_COLUMNS)} FROM pending_requests"


def _marks(count: int) -> str:
    return ", ".join(f"${n}" for n in range(1, count + 1))


class PostgresConsents:
    """The consent log's and the data exports' part of `PostgresStore`."""

    _pool: GuardedPool

    async def record_consent(self, record: ConsentRecord) -> None:
        """Store an agreement."""
        await self._pool.execute(
            f"INSERT INTO consents ({names(CONSENT_COLUMNS)}) VALUES ({_marks(len(CONSENT_COLUMNS))})",
            *consent_values(record),
        )

    async def latest_consent(self, owner: str) -> ConsentRecord | None:
        """The owner's newest agreement."""
        rows = await self._pool.fetch(_CONSENTS + " LIMIT 1", owner)
        return consent_from(rows[0]) if rows else None

    async def consent_records(self, owner: str) -> list[ConsentRecord]:
        """Every agreement of the owner, newest first."""
        return [consent_from(row) for row in await self._pool.fetch(_CONSENTS, owner)]

    async def add_pending_request(self, pending: PendingRequest, drop_before: float) -> None:
        """Hold a request; stale ones go in the same transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"INSERT INTO pending_requests ({names(PENDING_COLUMNS)}) VALUES ({_marks(len(PENDING_COLUMNS))})",
                *pending_values(pending),
            )
            await conn.execute("DELETE FROM pending_requests WHERE created_at < $1", drop_before)

    async def pending_request(self, pending_id: str) -> PendingRequest | None:
        """A held request, if it is still waiting."""
        rows = await self._pool.fetch(_PENDING + " WHERE id = $1", pending_id)
        return pending_from(rows[0]) if rows else None

    async def end_pending_request(self, pending_id: str) -> bool:
        """Drop a held request; True for the one caller that dropped it."""
        status: str = await self._pool.execute("DELETE FROM pending_requests WHERE id = $1", pending_id)
        return status != "DELETE 0"

    async def pending_requests(self, owner: str) -> list[PendingRequest]:
        """The owner's held requests, oldest first."""
        return [
            pending_from(row)
            for row in await self._pool.fetch(_PENDING + " WHERE owner = $1 ORDER BY created_at", owner)
        ]

    async def add_data_export_link(self, link: DataExportLink) -> None:
        """Record an issued export link; expired ones go in the same transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO data_export_links (token_hash, owner, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                link.token_hash,
                link.owner,
                link.created_at,
                link.expires_at,
            )
            await conn.execute("DELETE FROM data_export_links WHERE expires_at <= $1", link.created_at)

    async def data_export_link(self, token_hash: str, now: float) -> DataExportLink | None:
        """The unexpired link with this token hash (a forgotten owner's links are deleted with them)."""
        rows = await self._pool.fetch(
            "SELECT owner, token_hash, created_at, expires_at FROM data_export_links "
            "WHERE token_hash = $1 AND expires_at > $2",
            token_hash,
            now,
        )
        if not rows:
            return None
        row = rows[0]
        return DataExportLink(
            str(row["owner"]), str(row["token_hash"]), float(row["created_at"]), float(row["expires_at"])
        )

    async def charges_of(self, owner: str) -> list[Charge]:
        """The owner's quota charges still kept, oldest first."""
        rows = await self._pool.fetch(
            f"SELECT {names(CHARGE_COLUMNS)} FROM quota_charges WHERE owner = $1 ORDER BY at", owner
        )
        return [charge_from(row) for row in rows]
