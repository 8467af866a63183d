"""Chat app installations per workspace (sealed by the adapter) and one-time OAuth states, in SQLite."""

from __future__ import annotations

import time

from storage.sqlite.writes import SqliteRole


class SqliteInstallations(SqliteRole):
    """`Installations` and `OneTimeStates` for `SqliteJobStore`."""

    async def save_installation(self, workspace: str, sealed: bytes) -> None:
        """Store (or replace) a workspace's sealed installation."""
        await self._write((
            "INSERT INTO installations (workspace, sealed, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (workspace) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            (workspace, sealed, time.time()),
        ))

    async def installation(self, workspace: str) -> bytes | None:
        """A workspace's sealed installation, if any."""
        async with self._db.execute("SELECT sealed FROM installations WHERE workspace = ?", (workspace,)) as cursor:
            row = await cursor.fetchone()
        return bytes(row[0]) if row else None

    async def installations(self) -> list[tuple[str, bytes]]:
        """Every stored installation."""
        async with self._db.execute("SELECT workspace, sealed FROM installations ORDER BY workspace") as cursor:
            return [(str(row[0]), bytes(row[1])) async for row in cursor]

    async def delete_installation(self, workspace: str) -> bool:
        """Forget a workspace's installation; whether there was one."""
        deleted = await self._write(("DELETE FROM installations WHERE workspace = ?", (workspace,))) > 0
        if deleted:  # the old pages stay in the write-ahead log until it is checkpointed
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    async def issue_state(self, state_hash: str, expires_at: float) -> None:
        """Remember a one-time state until `expires_at`; expired ones go at the same time."""
        await self._write(
            ("INSERT INTO oauth_states (state_hash, expires_at) VALUES (?, ?)", (state_hash, expires_at)),
            ("DELETE FROM oauth_states WHERE expires_at < ?", (time.time(),)),
        )

    async def consume_state(self, state_hash: str, now: float) -> bool:
        """True exactly once for an issued, unexpired state."""
        return await self._write(
            ("DELETE FROM oauth_states WHERE state_hash = ? AND expires_at > ?", (state_hash, now))
        ) > 0
