"""Campaigns and their rosters on PostgreSQL (`bot.ports.CampaignStore`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.campaigns.model import Campaign, DueStep, Invitee, RosterLine, Step, StepState
from storage.campaign_rows import CAMPAIGN_COLUMNS, DUE, ROSTER, STATE_COLUMN, campaign_from, due_from, roster_from
from storage.postgres.connect import GuardedPool


class PostgresCampaigns:
    """The campaigns' part of `PostgresStore`."""

    _pool: GuardedPool

    async def add_campaign(self, campaign: Campaign, people: Sequence[Invitee]) -> None:
        """Record a campaign and its roster in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                campaign.id,
                campaign.workspace,
                campaign.surface,
                campaign.name,
                campaign.created_by,
                campaign.created_at,
                campaign.deadline,
                campaign.remind_at,
            )
            await conn.executemany(
                "INSERT INTO campaign_people (campaign_id, seq, owner, address) VALUES ($1, $2, $3, $4::jsonb) "
                "ON CONFLICT DO NOTHING",
                [(campaign.id, n, p.owner, json.dumps(dict(p.address))) for n, p in enumerate(people)],
            )

    async def campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign with this id, if any."""
        row = await self._pool.fetchrow(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1", campaign_id)
        return campaign_from(row) if row else None

    async def campaigns_in(self, workspace: str, limit: int = 10) -> list[Campaign]:
        """The workspace's campaigns, newest first."""
        rows = await self._pool.fetch(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace = $1 ORDER BY created_at DESC LIMIT $2",
            workspace,
            limit,
        )
        return [campaign_from(row) for row in rows]

    async def due_steps(self, now: float, stale_before: float, limit: int) -> list[DueStep]:
        """Steps with work to do at `now`."""
        rows = await self._pool.fetch(DUE.format(now="$1", stale="$2", limit="$3"), now, stale_before, limit)
        return [due_from(row, now) for row in rows]

    async def set_step(self, campaign_id: str, owner: str, step: Step, state: StepState | None, at: float) -> None:
        """Record where one person's step stands."""
        state_column, at_column = STATE_COLUMN[step]
        await self._pool.execute(
            f"UPDATE campaign_people SET {state_column} = $1, {at_column} = $2 WHERE campaign_id = $3 AND owner = $4",
            state.value if state else None,
            at,
            campaign_id,
            owner,
        )

    async def roster(self, campaign_id: str) -> list[RosterLine]:
        """Everyone on the campaign, with how far each has come."""
        return [roster_from(row) for row in await self._pool.fetch(ROSTER.format(id="$1"), campaign_id)]
