"""Workspaces' shorter retention on PostgreSQL (`bot.ports.WorkspaceRetention`), and their jobs due for the sweep."""

from __future__ import annotations

import time

from bot.workspace_retention import KeepFor
from storage.postgres.connect import GuardedPool

_FINISHED = "state IN ('delivered', 'failed')"


class PostgresWorkspaceRetention:
    """The workspace retention part of `PostgresStore`."""

    _pool: GuardedPool

    async def workspace_keep(self, workspace: str) -> KeepFor | None:
        """What the workspace shortened, if anything."""
        row = await self._pool.fetchrow(
            "SELECT photo_keep_hours, result_retention_days FROM workspace_retention WHERE workspace = $1", workspace
        )
        return KeepFor(row["photo_keep_hours"], row["result_retention_days"]) if row else None

    async def save_workspace_keep(self, workspace: str, keep: KeepFor, by: str) -> None:
        """Store a workspace's keep, or drop it when it shortens nothing."""
        if not keep.shortens:
            await self._pool.execute("DELETE FROM workspace_retention WHERE workspace = $1", workspace)
            return
        await self._pool.execute(
            "INSERT INTO workspace_retention (workspace, photo_keep_hours, result_retention_days, updated_by, "
            "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace) DO UPDATE SET "
            "photo_keep_hours = excluded.photo_keep_hours, result_retention_days = excluded.result_retention_days, "
            "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            workspace,
            keep.photo_hours,
            keep.result_days,
            by,
            time.time(),
        )

    async def shortened_keeps(self) -> dict[str, KeepFor]:
        """Every workspace that shortens something."""
        rows = await self._pool.fetch(
            "SELECT workspace, photo_keep_hours, result_retention_days FROM workspace_retention ORDER BY workspace"
        )
        return {str(r["workspace"]): KeepFor(r["photo_keep_hours"], r["result_retention_days"]) for r in rows}

    async def finished_in_before(self, workspace: str, cutoff: float) -> list[str]:
        """The workspace's finished jobs last changed before `cutoff` whose files are still kept."""
        rows = await self._pool.fetch(
            f"SELECT id FROM jobs WHERE workspace = $1 AND {_FINISHED} AND updated_at < $2 AND NOT purged",
            workspace,
            cutoff,
        )
        return [str(r["id"]) for r in rows]

    async def photos_kept_in_before(self, workspace: str, cutoff: float) -> list[str]:
        """The workspace's finished jobs last changed before `cutoff` whose photos are still kept."""
        rows = await self._pool.fetch(
            f"SELECT id FROM jobs WHERE workspace = $1 AND {_FINISHED} AND updated_at < $2 AND NOT photos_purged",
            workspace,
            cutoff,
        )
        return [str(r["id"]) for r in rows]
