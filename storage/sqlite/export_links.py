"""Links to favourites exports in SQLite (`bot.ports.ExportLinks`), by the hash of their token."""

from __future__ import annotations

import asyncio

import aiosqlite

from bot.jobs import ExportLink
from storage.sqlite.writes import write_at_once

_COLUMNS = "token_hash, workspace, owner_prefix, surface, created_by, expires_at"


class SqliteExportLinks:
    """The export links' part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def add_export_link(self, link: ExportLink, now: float) -> None:
        """Record a newly issued link; expired ones go in the same write."""
        async with self._writing:
            await write_at_once(
                self._db,
                (
                    f"INSERT INTO export_links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        link.token_hash,
                        link.workspace,
                        link.owner_prefix,
                        link.surface,
                        link.created_by,
                        link.expires_at,
                    ),
                ),
                ("DELETE FROM export_links WHERE expires_at <= ?", (now,)),
            )

    async def export_link(self, token_hash: str, now: float) -> ExportLink | None:
        """The link with this token hash, unless it has expired."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM export_links WHERE token_hash = ? AND expires_at > ?", (token_hash, now)
        ) as cursor:
            row = await cursor.fetchone()
        return (
            ExportLink(str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), float(row[5])) if row else None
        )
