"""People's own tokens for a chat platform on PostgreSQL (`bot.ports.UserCredentials`), sealed by the adapter."""

from __future__ import annotations

import time

from storage.postgres.connect import GuardedPool


class PostgresCredentials:
    """The user credentials' part of `PostgresStore`."""

    _pool: GuardedPool

    async def save_user_credential(self, owner: str, sealed: bytes) -> None:
        """Store (or replace) an owner's sealed credential."""
        await self._pool.execute(
            "INSERT INTO user_credentials (owner, sealed, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (owner) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            owner,
            sealed,
            time.time(),
        )

    async def user_credential(self, owner: str) -> bytes | None:
        """An owner's sealed credential, if one is stored."""
        value = await self._pool.fetchval("SELECT sealed FROM user_credentials WHERE owner = $1", owner)
        return bytes(value) if value is not None else None

    async def delete_user_credential(self, owner: str) -> bool:
        """Forget an owner's credential; whether there was one."""
        status: str = await self._pool.execute("DELETE FROM user_credentials WHERE owner = $1", owner)
        return status != "DELETE 0"

    async def delete_user_credentials_with_prefix(self, prefix: str) -> int:
        """Forget the credentials of every owner whose key starts with `prefix`; how many."""
        status: str = await self._pool.execute("DELETE FROM user_credentials WHERE starts_with(owner, $1)", prefix)
        return int(status.rsplit(" ", 1)[-1])
