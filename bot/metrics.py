"""Prometheus metrics of one running core: jobs, providers, callbacks, chat posts, quotas.

Each core has its own registry (never the process-wide default), so tests and several cores
in one process keep their counts apart. Labels carry only names from small fixed sets
(provider, surface, outcome, state, scope): never an id or anything a user typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.jobs import Job, JobState, ThreadAddress
from bot.ports import Button, ChatSurface, Link, OutgoingFile

JOB_OUTCOMES = ("delivered", "failed")
PROVIDER_OUTCOMES = ("ok", "submitted", "refused", "unavailable", "error")
CALLBACK_OUTCOMES = ("accepted", "duplicate", "refused")
POST_OUTCOMES = ("posted", "failed", "rate_limited")
# A studio job takes seconds, an agent.ai one about a minute, a Runflow pack one to two hours.
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 10800, 21600)
REQUEST_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class JobStates(Collector):
    """`headshot_jobs_in_state`: the latest counts read from the store, zero for empty states.

    The scrape handler sets `counts` just before rendering; None (the store did not answer in
    time) exports no samples, so a stale number is never shown as current.
    """

    def __init__(self) -> None:
        self.counts: Mapping[str, int] | None = None

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        if self.counts is not None:
            states = [state.value for state in JobState]
            for state in [*states, *sorted(set(self.counts) - set(states))]:
                family.add_metric([state], self.counts.get(state, 0))
        return [family]

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("headshot_jobs_in_state", "Jobs in the store, by state.", labels=["state"])


class Metrics:
    """Every metric of the contract, with one method per thing that happened."""

    def __init__(self) -> None:
        # `_created` series would double the scrape and tell an operator nothing here.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        r = self.registry
        self.jobs = Counter(
            "headshot_jobs", "Jobs that ended, by outcome.", ["provider", "surface", "outcome"], registry=r
        )
        self.job_seconds = Histogram(
            "headshot_job_duration_seconds", "Seconds from acceptance to the end of a job.", ["provider"],
            buckets=JOB_BUCKETS, registry=r,
        )
        self.provider_requests = Counter(
            "headshot_provider_requests", "Calls to providers, by outcome.", ["provider", "outcome"], registry=r
        )
        self.provider_seconds = Histogram(
            "headshot_provider_request_seconds", "Seconds a provider call took.", ["provider"],
            buckets=REQUEST_BUCKETS, registry=r,
        )
        self.images = Counter(
            "headshot_images_delivered", "Images posted into threads.", ["provider", "surface"], registry=r
        )
        self.callbacks = Counter(
            "headshot_callbacks", "Provider completion callbacks, by outcome.", ["outcome"], registry=r
        )
        self.chat_posts = Counter(
            "headshot_chat_posts", "Posts into chat threads, by outcome.", ["surface", "outcome"], registry=r
        )
        self.quota_refusals = Counter(
            "headshot_quota_refusals", "Requests refused by a quota.", ["provider", "scope"], registry=r
        )
        self.states = JobStates()
        r.register(self.states)
        ProcessCollector(registry=r)
        for outcome in CALLBACK_OUTCOMES:
            self.callbacks.labels(outcome)

    def declare(self, providers: Iterable[str], surfaces: Iterable[str]) -> None:
        """Export zeros for the known label values, so rates and alerts work from the first event."""
        providers, surfaces = list(providers), list(surfaces)
        for provider in providers:
            self.job_seconds.labels(provider)
            self.provider_seconds.labels(provider)
            for outcome in PROVIDER_OUTCOMES:
                self.provider_requests.labels(provider, outcome)
            for surface in surfaces:
                self.images.labels(provider, surface)
                for outcome in JOB_OUTCOMES:
                    self.jobs.labels(provider, surface, outcome)
        for surface in surfaces:
            for outcome in POST_OUTCOMES:
                self.chat_posts.labels(surface, outcome)

    def job_finished(self, job: Job, state: JobState, seconds: float, images: int = 0) -> None:
        """A job reached `delivered` or `failed`, `seconds` after it was accepted."""
        self.jobs.labels(job.provider, job.surface, state.value).inc()
        self.job_seconds.labels(job.provider).observe(max(0.0, seconds))
        if images:
            self.images.labels(job.provider, job.surface).inc(images)

    def provider_called(self, provider: str, outcome: str, seconds: float) -> None:
        """One provider call ended: `ok`, `submitted`, `refused`, `unavailable` (retryable) or `error`."""
        self.provider_requests.labels(provider, outcome).inc()
        self.provider_seconds.labels(provider).observe(seconds)

    def callback(self, outcome: str) -> None:
        """A completion callback was `accepted`, a `duplicate`, or `refused`."""
        self.callbacks.labels(outcome).inc()

    def chat_post(self, surface: str, outcome: str) -> None:
        """A post into a thread was `posted`, `failed`, or answered 429 (`rate_limited`)."""
        self.chat_posts.labels(surface, outcome).inc()

    def quota_refused(self, provider: str, scope: str) -> None:
        """A request was refused by a quota; `scope` names the limit (`user_day`, `workspace_month`...)."""
        self.quota_refusals.labels(provider, scope).inc()

    def counted(self, surface: ChatSurface) -> ChatSurface:
        """`surface`, with each post counted as posted or failed."""
        return CountedSurface(surface, self)


class CountedSurface:
    """A chat surface that counts its posts (`bot.ports.ChatSurface` around another one)."""

    def __init__(self, inner: ChatSurface, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics
        self.name = inner.name
        self.max_files_per_post = inner.max_files_per_post
        self.max_bytes_per_post = inner.max_bytes_per_post

    async def set_status(self, thread: ThreadAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """The inner surface's status update, uncounted."""
        await self.inner.set_status(thread, text, buttons)

    async def post(
        self, thread: ThreadAddress, text: str, files: Sequence[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        """Post through the inner surface and count the outcome."""
        try:
            await self.inner.post(thread, text, files, key, links)
        except Exception:
            self.metrics.chat_post(self.name, "failed")
            raise
        self.metrics.chat_post(self.name, "posted")

    async def was_posted(self, thread: ThreadAddress, key: str) -> bool:
        """The inner surface's answer."""
        return await self.inner.was_posted(thread, key)

    def post_limit(self, thread: ThreadAddress) -> int | None:
        """The inner surface's answer."""
        return self.inner.post_limit(thread)
