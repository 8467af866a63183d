"""People's own tokens for a chat platform in SQLite (`bot.ports.UserCredentials`), sealed by the adapter.

Deleting one checkpoints the write-ahead log, where the deleted row's old page would otherwise
linger (the file itself overwrites deleted rows: `secure_delete`).
"""

from __future__ import annotations

import asyncio
import time

import aiosqlite

from storage.sqlite.writes import write_at_once


class SqliteCredentials:
    """The user credentials' part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def save_user_credential(self, owner: str, sealed: bytes) -> None:
        """Store (or replace) an owner's sealed credential."""
        async with self._writing:
            await write_at_once(
                self._db,
                (
                    "INSERT INTO user_credentials (owner, sealed, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (owner) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
                    (owner, sealed, time.time()),
                ),
            )

    async def user_credential(self, owner: str) -> bytes | None:
        """An owner's sealed credential, if one is stored."""
        async with self._db.execute("SELECT sealed FROM user_credentials WHERE owner = ?", (owner,)) as cursor:
            row = await cursor.fetchone()
        return bytes(row[0]) if row else None

    async def delete_user_credential(self, owner: str) -> bool:
        """Forget an owner's credential; whether there was one."""
        return await self._delete_credentials("DELETE FROM user_credentials WHERE owner = ?", (owner,)) > 0

    async def delete_user_credentials_with_prefix(self, prefix: str) -> int:
        """Forget the credentials of every owner whose key starts with `prefix`; how many."""
        return await self._delete_credentials(
            "DELETE FROM user_credentials WHERE substr(owner, 1, ?) = ?", (len(prefix), prefix)
        )

    async def _delete_credentials(self, sql: str, params: tuple[object, ...]) -> int:
        async with self._writing:
            deleted = await write_at_once(self._db, (sql, params))
        if deleted:
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted
