"""Chat app installations per workspace (sealed by the adapter) and one-time OAuth states, on PostgreSQL."""

from __future__ import annotations

import time

from storage.postgres.connect import GuardedPool


class PostgresInstallations:
    """`Installations` and `OneTimeStates` on an asyncpg pool."""

    _pool: GuardedPool

    async def save_installation(self, workspace: str, sealed: bytes) -> None:
        """Store (or replace) a workspace's sealed installation."""
        await self._pool.execute(
            "INSERT INTO installations (workspace, sealed, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (workspace) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            workspace, sealed, time.time(),
        )

    async def installation(self, workspace: str) -> bytes | None:
        """A workspace's sealed installation, if any."""
        value = await self._pool.fetchval("SELECT sealed FROM installations WHERE workspace = $1", workspace)
        return bytes(value) if value is not None else None

    async def installations(self) -> list[tuple[str, bytes]]:
        """Every stored installation."""
        rows = await self._pool.fetch("SELECT workspace, sealed FROM installations ORDER BY workspace")
        return [(str(row["workspace"]), bytes(row["sealed"])) for row in rows]

    async def delete_installation(self, workspace: str) -> bool:
        """Forget a workspace's installation; whether there was one."""
        status: str = await self._pool.execute("DELETE FROM installations WHERE workspace = $1", workspace)
        return status != "DELETE 0"

    async def issue_state(self, state_hash: str, expires_at: float) -> None:
        """Remember a one-time state until `expires_at`; expired ones go at the same time."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO oauth_states (state_hash, expires_at) VALUES ($1, $2)", state_hash, expires_at
            )
            await conn.execute("DELETE FROM oauth_states WHERE expires_at < $1", time.time())

    async def consume_state(self, state_hash: str, now: float) -> bool:
        """True exactly once for an issued, unexpired state (whichever replica asks)."""
        status: str = await self._pool.execute(
            "DELETE FROM oauth_states WHERE state_hash = $1 AND expires_at > $2", state_hash, now
        )
        return status != "DELETE 0"
