"""Workspaces' brand kits on PostgreSQL (`bot.ports.BrandKits`): one row per workspace, the kit as JSON."""

from __future__ import annotations

import time

from bot.brand_kit import BrandKit
from storage.postgres.connect import GuardedPool


class PostgresBrandKits:
    """The brand kits' part of `PostgresStore`."""

    _pool: GuardedPool

    async def brand_kit(self, workspace: str) -> BrandKit | None:
        """The workspace's kit, if one was ever saved."""
        found = await self._pool.fetchval("SELECT kit::text FROM brand_kits WHERE workspace = $1", workspace)
        return BrandKit.from_json(str(found)) if found is not None else None

    async def save_brand_kit(self, workspace: str, kit: BrandKit, by: str) -> None:
        """Store (or replace) a workspace's kit."""
        await self._pool.execute(
            "INSERT INTO brand_kits (workspace, kit, updated_by, updated_at) VALUES ($1, $2::jsonb, $3, $4) "
            "ON CONFLICT (workspace) DO UPDATE SET kit = excluded.kit, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            workspace,
            kit.to_json(),
            by,
            time.time(),
        )
