"""Workspaces' brand kits in SQLite (`bot.ports.BrandKits`): one row per workspace, the kit as JSON."""

from __future__ import annotations

import asyncio
import time

import aiosqlite

from bot.brand_kit import BrandKit
from storage.sqlite.writes import write_at_once


class SqliteBrandKits:
    """The brand kits' part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def brand_kit(self, workspace: str) -> BrandKit | None:
        """The workspace's kit, if one was ever saved."""
        async with self._db.execute("SELECT kit FROM brand_kits WHERE workspace = ?", (workspace,)) as cursor:
            row = await cursor.fetchone()
        return BrandKit.from_json(str(row[0])) if row else None

    async def save_brand_kit(self, workspace: str, kit: BrandKit, by: str) -> None:
        """Store (or replace) a workspace's kit."""
        async with self._writing:
            await write_at_once(
                self._db,
                (
                    "INSERT INTO brand_kits (workspace, kit, updated_by, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (workspace) DO UPDATE SET kit = excluded.kit, updated_by = excluded.updated_by, "
                    "updated_at = excluded.updated_at",
                    (workspace, kit.to_json(), by, time.time()),
                ),
            )
