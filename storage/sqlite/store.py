"""The SQLite store: every store role on one aiosqlite connection, the schema migrated at open."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite

from storage.callback_groups import CallbackGroups
from storage.sqlite.brand_kits import SqliteBrandKits
from storage.sqlite.campaigns import SqliteCampaigns
from storage.sqlite.charges import SqliteCharges
from storage.sqlite.checkpoints import WalCheckpoints
from storage.sqlite.connect import connect
from storage.sqlite.consents import SqliteConsents
from storage.sqlite.credentials import SqliteCredentials
from storage.sqlite.export_links import SqliteExportLinks
from storage.sqlite.favourites import SqliteFavourites
from storage.sqlite.installations import SqliteInstallations
from storage.sqlite.intakes import SqliteIntakes
from storage.sqlite.jobs import SqliteJobs
from storage.sqlite.limits import SqliteLimits
from storage.sqlite.migrations import migrate
from storage.sqlite.records import SqliteRecords
from storage.sqlite.workspace_retention import SqliteWorkspaceRetention


class SqliteJobStore(
    SqliteJobs,
    SqliteRecords,
    SqliteLimits,
    SqliteCharges,
    SqliteIntakes,
    SqliteInstallations,
    SqliteFavourites,
    SqliteCredentials,
    SqliteBrandKits,
    SqliteWorkspaceRetention,
    SqliteCampaigns,
    SqliteExportLinks,
    SqliteConsents,
):
    """`bot.ports.JobStore` on aiosqlite. One connection per process does the work (SQLite serialises
    writers); a serving process has a second that only checkpoints the log (`WalCheckpoints`).

    Coroutines share the connection, and with it the open transaction: `_write` runs one
    write (its statements and their commit) at a time, so no statement lands in another's
    transaction and is committed or rolled back with it. One process serves a SQLite file,
    so the leases left in it when that process opens it belong to a process that is gone:
    opening drops them, unless the opener only reads or counts beside it (`serving=False`).
    """

    def __init__(self, db: aiosqlite.Connection, checkpoints: WalCheckpoints | None = None) -> None:
        self._db = db
        self._writing = asyncio.Lock()
        self._checkpoints = checkpoints
        # A failed read or write on the file is the file's, not one callback's (see `CallbackGroups`).
        self._callbacks = CallbackGroups(self._record_callbacks, (sqlite3.OperationalError,))

    @classmethod
    async def open(cls, path: Path, *, serving: bool = True) -> SqliteJobStore:
        """Open (creating and migrating if needed) the store at `path`; `serving`: as the process
        that works its queue, which drops the leases a process that is gone left in it."""
        db = await connect(path)
        store = cls(db)
        try:
            await migrate(db)
            if serving:
                await store._write(("UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE lease_until > 0", ()))
                # Only the process that works the queue writes much; a reader leaves the log to it.
                store._checkpoints = await WalCheckpoints.open(path)
        except BaseException:
            await db.close()  # an open connection's thread would keep the process alive
            raise
        return store

    async def close(self) -> None:
        """Close the connection, once the callbacks being recorded are."""
        await self._callbacks.close()
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self._db.close()

    async def ping(self) -> bool:
        """Whether the database answers."""
        try:
            async with self._db.execute("SELECT 1") as cursor:
                return (await cursor.fetchone()) is not None
        except (sqlite3.Error, ValueError):  # ValueError: the connection is closed
            return False
