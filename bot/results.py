"""Bringing result images into our own storage: from a provider's answer or its URLs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.blob_keys import result_key
from bot.downloads import DownloadError
from bot.jobs import Job
from bot.photos import declared_pixels
from bot.providers import ResultImage

if TYPE_CHECKING:
    from bot.engine import JobEngine

log = logging.getLogger(__name__)

FETCH_CONCURRENCY = 32  # CDN latency, not bandwidth, bounds a pack: fetch many at once
FETCH_ATTEMPTS = 3
# A provider's 2K or 4K headshot has 4-16 megapixels; far more is a decompression bomb.
MAX_RESULT_PIXELS = 40_000_000

_SUFFIX = {"image/png": ".png", "image/webp": ".webp"}


async def save_generated(engine: JobEngine, job: Job, images: Sequence[ResultImage]) -> int:
    """Store the images of a synchronous answer (bytes, or URLs downloaded at once); returns how
    many are stored. An image that is not one, or has far too many pixels, is left out."""
    already = {r.index for r in await engine.store.results(job.id) if r.blob_key}
    for index, image in enumerate(images):
        if index in already:
            continue
        key = result_key(job.id, index, _SUFFIX.get(image.mime_type, ".jpg"))
        if image.data is not None:
            pixels = declared_pixels(image.data)
            if pixels is None or pixels > MAX_RESULT_PIXELS:
                what = "not a readable image" if pixels is None else f"{pixels / 1_000_000:.0f} megapixels"
                log.warning("job %s: result %d left out: %s", job.short_id, index + 1, what)
                continue
            await engine.blobs.put(key, image.data)
            size = len(image.data)
        elif image.url is not None:
            try:
                size = await engine.downloader.save_image(
                    image.url, engine.blobs, key, max_bytes=engine.max_result_bytes, max_pixels=MAX_RESULT_PIXELS
                )
            except DownloadError as exc:
                if exc.retryable:
                    raise
                log.warning("job %s: result %d left out: %s", job.short_id, index + 1, exc)
                continue
        else:
            continue
        await engine.store.add_result(job.id, index, key, size)
    return sum(1 for r in await engine.store.results(job.id) if r.blob_key)


async def fetch_results(engine: JobEngine, job: Job) -> int:
    """Download every pending result URL of a job, a few at a time; returns how many are stored.

    Each image is recorded as soon as it is stored, so a restart continues where it stopped.
    An image that still fails after a few tries is left out (and counted as missing).
    """
    pending = [r for r in await engine.store.results(job.id) if r.blob_key is None and r.url]
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def fetch_one(index: int, url: str) -> None:
        key = result_key(job.id, index)
        async with gate:
            for attempt in range(1, FETCH_ATTEMPTS + 1):
                try:
                    size = await engine.downloader.save_image(
                        url, engine.blobs, key, max_bytes=engine.max_result_bytes, max_pixels=MAX_RESULT_PIXELS
                    )
                except DownloadError as exc:
                    if not exc.retryable or attempt == FETCH_ATTEMPTS:
                        log.warning("result %d not downloaded: %s", index + 1, exc)
                        return
                    await asyncio.sleep(0.5 * 2**attempt)
                else:
                    await engine.store.add_result(job.id, index, key, size, url)
                    engine.fault("mid-download")
                    return

    await asyncio.gather(*(fetch_one(r.index, r.url) for r in pending if r.url))
    return sum(1 for r in await engine.store.results(job.id) if r.blob_key)
