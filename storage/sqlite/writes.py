"""One write to SQLite: its statements in one transaction that takes the write lock first; and
the base of every part of the SQLite store, which writes that way."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from storage.sqlite.checkpoints import WalCheckpoints

BEGIN_ATTEMPTS = 200
BEGIN_PAUSE_S = 0.01


async def begin_immediate(db: aiosqlite.Connection) -> None:
    """Start a transaction holding the write lock, waiting as long as another write needs.

    SQLite's busy timeout covers most waits, but not this one: when a read on the same shared
    connection is still open, its snapshot may be older than another connection's last commit,
    and SQLite then refuses at once ("database is locked") rather than deadlock. The read ends
    soon; trying again after a moment succeeds.
    """
    for attempt in range(1, BEGIN_ATTEMPTS + 1):
        try:
            await db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == BEGIN_ATTEMPTS:
                raise
            await asyncio.sleep(BEGIN_PAUSE_S * min(attempt, 10))


async def write_at_once(db: aiosqlite.Connection, *statements: tuple[str, Iterable[Any]]) -> int:
    """Run statements in one `BEGIN IMMEDIATE` transaction; returns the rows the first one changed.

    Taking the write lock before the first statement lets SQLite's busy timeout wait for another
    connection's write. A deferred transaction would start reading first, and in WAL mode a
    connection whose snapshot is overtaken while it waits gets "database is locked" at once.
    A statement that fails rolls the whole unit back.
    """
    changed = 0
    async with transaction(db):
        for number, (sql, params) in enumerate(statements):
            cursor = await db.execute(sql, params)
            changed = cursor.rowcount if number == 0 else changed
    return changed


@asynccontextmanager
async def transaction(db: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """A `BEGIN IMMEDIATE` transaction around a block: committed at its end, rolled back if it raises."""
    try:
        # Inside: a caller cancelled while BEGIN runs (a timed-out write) still gets its transaction
        # rolled back; the BEGIN itself completes on aiosqlite's thread all the same.
        await begin_immediate(db)
        yield db
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


class SqliteRole:
    """What every part of `SqliteJobStore` works on: its one connection, and the lock that lets
    one write at a time use it (coroutines share the connection, and with it the open transaction,
    so no statement may land in another's transaction and be committed or rolled back with it)."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock
    _checkpoints: WalCheckpoints | None

    async def _write(self, *statements: tuple[str, Iterable[Any]]) -> int:
        """Run statements and commit them as one unit; returns the rows the first one changed."""
        async with self._writing:
            changed = await write_at_once(self._db, *statements)
        self._written()
        return changed

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[aiosqlite.Connection]:
        """One read-then-write transaction that holds SQLite's write lock from its first statement."""
        async with self._writing, transaction(self._db) as db:
            yield db
        self._written()

    def _written(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.written()
