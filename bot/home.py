"""A person's home page in a chat app: their jobs, favourites, allowance and defaults; for admins the
workspace's brand kit, retention and campaigns. The core says what is on it; each surface draws it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.brand_kit import KIT_OPTIONS, value_label
from bot.campaigns.desk import CampaignDesk
from bot.campaigns.model import Roster
from bot.dates import day
from bot.i18n import t, tn
from bot.jobs import Favourite
from bot.options import Options
from bot.ports import Favourites
from bot.service import HeadshotService
from bot.workspace_admin import WorkspaceAdmin
from bot.workspace_retention import describe_keep

RECENT_JOBS = 5
FAVOURITES_SHOWN = 10


@dataclass(frozen=True)
class AdminPanel:
    """What only an admin sees: the workspace's kit, its retention, and its latest campaigns."""

    kit: str
    keep: str
    rosters: list[Roster] = field(default_factory=list)


@dataclass(frozen=True)
class HomePage:
    """Everything on one person's home page, as sentences."""

    jobs: list[str]
    favourites: list[str]
    allowance: str
    defaults: str
    admin: AdminPanel | None = None


def favourite_line(locale: str | None, favourite: Favourite) -> str:
    """One favourite: which headshot of which job, and when it was picked."""
    return t(
        locale,
        "Headshot {n} of job {job}, picked on {day}",
        n=favourite.index + 1,
        job=favourite.job_id[:8],
        day=day(locale, favourite.chosen_at),
    )


def describe_defaults(locale: str | None, options: Options, provider: str) -> str:
    """Saved defaults in one line: the provider, the look, how many, where they go."""
    values = options.to_dict()
    look = ", ".join(value_label(locale, str(values[name])) for name in KIT_OPTIONS)
    count = tn(locale, "1 headshot", "{n} headshots", options.count)
    where = t(locale, "sent to you privately") if options.private else t(locale, "posted where you ask")
    quality = t(locale, "high quality") if options.quality.value == "high" else t(locale, "standard quality")
    return t(
        locale,
        "{provider}: {look}; {count}, {quality}; {where}",
        provider=provider,
        look=look,
        count=count,
        quality=quality,
        where=where,
    )


class HomePages:
    """Builds home pages from the parts of the core that know each piece."""

    def __init__(
        self, service: HeadshotService, favourites: Favourites, admin: WorkspaceAdmin, campaigns: CampaignDesk
    ) -> None:
        self._campaigns = campaigns
        self._service = service
        self._favourites = favourites
        self._admin = admin

    async def page(self, owner: str, workspace: str, *, is_admin: bool, locale: str | None = None) -> HomePage:
        """The page `owner` sees in `workspace` (with the admin panel when they are one of its admins)."""
        jobs, favourites, allowance, (options, provider) = await asyncio.gather(
            self._service.recent_jobs(owner, RECENT_JOBS),
            self._favourites.favourites(owner),
            self._service.usage(owner, workspace),
            self._service.defaults(owner),
        )
        label = self._service.capabilities(provider)
        page = HomePage(
            jobs=jobs,
            favourites=[favourite_line(locale, f) for f in favourites[:FAVOURITES_SHOWN]],
            allowance=allowance,
            defaults=describe_defaults(locale, options, label.label if label else provider),
        )
        if not is_admin:
            return page
        kit, keep, rosters = await asyncio.gather(
            self._admin.kits.kit(workspace), self._admin.retention.in_force(workspace),
            self._campaigns.rosters(workspace),
        )
        panel = AdminPanel(kit=kit.describe(locale), keep=describe_keep(locale, keep), rosters=rosters)
        return HomePage(page.jobs, page.favourites, page.allowance, page.defaults, panel)
