"""Workspaces' shorter retention in SQLite (`bot.ports.WorkspaceRetention`), and their jobs due for the sweep."""

from __future__ import annotations

import asyncio
import time

import aiosqlite

from bot.workspace_retention import KeepFor
from storage.sqlite.writes import write_at_once

_FINISHED = "state IN ('delivered', 'failed')"


class SqliteWorkspaceRetention:
    """The workspace retention part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def workspace_keep(self, workspace: str) -> KeepFor | None:
        """What the workspace shortened, if anything."""
        async with self._db.execute(
            "SELECT photo_keep_hours, result_retention_days FROM workspace_retention WHERE workspace = ?", (workspace,)
        ) as cursor:
            row = await cursor.fetchone()
        return KeepFor(row[0], row[1]) if row else None

    async def save_workspace_keep(self, workspace: str, keep: KeepFor, by: str) -> None:
        """Store a workspace's keep, or drop it when it shortens nothing."""
        statement: tuple[str, tuple[object, ...]]
        if not keep.shortens:
            statement = ("DELETE FROM workspace_retention WHERE workspace = ?", (workspace,))
        else:
            statement = (
                "INSERT INTO workspace_retention (workspace, photo_keep_hours, result_retention_days, updated_by, "
                "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace) DO UPDATE SET "
                "photo_keep_hours = excluded.photo_keep_hours, result_retention_days = excluded.result_retention_days, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (workspace, keep.photo_hours, keep.result_days, by, time.time()),
            )
        async with self._writing:
            await write_at_once(self._db, statement)

    async def shortened_keeps(self) -> dict[str, KeepFor]:
        """Every workspace that shortens something."""
        async with self._db.execute(
            "SELECT workspace, photo_keep_hours, result_retention_days FROM workspace_retention ORDER BY workspace"
        ) as cursor:
            return {str(row[0]): KeepFor(row[1], row[2]) async for row in cursor}

    async def finished_in_before(self, workspace: str, cutoff: float) -> list[str]:
        """The workspace's finished jobs last changed before `cutoff` whose files are still kept."""
        return await self._ids(f"workspace = ? AND {_FINISHED} AND updated_at < ? AND purged = 0", workspace, cutoff)

    async def photos_kept_in_before(self, workspace: str, cutoff: float) -> list[str]:
        """The workspace's finished jobs last changed before `cutoff` whose photos are still kept."""
        return await self._ids(
            f"workspace = ? AND {_FINISHED} AND updated_at < ? AND photos_purged = 0", workspace, cutoff
        )

    async def _ids(self, where: str, workspace: str, cutoff: float) -> list[str]:
        async with self._db.execute(f"SELECT id FROM jobs WHERE {where}", (workspace, cutoff)) as cursor:
            return [str(row[0]) async for row in cursor]
