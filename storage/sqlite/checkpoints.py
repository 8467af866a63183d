"""Checkpoints of the write-ahead log on a connection of their own, beside the writers.

SQLite copies the log back into the database file (a checkpoint) from inside the commit that
finds the log past `wal_autocheckpoint` pages: that one writer, and everyone queued behind the
write lock, then waits for the copy and its fsync. Here a second connection, on a thread of its
own, checkpoints as soon as a write is committed, so the log stays short and the writers' own
checkpoints find nothing left to copy. A PASSIVE checkpoint takes no lock a writer needs; if it
cannot keep up, the writers' checkpoints still bound the log as before.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import aiosqlite

from storage.sqlite.connect import connect

log = logging.getLogger(__name__)


class WalCheckpoints:
    """Checkpoints the log after writes, one checkpoint at a time, on its own connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._running: asyncio.Task[None] | None = None
        self._again = False

    @classmethod
    async def open(cls, path: Path) -> WalCheckpoints:
        """A checkpointing connection to the store's file (which `connect` has put in WAL mode)."""
        return cls(await connect(path))

    def written(self) -> None:
        """A write was committed: checkpoint it soon (again after the running one, if one runs)."""
        if self._running is not None:
            self._again = True
            return
        self._running = asyncio.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            while True:
                self._again = False
                await self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                if not self._again:
                    return
        except (sqlite3.Error, ValueError) as exc:  # ValueError: closed; the writers' checkpoints remain
            log.warning("a checkpoint of the SQLite log failed: %s", exc)
        finally:
            self._running = None

    async def close(self) -> None:
        """Finish the running checkpoint, then close the connection."""
        if self._running is not None:
            await asyncio.wait([self._running])
        await self._db.close()
