"""Bringing result images into our own storage: from a provider's answer or from its URLs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bot.blob_keys import result_key
from bot.downloads import Downloader, DownloadError
from bot.jobs import Job, StoredResult
from bot.photos import declared_pixels
from bot.ports import BlobStore, ResultImage, ResultLog

log = logging.getLogger(__name__)

# CDN latency, not bandwidth, bounds a pack: a pack of 60 is fetched in one round (the
# downloader's budget of bytes in flight bounds the memory of all jobs' downloads together).
FETCH_CONCURRENCY = 64
FETCH_ATTEMPTS = 3
DEFAULT_MAX_RESULT_BYTES = 25 * 1024 * 1024
# A provider's 2K or 4K headshot has 4-16 megapixels; far more is a decompression bomb.
MAX_RESULT_PIXELS = 40_000_000

_SUFFIX = {"image/png": ".png", "image/webp": ".webp"}


class JobGone(Exception):
    """The job was deleted (forgotten) while its results came in; what it wrote must go too."""


class ResultRecorder:
    """Records a job's stored results in batches: whatever lands while a batch is being written
    goes into the next one, so a pack takes a few transactions instead of one per image, and each
    result is recorded as soon as the store can take it (`record` returns once it is)."""

    def __init__(self, results: ResultLog, job_id: str) -> None:
        self._results = results
        self._job_id = job_id
        self._pending: list[tuple[StoredResult, asyncio.Future[bool]]] = []
        self._writing = asyncio.Lock()

    async def record(self, result: StoredResult) -> None:
        """Record one stored result (with the others waiting by then); raises `JobGone` if the job is gone."""
        recorded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((result, recorded))
        async with self._writing:
            if not recorded.done():
                await self._write_pending()
        if not recorded.result():
            raise JobGone(self._job_id)

    async def _write_pending(self) -> None:
        batch, self._pending = self._pending, []
        try:
            recorded = await self._results.add_results(self._job_id, [result for result, _ in batch])
        except Exception as exc:  # every result of the batch failed alike; each caller sees it
            for _, outcome in batch:
                outcome.set_exception(exc)
            return
        except BaseException:  # cancelled: not written, the next one in tries again
            self._pending[:0] = batch
            raise
        for _, outcome in batch:
            outcome.set_result(recorded)


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
        """Download every pending result URL of a job, a pack in one round; returns how many are stored.

        A restart continues where this stopped. An image that still fails after a few tries is
        left out (and counted as missing).
        """
        pending = [r for r in await self._results.results(job.id) if r.blob_key is None and r.url]
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)
        recorder = ResultRecorder(self._results, job.id)

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
                        await recorder.record(StoredResult(job.id, index, url, key, size))
                        self._fault("mid-download")
                        return

        # Every download runs to its end even when one fails (a full disk), so none is left running unseen.
        fetches = [fetch_one(r.index, r.url) for r in pending if r.url]
        for outcome in await asyncio.gather(*fetches, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(1 for r in await self._results.results(job.id) if r.blob_key)
