"""The store's roles for a team's rollout: brand kits, shorter keeps, campaigns and favourites exports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.brand_kit import BrandKit
from bot.campaigns.model import Campaign, DueStep, Invitee, RosterLine, Step, StepState
from bot.jobs import ExportLink
from bot.workspace_retention import KeepFor


class BrandKits(Protocol):
    """Each workspace's brand kit (`bot.brand_kit`): the looks its people may ask for."""

    async def brand_kit(self, workspace: str) -> BrandKit | None:
        """The workspace's kit, if one was ever saved."""
        ...

    async def save_brand_kit(self, workspace: str, kit: BrandKit, by: str) -> None:
        """Store (or replace) a workspace's kit; `by` is the owner key of the admin who set it."""
        ...


class WorkspaceRetention(Protocol):
    """Workspaces that keep photos or results shorter than the operator's settings, and their jobs."""

    async def workspace_keep(self, workspace: str) -> KeepFor | None:
        """What the workspace shortened, if anything."""
        ...

    async def save_workspace_keep(self, workspace: str, keep: KeepFor, by: str) -> None:
        """Store (or, when it shortens nothing, drop) a workspace's keep; `by` is the admin's owner key."""
        ...

    async def shortened_keeps(self) -> dict[str, KeepFor]:
        """Every workspace that shortens something, and what."""
        ...

    async def finished_in_before(self, workspace: str, cutoff: float) -> list[str]:
        """Ids of the workspace's finished jobs last changed before `cutoff` whose files are still kept."""
        ...

    async def photos_kept_in_before(self, workspace: str, cutoff: float) -> list[str]:
        """Ids of the workspace's finished jobs last changed before `cutoff` whose photos are still kept."""
        ...


class CampaignStore(Protocol):
    """Campaigns and their rosters: each person's invitation and reminder, step by step (`bot.campaigns`)."""

    async def add_campaign(self, campaign: Campaign, people: Sequence[Invitee]) -> None:
        """Record a campaign and everyone on it, in one write (each person once, in the order given)."""
        ...

    async def campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign with this id, if any."""
        ...

    async def campaigns_in(self, workspace: str, limit: int = 10) -> list[Campaign]:
        """The workspace's campaigns, newest first."""
        ...

    async def due_steps(self, now: float, stale_before: float, limit: int) -> list[DueStep]:
        """Steps with work to do at `now`, in campaign and roster order: invitations not yet sent, reminders
        due and not yet sent (of campaigns before their deadline), and steps left `started` before
        `stale_before` (whoever started them may have died before recording the post)."""
        ...

    async def set_step(self, campaign_id: str, owner: str, step: Step, state: StepState | None, at: float) -> None:
        """Record where one person's step stands (None: still to do)."""
        ...

    async def roster(self, campaign_id: str) -> list[RosterLine]:
        """Everyone on the campaign, in roster order, with how far each has come since it started."""
        ...


class ExportLinks(Protocol):
    """Links to workspaces' favourites exports, found by the hash of their token (`bot.export`)."""

    async def add_export_link(self, link: ExportLink, now: float) -> None:
        """Record a newly issued link (and drop the ones expired by `now`)."""
        ...

    async def export_link(self, token_hash: str, now: float) -> ExportLink | None:
        """The link with this token hash, unless it has expired by `now`."""
        ...
