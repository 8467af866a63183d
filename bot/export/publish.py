"""Export links: issued to a workspace's admins, valid 24 hours, and opened again for a token.

A link holds 192 random bits; only their SHA-256 is stored, as for galleries. Opening one finds
every favourite of the workspace's people (each person's latest), the stored image of each, and
their names as their chat platform gives them at that moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import UserError
from bot.export.archive import ExportedFavourite
from bot.gallery.tokens import new_token, same_hash, token_hash, well_formed
from bot.i18n import t
from bot.jobs import ExportLink, JobState
from bot.ports import AdminCheck, ExportLinks, Favourites, JobRecords, PeopleDirectory, Person, ResultLog
from bot.workspace_admin import WorkspaceAdmin

EXPORT_VALID_S = 24 * 3600.0
PREFIX = "/export"


@dataclass(frozen=True)
class OpenExport:
    """An export found by its token: whose, and each person's favourite."""

    link: ExportLink
    favourites: list[ExportedFavourite]


class Exports:
    """Issues export links and opens them; `directories` (by surface name) are added by the adapters."""

    def __init__(
        self,
        links: ExportLinks,
        favourites: Favourites,
        records: JobRecords,
        results: ResultLog,
        admin: WorkspaceAdmin,
        *,
        base_url: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._links = links
        self._favourites = favourites
        self._records = records
        self._results = results
        self._admin = admin
        self.base_url = base_url.rstrip("/") if base_url else None
        self._clock = clock
        self.directories: dict[str, PeopleDirectory] = {}

    async def issue(
        self,
        *,
        workspace: str,
        owner_prefix: str,
        surface: str,
        asker: AdminCheck,
        by: str,
        locale: str | None = None,
    ) -> str:
        """A new link to the workspace's favourites, for one of its admins; raises `UserError` otherwise."""
        await self._admin.require_admin(asker, locale)
        if self.base_url is None:
            raise UserError(t(locale, "Exports need the bot's public address (PUBLIC_BASE_URL), which is not set."))
        token, now = new_token(), self._clock()
        link = ExportLink(token_hash(token), workspace, owner_prefix, surface, by, now + EXPORT_VALID_S)
        await self._links.add_export_link(link, now)
        return f"{self.base_url}{PREFIX}/{token}.zip"

    async def open(self, token: str) -> OpenExport | None:
        """The export behind `token`, or None for a wrong or expired one."""
        if not well_formed(token):
            return None
        link = await self._links.export_link(token_hash(token), self._clock())
        if link is None or not same_hash(link.token_hash, token):
            return None
        latest: dict[str, tuple[str, int, float]] = {}
        for favourite in await self._favourites.favourites_with_owner_prefix(link.owner_prefix):  # newest first
            latest.setdefault(favourite.owner, (favourite.job_id, favourite.index, favourite.chosen_at))
        found: list[tuple[str, str, int, float]] = []
        for owner, (job_id, index, chosen_at) in latest.items():
            job = await self._records.get(job_id)
            if job is None or job.workspace != link.workspace or job.state is not JobState.DELIVERED:
                continue  # another workspace's (a person's own direct messages), or gone meanwhile
            stored = next((r for r in await self._results.results(job_id) if r.index == index and r.blob_key), None)
            if stored is not None and stored.blob_key is not None:
                found.append((owner, stored.blob_key, stored.size, chosen_at))
        people = await self._names(link.surface, [owner for owner, *_ in found])
        favourites = [ExportedFavourite(people[owner], key, size, chosen) for owner, key, size, chosen in found]
        return OpenExport(link, sorted(favourites, key=lambda f: (f.person.name.casefold(), f.person.user_id)))

    async def _names(self, surface: str, owners: list[str]) -> dict[str, Person]:
        directory = self.directories.get(surface)
        named = await directory.people(owners) if directory is not None and owners else {}
        return {owner: named.get(owner) or Person(owner, owner) for owner in owners}
