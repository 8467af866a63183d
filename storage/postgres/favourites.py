"""Favourite headshots on PostgreSQL (`bot.ports.Favourites`), kept and ended as in SQLite
(`storage.favourites`): only for a stored result of the owner's own job, gone with its results."""

from __future__ import annotations

from typing import Any

from bot.jobs import Favourite
from storage.postgres.connect import GuardedPool

_LISTED = (
    "SELECT f.owner, f.job_id, f.idx, f.chosen_at FROM favourites f JOIN jobs j ON j.id = f.job_id "
    "WHERE {where} AND j.state = 'delivered' AND NOT j.purged ORDER BY f.chosen_at DESC, f.job_id, f.idx"
)


class PostgresFavourites:
    """The favourites' part of `PostgresStore`."""

    _pool: GuardedPool

    async def mark_favourite(self, favourite: Favourite) -> None:
        """Mark a stored result of the owner's own job; marking it again keeps the first time."""
        await self._pool.execute(
            "INSERT INTO favourites (owner, job_id, idx, chosen_at) SELECT $1, $2, $3, $4 WHERE EXISTS ("
            "SELECT 1 FROM jobs j JOIN results r ON r.job_id = j.id WHERE j.id = $2 AND j.owner = $1 "
            "AND NOT j.purged AND r.idx = $3 AND r.blob_key IS NOT NULL) "
            "ON CONFLICT (owner, job_id, idx) DO NOTHING",
            favourite.owner,
            favourite.job_id,
            favourite.index,
            favourite.chosen_at,
        )

    async def unmark_favourite(self, owner: str, job_id: str, index: int) -> None:
        """Take the mark off again."""
        await self._pool.execute(
            "DELETE FROM favourites WHERE owner = $1 AND job_id = $2 AND idx = $3", owner, job_id, index
        )

    async def favourites(self, owner: str) -> list[Favourite]:
        """The owner's favourites, newest first."""
        return await self._favourite_rows(_LISTED.format(where="f.owner = $1"), owner)

    async def favourites_with_owner_prefix(self, prefix: str) -> list[Favourite]:
        """Every favourite of every owner whose key starts with `prefix`, newest first."""
        return await self._favourite_rows(_LISTED.format(where="starts_with(f.owner, $1)"), prefix)

    async def _favourite_rows(self, sql: str, *params: Any) -> list[Favourite]:
        rows = await self._pool.fetch(sql, *params)
        return [Favourite(str(r["owner"]), str(r["job_id"]), int(r["idx"]), float(r["chosen_at"])) for r in rows]
