"""A second event loop in a thread of its own, for the work that follows each answer.

The loop that accepts requests only verifies, de-duplicates and answers them; what follows (forms,
photo downloads, status messages, job records) and the job runner run here, on objects built on this
loop (a core of their own, with their own connections), so that no burst of that work can hold an
answer back. Work is handed over by value: the front never shares a connection with this loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkerLoop:
    """An asyncio loop running in a daemon thread until `stop`."""

    def __init__(self, name: str = "worker-loop") -> None:
        self._name = name
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop (after `start`)."""
        if self._loop is None:
            raise RuntimeError("the worker loop is not started")
        return self._loop

    def start(self, new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop) -> None:
        """Start the thread and wait until its loop runs."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(new_loop,), name=self._name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self, new_loop: Callable[[], asyncio.AbstractEventLoop]) -> None:
        loop = new_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `work` on the worker loop; callable from any thread."""
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the worker loop and wait for it from the calling loop."""
        return await asyncio.wrap_future(self.submit(work))

    def soon(self, callback: Callable[[], object]) -> None:
        """Call `callback` on the worker loop as soon as it can (from any thread)."""
        self.loop.call_soon_threadsafe(callback)

    def waker(self, wake: Callable[[], object]) -> Callable[[], None]:
        """A function any thread may call to run `wake` on the worker loop."""

        def wake_there() -> None:
            self.soon(wake)

        return wake_there

    async def stop(self, cleanup: Callable[[], Coroutine[Any, Any, None]] | None = None) -> None:
        """Run `cleanup` on the worker loop, then stop it and wait for its thread."""
        if self._thread is None or self._loop is None:
            return
        if cleanup is not None:
            try:
                await self.call(cleanup())
            except Exception:
                log.exception("stopping the worker loop's work failed")
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._thread = None
        self._loop = None


class JobsOnWorker:
    """A runner on the worker loop as the answering loop sees it (`bot.runner.RunningJobs`)."""

    def __init__(self, worker: WorkerLoop, wake: Callable[[], object], busy: Callable[[], int]) -> None:
        self._worker = worker
        self._wake = wake
        self._busy = busy

    def wake(self) -> None:
        """Wake the runner, on its own loop."""
        self._worker.soon(self._wake)

    @property
    def busy(self) -> int:
        """How many jobs it is working on (read across threads: a moment's figure)."""
        return self._busy()
