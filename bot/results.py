"""Bringing result images into our own storage: from a provider's answer or from its URLs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bot.blob_keys import result_key
from bot.downloads import Downloader, DownloadError
from bot.jobs import Job
from bot.photos import declared_pixels
from bot.ports import BlobStore, ResultImage, ResultLog

log = logging.getLogger(__name__)

FETCH_CONCURRENCY = 32  # CDN latency, not bandwidth, bounds a pack: fetch many at once
FETCH_ATTEMPTS = 3
DEFAULT_MAX_RESULT_BYTES = 25 * 1024 * 1024
# A provider's 2K or 4K headshot has 4-16 megapixels; far more is a decompression bomb.
MAX_RESULT_PIXELS = 40_000_000

_SUFFIX = {"image/png": ".png", "image/webp": ".webp"}


class JobGone(Exception):
    """The job was deleted (forgotten) while its results came in; what it wrote must go too."""


class ResultKeeper:
    """Stores a job's result images and records each one as soon as it is stored."""

    def __init__(
        self,
        results: ResultLog,
        blobs: BlobStore,
        downloader: Downloader,
        *,
        max_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        fault: Callable[[str], None] = lambda _point: None,
    ) -> None:
        self._results = results
        self._blobs = blobs
        self._downloader = downloader
        self._max_bytes = max_bytes
        self._fault = fault

    async def save_generated(self, job: Job, images: Sequence[ResultImage]) -> int:
        """Store the images of a synchronous answer; returns how many are stored.

        Providers bring URL results home themselves, so only bytes arrive here. An image that is
        not one, or has far too many pixels, is left out.
        """
        already = {r.index for r in await self._results.results(job.id) if r.blob_key}
        for index, image in enumerate(images):
            if index in already or image.data is None:
                continue
            pixels = declared_pixels(image.data)
            if pixels is None or pixels > MAX_RESULT_PIXELS:
                what = "not a readable image" if pixels is None else f"{pixels / 1_000_000:.0f} megapixels"
                log.warning("job %s: result %d left out: %s", job.short_id, index + 1, what)
                continue
            key = result_key(job.id, index, _SUFFIX.get(image.mime_type, ".jpg"))
            await self._blobs.put(key, image.data)
            if not await self._results.add_result(job.id, index, key, len(image.data)):
                raise JobGone(job.id)
        return sum(1 for r in await self._results.results(job.id) if r.blob_key)

    async def fetch_results(self, job: Job) -> int:
        """Download every pending result URL of a job, a few at a time; returns how many are stored.

        A restart continues where this stopped. An image that still fails after a few tries is
        left out (and counted as missing).
        """
        pending = [r for r in await self._results.results(job.id) if r.blob_key is None and r.url]
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def fetch_one(index: int, url: str) -> None:
            key = result_key(job.id, index)
            async with gate:
                for attempt in range(1, FETCH_ATTEMPTS + 1):
                    try:
                        size = await self._downloader.save_image(
                            url, self._blobs, key, max_bytes=self._max_bytes, max_pixels=MAX_RESULT_PIXELS
                        )
                    except DownloadError as exc:
                        if not exc.retryable or attempt == FETCH_ATTEMPTS:
                            log.warning("result %d not downloaded: %s", index + 1, exc)
                            return
                        await asyncio.sleep(0.5 * 2**attempt)
                    else:
                        if not await self._results.add_result(job.id, index, key, size, url):
                            raise JobGone(job.id)
                        self._fault("mid-download")
                        return

        # Every download runs to its end even when one fails (a full disk), so none is left running unseen.
        fetches = [fetch_one(r.index, r.url) for r in pending if r.url]
        for outcome in await asyncio.gather(*fetches, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(1 for r in await self._results.results(job.id) if r.blob_key)
