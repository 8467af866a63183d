"""Work that only one process of a deployment may do at a time, under a `SingletonLease`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.ports import SingletonLease

log = logging.getLogger(__name__)

RETRY_AFTER_FAILED_START_S = 5.0


class ProcessLease:
    """The lease when the store serves one process (SQLite): held at once, never lost."""

    async def acquire(self) -> None:
        """Held already."""

    async def lost(self) -> None:
        """Never returns: nobody else can take it."""
        await asyncio.Event().wait()

    async def release(self) -> None:
        """Nothing to give back."""


async def while_leased(
    lease: SingletonLease, name: str, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
) -> None:
    """Run `start()` whenever this process gains the lease and `stop()` the moment it loses it, until cancelled.

    `stop()` runs before anything else can happen after a loss, so whatever `start()` opened is
    never kept by a process that may no longer hold the lease.
    """
    try:
        while True:
            await lease.acquire()
            try:
                await start()
            except Exception as exc:
                log.error("%s did not start: %s", name, exc)
                await _stop(stop, name)
                await lease.release()  # let another process try
                await asyncio.sleep(RETRY_AFTER_FAILED_START_S)
                continue
            try:
                await lease.lost()
                log.warning("%s: another process may take over now; stopping here", name)
            finally:
                await _stop(stop, name)
    finally:
        with contextlib.suppress(Exception):
            await lease.release()


async def _stop(stop: Callable[[], Awaitable[None]], name: str) -> None:
    try:
        await stop()
    except Exception:
        log.warning("%s did not stop cleanly", name, exc_info=True)
