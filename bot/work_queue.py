"""The bounded queue between an answer and the work that follows it.

A platform's listeners answer a request, then hand what follows to `spawn` as a function of the
context it should run against. Alone, the queue runs it on the current loop against its own context.
Handed to a counterpart built on a `WorkerLoop` (`hand_to`), it runs there, against the counterpart's
context, so that the loop answering requests does nothing else. Either way at most `capacity` pieces of
work wait or run at once: past that, `has_room` is False and the listener answers with a sentence
instead of taking the request on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from bot.i18n import phrase
from bot.worker_loop import WorkerLoop

log = logging.getLogger(__name__)

C = TypeVar("C")
Work = Callable[[C], Coroutine[Any, Any, None]]

DEFAULT_CAPACITY = 500
# What a request is answered with while the queue is full; it was not taken on, so nothing of it is kept.
BUSY = phrase("Many requests are arriving at once and I can't take yours on right now; please try again in a minute.")


class WorkQueue(Generic[C]):
    """Work started after an answer: here, or on a worker loop's counterpart; bounded in number."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._context: C | None = None
        self._there: tuple[WorkQueue[C], WorkerLoop] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._count = 0  # waiting or running, here or there
        self._counting = threading.Lock()
        self._idle: asyncio.Event | None = None
        self._idle_loop: asyncio.AbstractEventLoop | None = None

    def bind(self, context: C) -> None:
        """The context work runs against when it runs here."""
        self._context = context

    def hand_to(self, other: WorkQueue[C], worker: WorkerLoop) -> None:
        """From now on run every piece of work on `worker`'s loop, against `other`'s context."""
        self._there = (other, worker)

    def has_room(self) -> bool:
        """Whether another piece of work may be taken on now."""
        return self._count < self.capacity

    def spawn(self, work: Work[C], name: str) -> None:
        """Run `work(context)` after the answer; its failure is logged, never lost silently.

        Listeners ask `has_room` before they take a request on; work spawned anyway (it was taken on
        just before) still runs: the bound holds to within the requests answered at the same moment.
        """
        with self._counting:
            self._count += 1
        if self._there is None:
            self._run_here(work, name, self._one_done)
            return
        other, worker = self._there
        done = self._done_threadsafe(asyncio.get_running_loop())
        worker.soon(lambda: other._run_here(work, name, done))

    def _run_here(self, work: Work[C], name: str, done: Callable[[], None]) -> None:
        if self._context is None:
            raise RuntimeError("the work queue has no context bound")
        task = asyncio.create_task(work(self._context), name=name)
        self._tasks.add(task)

        def finished(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            done()
            if not task.cancelled() and task.exception() is not None:
                log.error("%s failed", task.get_name(), exc_info=task.exception())

        task.add_done_callback(finished)

    def _done_threadsafe(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        def done() -> None:
            try:
                loop.call_soon_threadsafe(self._one_done)
            except RuntimeError:  # the answering loop is closed: nobody waits any more
                pass

        return done

    def _one_done(self) -> None:
        with self._counting:
            self._count -= 1
            idle = self._count == 0
        if idle and self._idle is not None:
            self._idle.set()

    async def drain(self) -> None:
        """Wait until no work is left, here or there (work may start more work)."""
        while self._count:
            self._idle = asyncio.Event()
            if self._count:
                await self._idle.wait()
        self._idle = None

    async def cancel(self, grace: float = 10.0) -> None:
        """At shutdown: let work running here finish for `grace` seconds, then stop it (work handed
        to a worker loop is stopped with that loop's counterpart)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
