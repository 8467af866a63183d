"""The job engine: moves each stored job one durable step at a time.

Every step reads the job from the store, does one piece of work and records the new state
before the next piece begins, so a process killed anywhere resumes from the last recorded
state. Work that may be repeated after a crash (a provider call, a download) is harmless to
repeat; work that must not be repeated (posting into a thread) goes through `bot.delivery`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence

from bot.blob_keys import job_prefix, photo_key, photos_prefix
from bot.catalog import ProviderCatalog
from bot.delivery import (
    announce_failure,
    announce_gallery,
    deliver_results,
    post_once,
    prepare_contact_sheet,
    show_status,
)
from bot.downloads import DownloadError
from bot.errors import StoreUnavailable
from bot.gallery.publish import Galleries
from bot.holds import HeldRetries, Throttled
from bot.i18n import Sayable, phrase, phrase_n, say
from bot.jobs import ACTIVE_STATES, Job, JobChange, JobState
from bot.logs import job_context
from bot.metrics import Metrics
from bot.photos import Photo
from bot.ports import (
    BlobStore,
    CallbackUrl,
    ChatSurface,
    DeliveryLog,
    Generated,
    GenerationInput,
    JobRecords,
    Link,
    Provider,
    ProviderError,
    QuotaLedger,
    ResultLog,
    Submitted,
    ThreadGone,
)
from bot.results import ResultKeeper
from bot.workspace_admin import WorkspaceKits
from bot.workspace_retention import RetentionRules

log = logging.getLogger(__name__)

MAX_PROVIDER_ATTEMPTS = 4
UNFINISHED = ACTIVE_STATES | {JobState.WAITING}
MAX_STEP_ATTEMPTS = 8
FAULT_MESSAGE = phrase("Something went wrong on our side while making your headshots; please try again.")


def callback_hash(token: str) -> str:
    """The stored form of a callback secret (the secret itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def backoff(attempt: int, base: float = 2.0, cap: float = 300.0) -> float:
    """Seconds to wait before retry number `attempt` (1-based), bounded."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


class JobEngine:
    """Advances jobs; shared by the job runner, the CLI and the webhook routes."""

    def __init__(
        self,
        *,
        records: JobRecords,
        results: ResultLog,
        deliveries: DeliveryLog,
        charges: QuotaLedger,
        blobs: BlobStore,
        providers: ProviderCatalog,
        surfaces: Mapping[str, ChatSurface],
        keeper: ResultKeeper,
        callback_url: CallbackUrl | None,
        callback_timeout: float,
        clock: Callable[[], float] = time.time,
        fault: Callable[[str], None] = lambda point: None,
        metrics: Metrics | None = None,
        photo_keep_seconds: float = 0.0,
        galleries: Galleries | None = None,
        kits: WorkspaceKits | None = None,
        retention: RetentionRules | None = None,
    ) -> None:
        self._kits = kits
        self._retention = retention
        self._records = records
        self._results = results
        self._deliveries = deliveries
        self._charges = charges
        self._blobs = blobs
        self._providers = providers
        self._surfaces = surfaces
        self._keeper = keeper
        self._callback_url = callback_url
        self._callback_timeout = callback_timeout
        self._clock = clock
        self._fault = fault
        self._metrics = metrics or Metrics()
        self._photo_keep_seconds = photo_keep_seconds
        self._galleries = galleries
        self._held = HeldRetries(clock)
        self._store_trouble = Throttled(log)

    def is_held(self, job_id: str) -> bool:
        """Whether a job's next try is held back in memory (the store could not record its retry)."""
        return self._held.is_held(job_id)

    async def advance(self, job_id: str) -> None:
        """Run a job's steps until it finishes, waits for a callback, or is not due yet."""
        with job_context(job_id):  # every line logged meanwhile names the job
            await self._advance(job_id)

    async def _advance(self, job_id: str) -> None:
        if self._held.is_held(job_id):
            return
        while True:
            job = await self._records.get(job_id)
            if job is None or job.finished or job.not_before > self._clock():
                return
            if job.state is JobState.WAITING and (job.deadline is None or job.deadline > self._clock()):
                return
            before = (job.state, job.attempts, job.not_before)
            try:
                await self._step(job)
            except ThreadGone:
                log.info("job %s: its thread can no longer be reached; ending it quietly", job.short_id)
                await self.end_quietly(job.id)
            except StoreUnavailable:  # the store is away, not the job at fault: nothing to count
                log.warning("step %s stopped: the store is not answering", job.state.value)
                return
            except Exception as exc:  # one bad step must not stop the runner
                if await self._records.get(job_id) is None:
                    await self._forgotten(job_id)
                    return
                log.exception("step %s failed", job.state.value)
                if not await self._record_failure(job, exc):
                    return
            else:
                self._held.release(job_id)
            after = await self._records.get(job_id)
            if after is None:
                await self._forgotten(job_id)
                return
            if (after.state, after.attempts, after.not_before) == before:
                return

    async def _forgotten(self, job_id: str) -> None:
        """The job was deleted while a step ran (`forget`): delete whatever the step wrote since."""
        log.info("the job was deleted while it ran; removing what it wrote since")
        await self._blobs.delete_prefix(job_prefix(job_id))

    async def _step(self, job: Job) -> None:
        handlers = {
            JobState.QUEUED: self._start,
            JobState.GENERATING: self._generate,
            JobState.WAITING: self._time_out,
            JobState.FETCHING: self._fetch,
            JobState.DELIVERING: self._deliver,
            JobState.FAILING: self._announce_failure,
        }
        await handlers[job.state](job)

    async def _start(self, job: Job) -> None:
        provider = self._providers.get(job.provider)
        if provider is None:
            await self.fail(job, phrase(
                "The {provider} provider is not configured on this bot any more.", provider=job.provider
            ))
            return
        wait = provider.wait_seconds()
        if wait > 0:
            await self._records.update(job.id, JobChange(not_before=self._clock() + wait), expect=[JobState.QUEUED])
            return
        # `attempts` is kept: it counts the provider's failures, so a provider that stays down ends the job.
        started = JobChange(state=JobState.GENERATING, not_before=0)
        if await self._records.update(job.id, started, expect=[JobState.QUEUED]):
            await self._announce(job.id)

    async def _generate(self, job: Job) -> None:
        provider = self._providers.get(job.provider)
        if provider is None:  # the bot was restarted without this provider's key
            await self.fail(job, phrase(
                "The {provider} provider is not configured on this bot any more.", provider=job.provider
            ))
            return
        photos = [Photo(data=await self._blobs.get(photo_key(job.id, n))) for n in range(job.photo_count)]
        callback_url = None
        if provider.capabilities.asynchronous:
            if self._callback_url is None:
                label = provider.capabilities.label
                await self.fail(job, phrase(
                    "{label} needs a public address for its callback; PUBLIC_BASE_URL is not set.", label=label
                ))
                return
            token = secrets.token_urlsafe(32)
            await self._records.arm_callback(job.id, callback_hash(token))
            callback_url = self._callback_url(token)
        task = GenerationInput(job_id=job.id, photos=photos, options=job.options, callback_url=callback_url)
        self._fault("before-provider")
        try:
            outcome = await self._call(provider, task, job)
        except ProviderError as exc:
            await self._provider_failed(job, exc)
            return
        self._fault("after-provider")
        if isinstance(outcome, Submitted):
            waiting = JobChange(
                state=JobState.WAITING,
                remote_id=outcome.remote_id,
                deadline=self._clock() + self._callback_timeout,
                attempts=0,
                detail=outcome.raw,
            )
            await self._records.update(job.id, waiting, expect=[JobState.GENERATING])
            await self._announce(job.id)
            if outcome.notes and job.surface in self._surfaces:
                advice = " ".join(say(job.locale, note) for note in outcome.notes)
                surface = self._metrics.counted(self._surfaces[job.surface])
                await post_once(self._deliveries, surface, job, f"job {job.short_id} · advice", advice)
            return
        assert isinstance(outcome, Generated)
        answered = JobChange(remote_id=outcome.remote_id, detail=outcome.raw, results_total=len(outcome.images))
        await self._records.update(job.id, answered)
        if not outcome.images:
            await self.fail(job, phrase("{label} answered without any images.", label=provider.capabilities.label))
            return
        if await self._keeper.save_generated(job, outcome.images) == 0:
            await self.fail(job, phrase(
                "None of the images {label} made could be used.", label=provider.capabilities.label
            ))
            return
        await self._move(job, JobState.DELIVERING, expect=JobState.GENERATING)

    async def _call(self, provider: Provider, task: GenerationInput, job: Job) -> Generated | Submitted:
        """One provider call, timed, counted and logged (a cancelled call is none of these)."""
        started = time.perf_counter()
        try:
            outcome = await provider.generate(task)
        except ProviderError as exc:
            self._called(job, "unavailable" if exc.retryable else "refused", started)
            raise
        except Exception:
            self._called(job, "error", started)
            raise
        self._called(job, "submitted" if isinstance(outcome, Submitted) else "ok", started, outcome)
        return outcome

    def _called(self, job: Job, kind: str, started: float, outcome: Generated | Submitted | None = None) -> None:
        seconds = time.perf_counter() - started
        self._metrics.provider_called(job.provider, kind, seconds)
        images = f", {len(outcome.images)} images" if isinstance(outcome, Generated) else ""
        log.info("%s called: %s in %.1fs%s", job.provider, kind, seconds, images)

    async def _provider_failed(self, job: Job, exc: ProviderError) -> None:
        if exc.raw:
            await self._records.update(job.id, JobChange(detail=exc.raw))
        if exc.retryable and job.attempts + 1 < MAX_PROVIDER_ATTEMPTS:
            delay = exc.retry_after if exc.retry_after is not None else backoff(job.attempts + 1)
            log.warning("%s will be retried in %.0fs: %s", job.provider, delay, exc)
            retry = JobChange(state=JobState.QUEUED, attempts=job.attempts + 1, not_before=self._clock() + delay)
            await self._records.update(job.id, retry)
            return
        if exc.retryable:  # its own words promise another try, which is not coming
            label = self._providers.label(job.provider)
            tries = MAX_PROVIDER_ATTEMPTS
            await self.fail(job, phrase_n(
                "{label} stayed unavailable through 1 try; please try again later.",
                "{label} stayed unavailable through {n} tries; please try again later.", tries, label=label,
            ))
            return
        await self.fail(job, exc.message)

    async def _time_out(self, job: Job) -> None:
        label = self._providers.label(job.provider)
        hours = self._callback_timeout / 3600
        if hours >= 1:
            span = phrase("{hours} hours", hours=f"{hours:g}")
        else:
            span = phrase("{seconds} seconds", seconds=f"{self._callback_timeout:g}")
        await self.fail(job, phrase(
            "{label} did not deliver the headshots within {span}; the job was given up.", label=label, span=span
        ))

    async def _fetch(self, job: Job) -> None:
        if job.attempts == 0 and job.results_done == 0:
            waited = job.updated_at - job.created_at
            log.info("callback: %d results to fetch, %.1fs after it was accepted", job.results_total, waited)
        started = time.perf_counter()
        stored = await self._keeper.fetch_results(job)
        log.info("fetched %d of %d results in %.1fs", stored, job.results_total, time.perf_counter() - started)
        if stored == 0:
            await self.fail(job, phrase(
                "None of the provider's images could be downloaded (the links may have expired)."
            ))
            return
        await self._results.forget_result_urls(job.id)
        # The contact sheet is drawn while the status message says the images are on their way.
        sheet = prepare_contact_sheet(self._results, self._blobs, self._surfaces.get(job.surface), job)
        _, moved = await asyncio.gather(
            sheet, self._move(job, JobState.DELIVERING, expect=JobState.FETCHING), return_exceptions=True
        )
        if isinstance(moved, BaseException):
            raise moved

    async def _deliver(self, job: Job) -> None:
        surface = self._metrics.counted(self._surfaces[job.surface])
        images = await deliver_results(
            self._deliveries, self._results, self._blobs, surface, job, self._fault, self._galleries is not None
        )
        # The previews are made after the results are out, so that nobody waits for them.
        gallery = await self._publish(job) if images else None
        if gallery is not None:
            await announce_gallery(self._deliveries, surface, job, gallery, images, self._fault)
        self._fault("after-delivery")
        await self._finish(job, JobState.DELIVERED, images, [gallery] if gallery else [])

    async def _publish(self, job: Job) -> Link | None:
        """The job's gallery link; the images are delivered without it if the gallery cannot be made."""
        if self._galleries is None:
            return None
        try:
            return await self._galleries.publish(job)
        except Exception:
            log.warning("job %s: no gallery this time", job.short_id, exc_info=True)
            return None

    async def _announce_failure(self, job: Job) -> None:
        surface = self._surfaces.get(job.surface)
        if surface is not None:
            await announce_failure(self._deliveries, self._metrics.counted(surface), job)
        await self._finish(job, JobState.FAILED)

    async def end_quietly(self, job_id: str) -> None:
        """End an unfinished job whose thread is gone (nothing to post to): no word, files deleted."""
        change = JobChange(state=JobState.FAILED, attempts=0, error="The conversation can no longer be reached.")
        await self._charges.settle_charge(job_id, 0)  # nothing reached anyone: nothing counts
        if await self._records.update(job_id, change, expect=UNFINISHED):
            await self._blobs.delete_prefix(job_prefix(job_id))

    async def fail(self, job: Job, message: str | Sayable) -> None:
        """Fail a job with a sentence for the user (kept in the job's language); the thread is told by the next step."""
        error = say(job.locale, message)
        await self._records.update(job.id, JobChange(state=JobState.FAILING, error=error, attempts=0, not_before=0))

    async def _finish(self, job: Job, state: JobState, images: int = 0, links: Sequence[Link] = ()) -> None:
        # Settled first, to a value not a difference: a crash before the next write repeats it harmlessly.
        await self._charges.settle_charge(job.id, images if state is JobState.DELIVERED else 0)
        if await self._records.update(job.id, JobChange(state=state, attempts=0), expect=[job.state]):
            seconds = self._clock() - job.created_at
            self._metrics.job_finished(job, state, seconds, images)
            if state is JobState.DELIVERED:
                log.info("delivered %d images, %.1fs after it was accepted", images, seconds)
            else:
                log.info("failed, %.1fs after it was accepted: %s", seconds, job.error)
            # A delivered job's photos stay for its follow-up buttons; the retention sweep removes them later.
            if state is JobState.FAILED or await self._photo_keep(job) <= 0:
                await self._blobs.delete_prefix(photos_prefix(job.id))
                await self._records.update(job.id, JobChange(photos_purged=True))
            await self._announce(job.id, links)

    async def _photo_keep(self, job: Job) -> float:
        """How long this job's photos stay after it ends: its workspace's keep, where shorter."""
        if self._retention is None:
            return self._photo_keep_seconds
        try:
            return min(self._photo_keep_seconds, await self._retention.photo_keep_seconds(job.workspace))
        except Exception:  # the sweep still holds to the workspace's keep
            log.warning("could not read the workspace's photo keep", exc_info=True)
            return self._photo_keep_seconds

    async def _move(self, job: Job, state: JobState, *, expect: JobState) -> None:
        if await self._records.update(job.id, JobChange(state=state, attempts=0, not_before=0), expect=[expect]):
            await self._announce(job.id)

    async def _announce(self, job_id: str, links: Sequence[Link] = ()) -> None:
        """Update the status message (with its buttons, if any); a failure here is logged, never fatal."""
        job = await self._records.get(job_id)
        surface = self._surfaces.get(job.surface) if job else None
        if job is not None and surface is not None:
            styles = None
            if self._kits is not None and job.state is JobState.DELIVERED:
                try:
                    styles = (await self._kits.kit(job.workspace)).styles()
                except Exception:  # the menu then offers every style; the intake still holds to the kit
                    log.warning("could not read the brand kit for a status's style menu", exc_info=True)
            await show_status(surface, job, self._providers.capabilities(job.provider), links, styles)

    async def _record_failure(self, job: Job, exc: Exception) -> bool:
        """Record a failed step's retry (or the job's end); if the store cannot take that either,
        hold the retry in memory. Returns whether the store has it."""
        attempts = max(job.attempts, self._held.attempts(job.id)) + 1
        try:
            await self._retry_or_fail(job, exc, attempts)
        except Exception as failure:
            delay = backoff(attempts)
            self._held.hold(job.id, attempts, delay)
            self._store_trouble.warning(
                "the store could not record a failed step (%s); the job is held back %.0f s in memory",
                failure, delay,
            )
            return False
        self._held.release(job.id)
        return True

    async def _retry_or_fail(self, job: Job, exc: Exception, attempts: int) -> None:
        if attempts < MAX_STEP_ATTEMPTS:
            later = JobChange(attempts=attempts, not_before=self._clock() + backoff(attempts))
            await self._records.update(job.id, later)
        elif job.state is JobState.FAILING:
            await self._finish(job, JobState.FAILED)  # nobody left to tell, and the photos go all the same
        else:
            message = exc.message if isinstance(exc, DownloadError) else FAULT_MESSAGE
            await self.fail(job, message)

    async def accept_callback(self, token: str, remote_id: str, urls: list[str]) -> bool | None:
        """A provider's completion callback: None if no such job, else whether it changed anything."""
        changed = await self._results.accept_callback(callback_hash(token), remote_id, urls)
        if changed:
            self._fault("after-callback")
        return changed

