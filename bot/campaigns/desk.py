"""Starting a campaign and reading its roster: for a workspace's admins alone."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from bot.campaigns.model import Campaign, Invitee, Roster
from bot.errors import UserError
from bot.i18n import t
from bot.ports import AdminCheck, CampaignStore
from bot.workspace_admin import WorkspaceAdmin

MAX_NAME = 80
MAX_PEOPLE = 10_000
MIN_LEAD_S = 3600.0  # a deadline in less than an hour leaves nobody time
MAX_LEAD_S = 90 * 86400.0
REMIND_BEFORE_S = 86400.0  # the reminder goes a day before the deadline (halfway, for a short one)
CAMPAIGNS_SHOWN = 5


class CampaignRefused(UserError):
    """A campaign that cannot start as described; the message says why."""


def remind_time(start: float, deadline: float) -> float:
    """When a campaign's one reminder goes out: a day before its deadline, or halfway for one of under two days."""
    if deadline - start >= 2 * REMIND_BEFORE_S:
        return deadline - REMIND_BEFORE_S
    return start + (deadline - start) / 2


class CampaignDesk:
    """Starts campaigns (the worker then sends everything) and gathers their rosters."""

    def __init__(
        self,
        store: CampaignStore,
        admin: WorkspaceAdmin,
        wake: Callable[[], None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._admin = admin
        self._wake = wake
        self._clock = clock

    async def start(
        self,
        *,
        workspace: str,
        surface: str,
        name: str,
        deadline: float,
        people: Sequence[Invitee],
        asker: AdminCheck,
        by: str,
        locale: str | None = None,
    ) -> Campaign:
        """Start a campaign for `people` (each once; the bot itself and the empty left out by the adapter),
        if the person asking is one of the workspace's admins; raises `CampaignRefused` with one sentence."""
        await self._admin.require_admin(asker, locale)
        now, name = self._clock(), self.checked_name(name, locale)
        self.check_deadline(deadline, locale)
        unique = list({person.owner: person for person in people}.values())
        if not unique:
            raise CampaignRefused(t(locale, "Nobody to invite: pick a channel with members, or some people."))
        if len(unique) > MAX_PEOPLE:
            raise CampaignRefused(t(locale, "A campaign invites at most {n} people.", n=MAX_PEOPLE))
        campaign = Campaign(
            id=uuid.uuid4().hex,
            workspace=workspace,
            surface=surface,
            name=name,
            created_by=by,
            created_at=now,
            deadline=deadline,
            remind_at=remind_time(now, deadline),
        )
        await self._store.add_campaign(campaign, unique)
        self._wake()
        return campaign

    def checked_name(self, name: str, locale: str | None = None) -> str:
        """The name as it will be kept (spaces tidied); raises `CampaignRefused` for none or a long one."""
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            raise CampaignRefused(t(locale, "Give the campaign a name of up to {n} characters.", n=MAX_NAME))
        return name

    def check_deadline(self, deadline: float, locale: str | None = None) -> None:
        """Raise `CampaignRefused` for a deadline too soon or too far for a campaign."""
        now = self._clock()
        if not now + MIN_LEAD_S <= deadline <= now + MAX_LEAD_S:
            raise CampaignRefused(t(locale, "Pick a deadline between an hour and 90 days from now."))

    async def rosters(self, workspace: str, limit: int = CAMPAIGNS_SHOWN) -> list[Roster]:
        """The workspace's latest campaigns with everyone on them."""
        campaigns = await self._store.campaigns_in(workspace, limit)
        return [Roster(campaign, await self._store.roster(campaign.id)) for campaign in campaigns]
