"""Opening the SQLite file: WAL, the pragmas every connection of the store runs with."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite


async def connect(path: Path) -> aiosqlite.Connection:
    """A connection to the store's file (created with its folder if new), rows read by column name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        await _use_wal(db)
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA secure_delete=ON")  # forgotten rows are overwritten, not left in free pages
        await db.execute("PRAGMA busy_timeout=30000")
    except BaseException:
        await db.close()  # an open connection's thread would keep the process alive
        raise
    return db


async def _use_wal(db: aiosqlite.Connection, attempts: int = 100) -> None:
    """Switch to WAL. On a new file another opener may be switching too, and SQLite then answers
    "locked" at once instead of waiting, so this waits and tries again."""
    for attempt in range(1, attempts + 1):
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.05)
