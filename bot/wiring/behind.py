"""What `serve` runs behind its answers: a core of its own on a worker loop, with the chat platforms'
adapters built on it, the job runner, the campaigns' sends and the watch for requests cut short.

The answering loop keeps its own core (the web server, the store reads and writes an answer needs,
the gateway); everything that follows an answer is handed over by value and runs here, on this
core's own connections. The two cores share the metrics, so `/metrics` counts both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.interrupted import InterruptedIntakes
from bot.metrics import Metrics
from bot.ports import ChatAdapter
from bot.singleton import while_leased
from bot.wiring.app import Core, build_adapters, build_core
from bot.wiring.settings import Settings
from bot.worker_loop import JobsOnWorker, WorkerLoop

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0


@dataclass
class Behind:
    """The worker loop, its core and adapters, and the background work running there."""

    worker: WorkerLoop
    core: Core
    adapters: list[ChatAdapter]
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings, new_loop: Callable[[], asyncio.AbstractEventLoop] | None = None) -> Behind:
        """Start the worker loop and build its core and adapters there."""
        worker = WorkerLoop()
        worker.start(new_loop or asyncio.new_event_loop)
        try:
            core, adapters = await worker.call(_build(settings))
        except BaseException:
            await worker.stop()
            raise
        return cls(worker, core, adapters)

    @property
    def metrics(self) -> Metrics:
        """The metrics the answering core shares."""
        return self.core.metrics

    def jobs(self) -> JobsOnWorker:
        """The runner as the answering core sees it."""
        runner = self.core.runner
        return JobsOnWorker(self.worker, runner.wake, lambda: runner.busy)

    def hand_over(self, front: list[ChatAdapter]) -> None:
        """Make each answering adapter hand its work to its twin here."""
        for answering, behind in zip(front, self.adapters, strict=True):
            answering.hand_off(behind, self.worker)

    async def run(self, alone_since: float | None) -> None:
        """Start the runner, the campaigns' sends, the wake-ups and the watch for requests cut short."""
        await self.worker.call(self._start(alone_since))

    async def _start(self, alone_since: float | None) -> None:
        core = self.core
        spawn = self._background.append
        spawn(asyncio.create_task(core.runner.run(), name="job-runner"))
        # One process at a time sends campaigns' messages, so that their pacing holds.
        worker = core.campaign_worker
        campaigns = while_leased(core.storage.lease("campaigns"), "campaigns", worker.start, worker.stop)
        spawn(asyncio.create_task(campaigns, name="campaigns"))
        if core.storage.wakeups is not None:
            spawn(asyncio.create_task(core.storage.wakeups.listen(core.runner.wake), name="wake-ups"))
        platforms = {a.surface.name: a for a in self.adapters}
        cut_short = InterruptedIntakes(core.store, core.store, core.surfaces, platforms)
        spawn(asyncio.create_task(cut_short.watch(alone_since), name="interrupted-intakes"))

    async def close(self) -> None:
        """Let the work in hand finish (for a while), stop the background work, close, stop the loop."""
        await self.worker.stop(self._close)

    async def _close(self) -> None:
        for adapter in self.adapters:
            idle = getattr(adapter, "idle", None)  # the platforms that queue work after their answers
            if idle is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(idle(), SHUTDOWN_GRACE_S)
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for adapter in self.adapters:
            with contextlib.suppress(Exception):
                await adapter.stop()
        await self.core.close()


async def answering(settings: Settings, behind: Behind) -> tuple[Core, list[ChatAdapter]]:
    """The answering core and its adapters, each handing its work to its twin behind."""
    core = await build_core(settings, metrics=behind.metrics, jobs_elsewhere=behind.jobs())
    adapters = build_adapters(settings, core)
    behind.hand_over(adapters)
    return core, adapters


async def _build(settings: Settings) -> tuple[Core, list[ChatAdapter]]:
    core = await build_core(settings)
    try:
        adapters = build_adapters(settings, core)
        for adapter in adapters:
            await adapter.start_work()
    except BaseException:
        await core.close()
        raise
    return core, adapters
