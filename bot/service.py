"""The core's front door for chat adapters and the CLI: validate, accept, report, forget."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.blob_keys import job_prefix, photo_key
from bot.engine import JobEngine
from bot.errors import UserError
from bot.jobs import Job, ThreadAddress
from bot.logs import job_context
from bot.messages import status_text
from bot.options import Options
from bot.photos import DEFAULT_MAX_BYTES, Photo, PhotoReader
from bot.request import Capabilities, HeadshotRequest, RequestError, check_request
from bot.runner import JobRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderChoice:
    """A provider as offered to users."""

    name: str
    capabilities: Capabilities


class HeadshotService:
    """Everything a chat surface needs from the core, in platform-neutral terms."""

    def __init__(
        self,
        engine: JobEngine,
        runner: JobRunner | None,
        *,
        default_provider: str,
        max_jobs_per_user: int = 2,
        max_photo_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.engine = engine
        self.runner = runner
        self.default_provider = default_provider
        self.max_jobs_per_user = max_jobs_per_user
        self.max_photo_bytes = max_photo_bytes
        self._photos = PhotoReader(max_bytes=max_photo_bytes)
        self._starting: dict[str, int] = {}
        self._room_lock = asyncio.Lock()

    @property
    def providers(self) -> list[ProviderChoice]:
        """The configured providers, the default first."""
        names = sorted(self.engine.providers, key=lambda n: (n != self.default_provider, n))
        return [ProviderChoice(n, self.engine.providers[n].capabilities) for n in names]

    def capabilities(self, provider: str) -> Capabilities | None:
        """A configured provider's capabilities."""
        found = self.engine.providers.get(provider)
        return found.capabilities if found else None

    async def read_photos(self, files: Sequence[tuple[str, bytes]]) -> tuple[Photo, ...]:
        """Check and normalise uploaded files (name, bytes); raises `UserError` for the first bad one.

        Decoding happens on the photo reader's own threads, a few at a time.
        """
        return await self._photos.read(files)

    def close(self) -> None:
        """Release the photo reader's threads."""
        self._photos.close()

    async def defaults(self, owner: str) -> tuple[Options, str]:
        """An owner's saved default options and provider (or the bot's defaults)."""
        saved = await self.engine.store.user_defaults(owner)
        if saved is None:
            return Options(), self.default_provider
        values, provider = saved
        try:
            options = Options.from_dict(values)
        except UserError:
            options = Options()
        if provider is None or provider not in self.engine.providers:
            provider = self.default_provider
        return options, provider

    async def save_defaults(self, owner: str, options: Options, provider: str | None) -> None:
        """Remember an owner's defaults."""
        if provider is not None and provider not in self.engine.providers:
            raise RequestError(f"“{provider}” is not available on this bot; choose one of: {self._provider_names()}.")
        await self.engine.store.save_user_defaults(owner, options.to_dict(), provider)

    def build_request(
        self, photos: Sequence[Photo], options: Options, provider: str | None
    ) -> HeadshotRequest:
        """A validated request; raises `UserError` with the reason when it does not fit."""
        name = provider or self.default_provider
        found = self.engine.providers.get(name)
        if found is None:
            raise RequestError(f"“{name}” is not available on this bot; choose one of: {self._provider_names()}.")
        request = HeadshotRequest(photos=tuple(photos), options=options, provider=name)
        check_request(request, found.capabilities)
        if found.capabilities.asynchronous and self.engine.callback_base is None:
            raise RequestError(
                f"{found.capabilities.label} calls back when it is done, and this bot has no public address "
                "(PUBLIC_BASE_URL) for it; please pick another provider."
            )
        return request

    async def check_room(self, owner: str) -> None:
        """Refuse a new job while the owner has too many unfinished ones (or ones being started)."""
        busy = await self.engine.store.unfinished_count(owner) + self._starting.get(owner, 0)
        if busy >= self.max_jobs_per_user:
            raise RequestError(
                f"You already have {busy} headshot jobs in progress; please wait for one to finish "
                f"(the limit is {self.max_jobs_per_user})."
            )

    @asynccontextmanager
    async def room(self, owner: str) -> AsyncIterator[None]:
        """Hold one of the owner's job slots from the check until the job is accepted or given up.

        Without it, requests sent at the same moment would all pass the check before any of
        them is recorded.
        """
        async with self._room_lock:
            await self.check_room(owner)
            self._starting[owner] = self._starting.get(owner, 0) + 1
        try:
            yield
        finally:
            self._starting[owner] -= 1
            if not self._starting[owner]:
                del self._starting[owner]

    async def accept(
        self, request: HeadshotRequest, *, owner: str, surface: str, thread: ThreadAddress
    ) -> Job:
        """Record a job (photos first, then the row) and hand it to the runner."""
        job = Job(
            id=uuid.uuid4().hex,
            owner=owner,
            surface=surface,
            thread=thread,
            provider=request.provider,
            options=request.options,
            photo_count=len(request.photos),
            created_at=time.time(),
        )
        for n, photo in enumerate(request.photos):
            await self.engine.blobs.put(photo_key(job.id, n), photo.data)
        await self.engine.store.add(job)
        with job_context(job.id):
            options = job.options
            log.info("accepted: %s on %s; %d photo(s), count %d", job.provider, surface, job.photo_count, options.count)
        if self.runner is not None:
            self.runner.wake()
        return job

    def status_of(self, job: Job) -> str:
        """The status message text for a job."""
        return status_text(job, self.capabilities(job.provider))

    async def recent_jobs(self, owner: str, limit: int = 5) -> list[str]:
        """One line per recent job of an owner, newest first."""
        jobs = await self.engine.store.jobs_for_owner(owner, limit)
        return [status_text(job, self.capabilities(job.provider)) for job in jobs]

    async def forget(self, owner: str) -> int:
        """Delete every job, photo, result and setting stored about an owner; returns the job count."""
        ids = await self.engine.store.forget_owner(owner)
        for job_id in ids:
            await self.engine.blobs.delete_prefix(job_prefix(job_id))
        return len(ids)

    async def end_jobs_quietly(self, owner_prefix: str) -> int:
        """End the unfinished jobs of every owner whose key starts with `owner_prefix` (a workspace
        that removed the app): nothing is posted, their photos are deleted. Returns how many."""
        ids = await self.engine.store.unfinished_with_owner_prefix(owner_prefix)
        for job_id in ids:
            await self.engine.end_quietly(job_id)
        return len(ids)

    def _provider_names(self) -> str:
        return ", ".join(self.engine.providers)
