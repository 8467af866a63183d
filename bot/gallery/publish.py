"""Galleries: published when a job is delivered, found again by the token in their link."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from bot.blob_keys import gallery_manifest_key, thumbnail_key
from bot.downloads import sniff_image
from bot.gallery.manifest import UNKNOWN_TYPE, GalleryImage, GalleryManifest
from bot.gallery.thumbnails import THUMB_WIDTH, image_size, render_thumbnail
from bot.gallery.tokens import new_token, same_hash, token_hash, well_formed
from bot.i18n import phrase
from bot.jobs import Job, JobState, numbered_results
from bot.ports import BlobStore, Favourites, GalleryLinks, JobRecords, Link, ResultLog
from bot.rendering import render
from bot.request import Capabilities
from bot.workspace_retention import RetentionRules

log = logging.getLogger(__name__)

GALLERY_LABEL = phrase("Open gallery")
RENDERING_AT_ONCE = 2  # previews are CPU work: many packs delivered together take turns, and hold little


class GalleryStore(GalleryLinks, JobRecords, ResultLog, Favourites, Protocol):
    """The store's roles a gallery uses."""


@dataclass(frozen=True)
class OpenGallery:
    """A gallery found by its token: the job, what it shows, until when it is kept, and which of its
    headshots (by number) its owner marked as favourites."""

    job: Job
    manifest: GalleryManifest
    kept_until: float
    capabilities: Capabilities | None
    favourites: frozenset[int] = frozenset()


class Galleries:
    """Publishes a delivered job's gallery and opens it again for a token; nothing else writes here."""

    def __init__(
        self,
        store: GalleryStore,
        blobs: BlobStore,
        *,
        base_url: str,
        retention_seconds: float,
        capabilities: Callable[[str], Capabilities | None] = lambda _provider: None,
        clock: Callable[[], float] = time.time,
        rules: RetentionRules | None = None,
    ) -> None:
        self._rules = rules
        self._store = store
        self._blobs = blobs
        self.base_url = base_url.rstrip("/")
        self.retention_seconds = retention_seconds
        self._capabilities = capabilities
        self._clock = clock
        self._rendering = asyncio.Semaphore(RENDERING_AT_ONCE)

    async def publish(self, job: Job) -> Link | None:
        """Make the job's thumbnails (once) and a new link to its gallery; None when nothing is stored.

        Every call issues a new token. A link posted before a crash stays valid beside it, so a
        resumed delivery never breaks a link somebody already has.
        """
        manifest = await self._manifest(job.id)
        if manifest is None:
            manifest = await self._build(job)
            if manifest is None:
                return None
        token = new_token()
        await self._store.add_gallery_link(job.id, token_hash(token), self._clock())
        return Link(GALLERY_LABEL.say(job.locale), f"{self.base_url}/g/{token}")

    async def open(self, token: str) -> OpenGallery | None:
        """The gallery behind `token`, or None: a wrong token, a job swept, forgotten or not delivered."""
        if not well_formed(token):
            return None
        link = await self._store.gallery_link(token_hash(token))
        if link is None or not same_hash(link.token_hash, token):
            return None
        job = await self._store.get(link.job_id)
        if job is None or job.state is not JobState.DELIVERED:
            return None
        keep = self.retention_seconds if self._rules is None else await self._rules.result_keep_seconds(job.workspace)
        kept_until = job.updated_at + keep
        if self._clock() >= kept_until:
            return None  # the sweep may not have run yet; the page ends on time all the same
        manifest = await self._manifest(job.id)
        if manifest is None:
            return None
        return OpenGallery(job, manifest, kept_until, self._capabilities(job.provider), await self._favourites(job))

    async def _favourites(self, job: Job) -> frozenset[int]:
        """The numbers of the job's headshots its owner marked as favourites."""
        marked = {f.index for f in await self._store.favourites(job.owner) if f.job_id == job.id}
        if not marked:
            return frozenset()
        stored = numbered_results(await self._store.results(job.id))
        return frozenset(number for number, result in enumerate(stored, start=1) if result.index in marked)

    async def _manifest(self, job_id: str) -> GalleryManifest | None:
        key = gallery_manifest_key(job_id)
        try:
            if not await self._blobs.exists(key):
                return None
            return GalleryManifest.model_validate_json(await self._blobs.get(key))
        except (OSError, ValidationError):
            log.warning("job %s: unreadable gallery manifest", job_id[:8], exc_info=True)
            return None

    async def _build(self, job: Job) -> GalleryManifest | None:
        images: list[GalleryImage] = []
        first_thumb: bytes | None = None
        for result in await self._store.results(job.id):
            if not result.blob_key:
                continue
            # Read from its file on the rendering thread, one image at a time in the process.
            async with self._rendering, self._blobs.as_file(result.blob_key) as path:
                thumb, head = await render(_thumbnail_and_head, path)
            key = thumbnail_key(job.id, result.index)
            await self._blobs.put(key, thumb)
            first_thumb = first_thumb or thumb
            media_type = sniff_image(head) or UNKNOWN_TYPE
            images.append(GalleryImage(
                key=result.blob_key, size=result.size, media_type=media_type, thumb_key=key, thumb_size=len(thumb)
            ))
        if not images or first_thumb is None:
            return None
        width, height = image_size(first_thumb) or (THUMB_WIDTH, THUMB_WIDTH)
        manifest = GalleryManifest(images=images, thumb_width=width, thumb_height=height)
        await self._blobs.put(gallery_manifest_key(job.id), manifest.model_dump_json().encode())
        return manifest


def _thumbnail_and_head(path: Path) -> tuple[bytes, bytes]:
    """A result's preview, and its first bytes (what its type is told by)."""
    with path.open("rb") as file:
        head = file.read(64)
    return render_thumbnail(path), head
