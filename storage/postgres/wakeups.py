"""Waking every replica's runner when another one accepts a job or a callback (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from storage.postgres.dedicated import ERRORS, Dedicated

log = logging.getLogger(__name__)

RETRY_S = 2.0
# Every replica LISTENs here; a commit that makes work due for anyone NOTIFYs it.
WAKE_CHANNEL = "headshot_jobs"


class PostgresWakeups:
    """Listens on a dedicated connection; the store's commits NOTIFY (see `storage.postgres.jobs`)."""

    def __init__(self, url: str, *, check_s: float = 5.0) -> None:
        self._link = Dedicated(url, check_s=check_s)

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` for every notification until cancelled, reconnecting whenever the link drops.

        Also calls it after each (re)connection: what was notified meanwhile reached nobody here.
        """
        try:
            while True:
                try:
                    conn = await self._link.open()
                    await conn.add_listener(WAKE_CHANNEL, lambda *_args: wake())
                except ERRORS as exc:
                    log.debug("wake-ups: cannot listen yet: %s", exc)
                    await self._link.close()
                    await asyncio.sleep(RETRY_S)
                    continue
                wake()
                await self._link.watch()
                log.warning("wake-ups: lost the database connection; runners poll until it is back")
        finally:
            await self._link.close()
