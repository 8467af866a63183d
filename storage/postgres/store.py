"""The PostgreSQL store: every store role on one asyncpg pool, the schema migrated at open."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.errors import StoreUnavailable
from storage.callback_groups import CallbackGroups
from storage.postgres.brand_kits import PostgresBrandKits
from storage.postgres.campaigns import PostgresCampaigns
from storage.postgres.charges import PostgresCharges
from storage.postgres.connect import DatabaseUnavailable, GuardedPool, connect, describe, open_pool
from storage.postgres.consents import PostgresConsents
from storage.postgres.credentials import PostgresCredentials
from storage.postgres.export_links import PostgresExportLinks
from storage.postgres.favourites import PostgresFavourites
from storage.postgres.installations import PostgresInstallations
from storage.postgres.intakes import PostgresIntakes
from storage.postgres.jobs import PostgresJobs
from storage.postgres.limits import PostgresLimits
from storage.postgres.migrations import migrate
from storage.postgres.records import PostgresRecords
from storage.postgres.workspace_retention import PostgresWorkspaceRetention

PING_TIMEOUT_S = 2.0


class PostgresStore(
    PostgresJobs, PostgresRecords, PostgresLimits, PostgresCharges, PostgresIntakes, PostgresInstallations,
    PostgresFavourites,
    PostgresCredentials,
    PostgresBrandKits,
    PostgresWorkspaceRetention,
    PostgresCampaigns,
    PostgresExportLinks,
    PostgresConsents,
):
    """`bot.ports.JobStore` on PostgreSQL, for any number of processes sharing one database.

    Leases are what keep a job on one process at a time, so unlike the SQLite store nothing is
    dropped at open: a lease left by a process that died runs out by itself.
    """

    def __init__(self, pool: GuardedPool, url: str) -> None:
        self._pool = pool
        self.url = url
        self.description = describe(url)
        # A server that is away is away for the whole group (see `CallbackGroups`); two groups at
        # once keep a second server process busy while the first one's answer comes back.
        self._callbacks = CallbackGroups(self._record_callbacks, (StoreUnavailable,), recorders=2)

    @classmethod
    async def open(cls, url: str, *, max_connections: int = 10) -> PostgresStore:
        """Connect, migrate under the migration lock, and open the pool; `DatabaseUnavailable` if it cannot."""
        conn = await connect(url)
        try:
            await migrate(conn)
        except asyncpg.PostgresError as exc:
            raise DatabaseUnavailable(f"{describe(url)}: the schema could not be brought up to date: {exc}") from exc
        finally:
            await conn.close()
        return cls(await open_pool(url, max_size=max_connections), url)

    @property
    def pool(self) -> GuardedPool:
        """The connection pool (the blob store shares it)."""
        return self._pool

    async def ping(self) -> bool:
        """Whether the database answers within a couple of seconds."""
        try:
            answer = await asyncio.wait_for(self._pool.fetchval("SELECT 1"), PING_TIMEOUT_S)
        except (StoreUnavailable, TimeoutError):
            return False
        return bool(answer == 1)

    async def close(self) -> None:
        """Close every connection of the pool, once the callbacks being recorded are."""
        await self._callbacks.close()
        await self._pool.close()
