"""Favourite headshots in SQLite (`bot.ports.Favourites`).

A mark is kept only for a result that is stored, of a job its owner asked for and whose files
are still kept; it goes with the job's results (the retention sweep, `mark_purged`) or with the
job itself (`forget_owner`, through the foreign key). Only delivered jobs' marks are listed, so
a job ended before it was delivered (its workspace removed the app) shows none.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

from bot.jobs import Favourite
from storage.writes import write_at_once

_LISTED = (
    "SELECT f.owner, f.job_id, f.idx, f.chosen_at FROM favourites f JOIN jobs j ON j.id = f.job_id "
    "WHERE {where} AND j.state = 'delivered' AND j.purged = 0 ORDER BY f.chosen_at DESC, f.job_id, f.idx"
)


class SqliteFavourites:
    """The favourites' part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def mark_favourite(self, favourite: Favourite) -> None:
        """Mark a stored result of the owner's own job; marking it again keeps the first time."""
        async with self._writing:
            await write_at_once(
                self._db,
                (
                    "INSERT INTO favourites (owner, job_id, idx, chosen_at) SELECT ?, ?, ?, ? WHERE EXISTS ("
                    "SELECT 1 FROM jobs j JOIN results r ON r.job_id = j.id WHERE j.id = ? AND j.owner = ? "
                    "AND j.purged = 0 AND r.idx = ? AND r.blob_key IS NOT NULL) "
                    "ON CONFLICT (owner, job_id, idx) DO NOTHING",
                    (
                        favourite.owner,
                        favourite.job_id,
                        favourite.index,
                        favourite.chosen_at,
                        favourite.job_id,
                        favourite.owner,
                        favourite.index,
                    ),
                ),
            )

    async def unmark_favourite(self, owner: str, job_id: str, index: int) -> None:
        """Take the mark off again."""
        async with self._writing:
            await write_at_once(
                self._db, ("DELETE FROM favourites WHERE owner = ? AND job_id = ? AND idx = ?", (owner, job_id, index))
            )

    async def favourites(self, owner: str) -> list[Favourite]:
        """The owner's favourites, newest first."""
        return await self._favourite_rows(_LISTED.format(where="f.owner = ?"), (owner,))

    async def favourites_with_owner_prefix(self, prefix: str) -> list[Favourite]:
        """Every favourite of every owner whose key starts with `prefix`, newest first."""
        return await self._favourite_rows(_LISTED.format(where="substr(f.owner, 1, ?) = ?"), (len(prefix), prefix))

    async def _favourite_rows(self, sql: str, params: tuple[Any, ...]) -> list[Favourite]:
        async with self._db.execute(sql, params) as cursor:
            return [Favourite(str(row[0]), str(row[1]), int(row[2]), float(row[3])) async for row in cursor]
