"""The job runner: executes stored jobs with bounded concurrency, and resumes them after restarts.

The queue *is* the store: the runner keeps only the ids it is working on in memory, so a
burst of requests, a rate-limited provider or a restart never loses or duplicates a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol

from bot.engine import JobEngine, backoff
from bot.holds import Throttled
from bot.jobs import JobState
from bot.ports import JobQueue
from bot.retention import RetentionSweep

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 30.0
SWEEP_EVERY_SECONDS = 3600.0
MIN_SWEEP_SECONDS = 0.5
DEFAULT_LEASE_SECONDS = 30.0


def worker_name() -> str:
    """This process's name on the job queue's leases: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RunningJobs(Protocol):
    """What the parts that add jobs see of the runner: a way to wake it, and how busy it is."""

    def wake(self) -> None:
        """Look at the store again now."""
        ...

    @property
    def busy(self) -> int:
        """How many jobs are being worked on."""
        ...


class JobRunner:
    """Claims due jobs from the store and advances each in its own task, renewing their leases meanwhile."""

    def __init__(
        self,
        queue: JobQueue,
        engine: JobEngine,
        *,
        concurrency: int,
        provider_concurrency: Mapping[str, int] | None = None,
        sweep: RetentionSweep | None = None,
        retention_seconds: float | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        worker: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._engine = engine
        self._sweep = sweep
        self.worker = worker or worker_name()
        self.lease_seconds = lease_seconds
        self._renew_every = lease_seconds / 3
        self._last_renewal = 0.0
        self.concurrency = concurrency
        self._gate = asyncio.Semaphore(concurrency)
        self._provider_gates = {name: asyncio.Semaphore(n) for name, n in (provider_concurrency or {}).items()}
        self._retention = retention_seconds if sweep is not None else None
        # A short retention or photo keep (tests, strict deployments) is honoured by sweeping more often.
        shortest = min(
            [s for s in (retention_seconds, sweep.photo_keep_seconds if sweep else None) if s], default=None
        )
        self._sweep_every = SWEEP_EVERY_SECONDS if shortest is None else min(
            SWEEP_EVERY_SECONDS, max(MIN_SWEEP_SECONDS, shortest / 4)
        )
        self._clock = clock
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._last_sweep = 0.0
        self._store_trouble = Throttled(log)

    def wake(self) -> None:
        """Look at the store again now (a job was added or a callback arrived)."""
        self._wake.set()

    @property
    def busy(self) -> int:
        """How many jobs are being worked on."""
        return len(self._running)

    async def run(self) -> None:
        """Work until `stop()`: the serve loop. A store that fails (a full disk, a lost database)
        is tried again after a growing pause, logged once a minute; the loop itself never ends."""
        failures = 0
        while not self._stopping:
            try:
                timeout = await self._turn()
                failures = 0
            except Exception as exc:
                failures += 1
                timeout = backoff(failures, base=1.0, cap=IDLE_POLL_SECONDS)
                self._store_trouble.warning("the job runner could not reach the store (%s); trying again", exc)
                await self._maybe_renew()  # gives up held jobs whose leases cannot be renewed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()

    async def _turn(self) -> float:
        """Hand out due work; returns how long to sleep before the next turn."""
        await self._dispatch()
        await self._maybe_sweep()
        await self._maybe_renew()
        due = await self._queue.next_due()
        timeout = IDLE_POLL_SECONDS if due is None else max(0.05, min(IDLE_POLL_SECONDS, due - self._clock()))
        if self._running:  # leases of the jobs in hand run out unless renewed
            timeout = max(0.05, min(timeout, self._last_renewal + self._renew_every - self._clock()))
        if self._retention is not None:  # an idle runner still wakes for the next sweep
            timeout = max(0.05, min(timeout, self._last_sweep + self._sweep_every - self._clock()))
        return timeout

    async def run_until_idle(self, *, include_waiting: bool = False, poll: float = 0.05) -> None:
        """Work until no job has anything to do (tests and the CLI).

        With `include_waiting`, also keep going while a job waits for a provider's callback.
        """
        while True:
            await self._dispatch()
            if self._running:
                await asyncio.wait(
                    list(self._running.values()), timeout=self._renew_every, return_when=asyncio.FIRST_COMPLETED
                )
                await self._maybe_renew()
                continue
            # Asked before `next_due`: a callback landing in between then shows as a job due now,
            # never as a far deadline with nothing waiting any more.
            waiting = include_waiting and await self._queue.has_waiting()
            due = await self._queue.next_due()
            now = self._clock()
            if due is not None and due <= now:
                continue
            if waiting:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll if due is None else min(poll, due - now))
                continue
            if due is not None and due - now < 60:  # a retry coming up soon: wait for it
                await asyncio.sleep(min(poll, due - now))
                continue
            return

    async def stop(self) -> None:
        """Stop taking work and cancel what is in flight (it resumes at the next start)."""
        self._stopping = True
        self._wake.set()
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _dispatch(self) -> None:
        free = self.concurrency - len(self._running)
        if self._stopping or free <= 0:
            return
        jobs = await self._queue.claim(self.worker, self._clock(), free, self.lease_seconds)
        for job in jobs:
            if job.id in self._running:  # cannot happen while its lease holds; never run a job twice
                continue
            task = asyncio.create_task(self._work(job.id, job.provider, job.state), name=f"job-{job.short_id}")
            self._running[job.id] = task
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        for job_id, running in list(self._running.items()):
            if running is task:
                del self._running[job_id]
        self._wake.set()

    async def _work(self, job_id: str, provider: str, state: JobState) -> None:
        try:
            async with self._gate:
                gate = self._provider_gates.get(provider)
                if gate is not None and state in (JobState.QUEUED, JobState.GENERATING):
                    async with gate:
                        await self._engine.advance(job_id)
                else:
                    await self._engine.advance(job_id)
        except Exception as exc:  # the store failed under the engine; the job's lease brings it back
            self._store_trouble.warning("job %s: could not be worked on (%s)", job_id[:8], exc)
        finally:
            # A job held back in memory keeps its lease, which keeps it off the queue meanwhile.
            if not self._engine.is_held(job_id):
                try:
                    await self._queue.release(self.worker, job_id)
                except Exception as exc:  # the lease runs out by itself
                    self._store_trouble.warning("job %s: could not release its lease (%s)", job_id[:8], exc)

    async def _maybe_renew(self) -> None:
        if not self._running:
            self._last_renewal = self._clock()  # nothing held: nothing can have run out
            return
        if self._clock() - self._last_renewal < self._renew_every:
            return
        try:
            held = await self._queue.renew(self.worker, list(self._running), self.lease_seconds)
        except Exception as exc:
            self._store_trouble.warning("could not renew the leases of the jobs in hand (%s)", exc)
            if self._clock() - self._last_renewal >= self.lease_seconds * 0.8:
                # Our leases are running out: once the store is back, others may claim these jobs.
                self._give_up(list(self._running), "the store did not answer within the lease")
            return
        self._last_renewal = self._clock()
        self._give_up([job_id for job_id in self._running if job_id not in held], "another worker took it over")

    def _give_up(self, job_ids: list[str], why: str) -> None:
        for job_id in job_ids:
            task = self._running.get(job_id)
            if task is not None and not task.done():
                log.warning("job %s: stopping work on it here: %s", job_id[:8], why)
                task.cancel()

    async def _maybe_sweep(self) -> None:
        if self._retention is None or self._clock() - self._last_sweep < self._sweep_every:
            return
        self._last_sweep = self._clock()
        try:
            assert self._sweep is not None
            await self._sweep.sweep_expired(self._clock() - self._retention)
        except Exception:
            log.exception("retention sweep failed")

