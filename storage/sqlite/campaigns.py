"""Campaigns and their rosters in SQLite (`bot.ports.CampaignStore`)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence

import aiosqlite

from bot.campaigns.model import Campaign, DueStep, Invitee, RosterLine, Step, StepState
from storage.campaign_rows import CAMPAIGN_COLUMNS, DUE, ROSTER, STATE_COLUMN, campaign_from, due_from, roster_from
from storage.sqlite.writes import transaction, write_at_once


class SqliteCampaigns:
    """The campaigns' part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def add_campaign(self, campaign: Campaign, people: Sequence[Invitee]) -> None:
        """Record a campaign and its roster in one transaction."""
        async with self._writing, transaction(self._db) as db:
            await db.execute(
                f"INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    campaign.id,
                    campaign.workspace,
                    campaign.surface,
                    campaign.name,
                    campaign.created_by,
                    campaign.created_at,
                    campaign.deadline,
                    campaign.remind_at,
                ),
            )
            await db.executemany(
                "INSERT OR IGNORE INTO campaign_people (campaign_id, seq, owner, address) VALUES (?, ?, ?, ?)",
                [(campaign.id, n, p.owner, json.dumps(dict(p.address))) for n, p in enumerate(people)],
            )

    async def campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign with this id, if any."""
        async with self._db.execute(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)) as cur:
            row = await cur.fetchone()
        return campaign_from(row) if row else None

    async def campaigns_in(self, workspace: str, limit: int = 10) -> list[Campaign]:
        """The workspace's campaigns, newest first."""
        async with self._db.execute(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace = ? ORDER BY created_at DESC LIMIT ?",
            (workspace, limit),
        ) as cursor:
            return [campaign_from(row) async for row in cursor]

    async def due_steps(self, now: float, stale_before: float, limit: int) -> list[DueStep]:
        """Steps with work to do at `now`."""
        sql = DUE.format(now=":now", stale=":stale", limit=":limit")
        async with self._db.execute(sql, {"now": now, "stale": stale_before, "limit": limit}) as cursor:
            return [due_from(row, now) async for row in cursor]

    async def set_step(self, campaign_id: str, owner: str, step: Step, state: StepState | None, at: float) -> None:
        """Record where one person's step stands."""
        state_column, at_column = STATE_COLUMN[step]
        async with self._writing:
            await write_at_once(
                self._db,
                (
                    f"UPDATE campaign_people SET {state_column} = ?, {at_column} = ? "
                    "WHERE campaign_id = ? AND owner = ?",
                    (state.value if state else None, at, campaign_id, owner),
                ),
            )

    async def roster(self, campaign_id: str) -> list[RosterLine]:
        """Everyone on the campaign, with how far each has come."""
        async with self._db.execute(ROSTER.format(id="?"), (campaign_id,)) as cursor:
            rows: list[sqlite3.Row] = list(await cursor.fetchall())
        return [roster_from(row) for row in rows]
