"""Consent records, requests held for an answer, and data export links, in SQLite
(`bot.ports.ConsentLog`, `bot.ports.DataExports`)."""

from __future__ import annotations

import asyncio

import aiosqlite

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
from storage.sqlite.writes import write_at_once

_CONSENTS = f"SELECT {names(CONSENT_COLUMNS)} FROM consents WHERE owner = ? ORDER BY agreed_at DESC"
_PENDING = f"SELECT {names(PENDING_COLUMNS)} FROM pending_requests"


class SqliteConsents:
    """The consent log's and the data exports' part of `SqliteJobStore`, on its connection and write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def record_consent(self, record: ConsentRecord) -> None:
        """Store an agreement."""
        marks = ", ".join("?" for _ in CONSENT_COLUMNS)
        async with self._writing:
            await write_at_once(
                self._db, (f"INSERT INTO consents ({names(CONSENT_COLUMNS)}) VALUES ({marks})", consent_values(record))
            )

    async def latest_consent(self, owner: str) -> ConsentRecord | None:
        """The owner's newest agreement."""
        async with self._db.execute(_CONSENTS + " LIMIT 1", (owner,)) as cursor:
            row = await cursor.fetchone()
        return consent_from(row) if row else None

    async def consent_records(self, owner: str) -> list[ConsentRecord]:
        """Every agreement of the owner, newest first."""
        async with self._db.execute(_CONSENTS, (owner,)) as cursor:
            return [consent_from(row) async for row in cursor]

    async def add_pending_request(self, pending: PendingRequest, drop_before: float) -> None:
        """Hold a request; stale ones go in the same write."""
        marks = ", ".join("?" for _ in PENDING_COLUMNS)
        async with self._writing:
            await write_at_once(
                self._db,
                (f"INSERT INTO pending_requests ({names(PENDING_COLUMNS)}) VALUES ({marks})", pending_values(pending)),
                ("DELETE FROM pending_requests WHERE created_at < ?", (drop_before,)),
            )

    async def pending_request(self, pending_id: str) -> PendingRequest | None:
        """A held request, if it is still waiting."""
        async with self._db.execute(_PENDING + " WHERE id = ?", (pending_id,)) as cursor:
            row = await cursor.fetchone()
        return pending_from(row) if row else None

    async def end_pending_request(self, pending_id: str) -> bool:
        """Drop a held request; True for the one caller that dropped it."""
        async with self._writing:
            return await write_at_once(self._db, ("DELETE FROM pending_requests WHERE id = ?", (pending_id,))) > 0

    async def pending_requests(self, owner: str) -> list[PendingRequest]:
        """The owner's held requests, oldest first."""
        async with self._db.execute(_PENDING + " WHERE owner = ? ORDER BY created_at", (owner,)) as cursor:
            return [pending_from(row) async for row in cursor]

    async def add_data_export_link(self, link: DataExportLink) -> None:
        """Record an issued export link; expired ones go in the same write."""
        async with self._writing:
            await write_at_once(
                self._db,
                (
                    "INSERT INTO data_export_links (token_hash, owner, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    (link.token_hash, link.owner, link.created_at, link.expires_at),
                ),
                ("DELETE FROM data_export_links WHERE expires_at <= ?", (link.created_at,)),
            )

    async def data_export_link(self, token_hash: str, now: float) -> DataExportLink | None:
        """The unexpired link with this token hash (a forgotten owner's links are deleted with them)."""
        async with self._db.execute(
            "SELECT owner, token_hash, created_at, expires_at FROM data_export_links "
            "WHERE token_hash = ? AND expires_at > ?",
            (token_hash, now),
        ) as cursor:
            row = await cursor.fetchone()
        return DataExportLink(str(row[0]), str(row[1]), float(row[2]), float(row[3])) if row else None

    async def charges_of(self, owner: str) -> list[Charge]:
        """The owner's quota charges still kept, oldest first."""
        async with self._db.execute(
            f"SELECT {names(CHARGE_COLUMNS)} FROM quota_charges WHERE owner = ? ORDER BY at", (owner,)
        ) as cursor:
            return [charge_from(row) async for row in cursor]
