"""The bounded queue between an answer and the work that follows it.

A platform's listeners answer a request, then hand what follows to `spawn` as a function of the
context it should run against. Alone, the queue runs it on the current loop against its own context.
Handed to a counterpart built on a `WorkerLoop` (`hand_to`), it runs there, against the counterpart's
context, so that the loop answering requests does nothing else; and there a piece of work starts only
once no request is being answered (or after `ANSWERS_FIRST_MAX_S`, so that work a platform allows only a
few seconds for still starts in time), because both loops share one interpreter lock. Either way at most `capacity`
pieces of work wait or run at once: past that, `has_room` is False and the listener answers with a
sentence instead of taking the request on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from bot.i18n import phrase
from bot.worker_loop import WorkerLoop

log = logging.getLogger(__name__)

C = TypeVar("C")
Work = Callable[[C], Coroutine[Any, Any, None]]

DEFAULT_CAPACITY = 500
ANSWERS_FIRST_MAX_S = 1.0
ANSWERS_FIRST_POLL_S = 0.005
# What a request is answered with while the queue is full; it was not taken on, so nothing of it is kept.
BUSY = phrase("Many requests are arriving at once and I can't take yours on right now; please try again in a minute.")


class Answering:
    """How many requests the answering loop is in the middle of (read from the worker loop's thread)."""

    def __init__(self) -> None:
        self._count = 0
        self._counting = threading.Lock()
        self._watch: asyncio.Future[None] | None = None

    @contextmanager
    def one(self) -> Iterator[None]:
        """Around the answer to one request."""
        with self._counting:
            self._count += 1
        try:
            yield
        finally:
            with self._counting:
                self._count -= 1

    @property
    def busy(self) -> bool:
        """Whether any request is being answered now."""
        return self._count > 0

    async def quiet(self, at_most: float = ANSWERS_FIRST_MAX_S) -> None:
        """Wait until no request is being answered, or at most `at_most` seconds (on one loop: the worker's).

        Whoever waits meanwhile waits on the same look-out, so a burst of work costs one poll, not one each.
        """
        if not self._count:
            return
        if self._watch is None or self._watch.done():
            self._watch = asyncio.ensure_future(self._until_quiet(at_most))
        await asyncio.shield(self._watch)

    async def _until_quiet(self, at_most: float) -> None:
        until = time.monotonic() + at_most
        # The count changes on the answering loop's thread: polling it costs that thread nothing.
        while self._count and time.monotonic() < until:  # noqa: ASYNC110
            await asyncio.sleep(ANSWERS_FIRST_POLL_S)


class WorkQueue(Generic[C]):
    """Work started after an answer: here, or on a worker loop's counterpart; bounded in number."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.answering = Answering()  # the listeners' answers, which work handed off lets go first
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
        worker.soon(lambda: other._run_here(work, name, done, after=self.answering))

    def _run_here(self, work: Work[C], name: str, done: Callable[[], None], after: Answering | None = None) -> None:
        context = self._context
        if context is None:
            raise RuntimeError("the work queue has no context bound")

        async def run() -> None:
            if after is not None:
                await after.quiet()
            await work(context)

        task = asyncio.create_task(run(), name=name)
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
