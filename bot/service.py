"""What a user can ask the core about besides a new job: the providers, their settings, their jobs, forgetting."""

from __future__ import annotations

import asyncio
import logging

from bot.blob_keys import job_prefix
from bot.brand_kit import BrandKit
from bot.catalog import ProviderCatalog, ProviderChoice
from bot.defaults import QUICK_READ_S, UserDefaults
from bot.engine import JobEngine
from bot.jobs import Job
from bot.messages import job_line, status_text
from bot.options import Options
from bot.ports import BlobStore, JobRecords, Retention, SeenKeys
from bot.quota_guard import QuotaGuard
from bot.quotas import quota_workspace
from bot.request import Capabilities
from bot.usage import choice_note, usage_text
from bot.workspace_admin import WorkspaceKits

log = logging.getLogger(__name__)


class HeadshotService:
    """The menus, settings, job list and `forget` of every surface, in platform-neutral terms."""

    def __init__(
        self,
        *,
        records: JobRecords,
        retention: Retention,
        blobs: BlobStore,
        catalog: ProviderCatalog,
        defaults: UserDefaults,
        engine: JobEngine,
        quotas: QuotaGuard,
        seen: SeenKeys,
        kits: WorkspaceKits | None = None,
    ) -> None:
        self._kits = kits
        self._engine = engine
        self._quotas = quotas
        self._seen = seen
        self._records = records
        self._retention = retention
        self._blobs = blobs
        self._catalog = catalog
        self._defaults = defaults

    @property
    def providers(self) -> list[ProviderChoice]:
        """The configured providers, the default first."""
        return self._catalog.choices

    @property
    def default_provider(self) -> str:
        """The provider a request gets when it names none."""
        return self._catalog.default

    async def choices(self, owner: str, workspace: str | None, locale: str | None = None) -> list[ProviderChoice]:
        """The configured providers, each with what is left of its tightest limit for this requester (in
        the requester's language)."""
        offered = self._catalog.choices
        left = await self._quotas.left(owner, quota_workspace(owner, workspace), [p.name for p in offered])
        return [ProviderChoice(p.name, p.capabilities, choice_note(left.get(p.name), locale)) for p in offered]

    async def brand_kit(self, owner: str, workspace: str | None) -> BrandKit:
        """The brand kit of the place a form is opened in (quickly: an open kit when the store is slow)."""
        if self._kits is None:
            return BrandKit()
        return await self._kits.quick_kit(quota_workspace(owner, workspace))

    @property
    def limited(self) -> bool:
        """Whether any quota is in force (what is left then differs from person to person)."""
        return bool(self._quotas.policy.limits)

    async def usage(self, owner: str, workspace: str | None, locale: str | None = None) -> str:
        """The requester's and the workspace's use of every limit in force, with reset times, in their language."""
        names = self._catalog.names()
        uses = await self._quotas.uses(owner, quota_workspace(owner, workspace), names)
        labels = {name: self._catalog.label(name) for name in names}
        return usage_text(uses, labels, self._quotas.clock(), locale=locale)

    def capabilities(self, provider: str) -> Capabilities | None:
        """A configured provider's capabilities."""
        return self._catalog.capabilities(provider)

    async def defaults(self, owner: str) -> tuple[Options, str]:
        """An owner's saved default options and provider (or the bot's defaults)."""
        return await self._defaults.get(owner)

    async def save_defaults(self, owner: str, options: Options, provider: str | None) -> None:
        """Remember an owner's defaults; raises `RequestError` for a provider this bot does not run."""
        await self._defaults.save(owner, options, provider)

    async def first_sighting(self, key: str, ttl_s: float) -> bool:
        """True the first time an event key reaches any process of this bot within `ttl_s` seconds.

        When the store cannot tell, the event is handled: accepting it will say why it cannot be.
        """
        try:  # asked before some acknowledgements: a store slower than this is not waited for
            return await asyncio.wait_for(self._seen.seen_once(key, ttl_s), QUICK_READ_S)
        except Exception as exc:
            log.warning("could not check whether an event was already handled: %s", exc)
            return True

    def status_of(self, job: Job) -> str:
        """The status message text for a job."""
        return status_text(job, self._catalog.capabilities(job.provider))

    async def recent_jobs(self, owner: str, limit: int = 5, locale: str | None = None) -> list[str]:
        """One line per recent job of an owner, newest first, in the owner's language (`locale`)."""
        jobs = await self._records.jobs_for_owner(owner, limit)
        return [job_line(job, self._catalog.capabilities(job.provider), locale) for job in jobs]

    async def forget(self, owner: str) -> int:
        """Delete every job, photo, result and setting stored about an owner; returns the job count."""
        ids = await self._retention.forget_owner(owner)
        for job_id in ids:
            await self._blobs.delete_prefix(job_prefix(job_id))
        return len(ids)

    async def end_jobs_quietly(self, owner_prefix: str) -> int:
        """End the unfinished jobs of every owner whose key starts with `owner_prefix` (a workspace
        that removed the app): nothing is posted, their photos are deleted. Returns how many."""
        ids = await self._records.unfinished_with_owner_prefix(owner_prefix)
        for job_id in ids:
            await self._engine.end_quietly(job_id)
        return len(ids)
