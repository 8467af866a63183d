"""A singleton lease on PostgreSQL: a session advisory lock held on a dedicated connection.

The server releases the lock the moment the session ends (the holder died, or its connection
did), so a standby takes over at its next try; and the holder treats any doubt about its
connection as having lost the lock, so that two processes never both believe they hold it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from storage.postgres.dedicated import ERRORS, Dedicated

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a lease name."""
    return int.from_bytes(hashlib.sha256(f"headshot-bot:{name}".encode()).digest()[:8], "big", signed=True)


class AdvisoryLease:
    """`bot.ports.SingletonLease` on PostgreSQL."""

    def __init__(self, url: str, name: str, *, retry_s: float = 1.0, check_s: float = 2.0) -> None:
        self.name = name
        self._key = lock_key(name)
        self._retry_s = retry_s
        self._link = Dedicated(url, check_s=check_s)

    async def acquire(self) -> None:
        """Wait until this process holds the lease (trying every `retry_s` on one standing connection)."""
        while True:
            try:
                conn = self._link.conn if self._link.conn is not None else await self._link.open()
                if await asyncio.wait_for(conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key), 5):
                    log.info("holding the %s lease", self.name)
                    return
            except ERRORS as exc:
                log.debug("%s lease: cannot try now: %s", self.name, exc)
                await self._link.close()
            await asyncio.sleep(self._retry_s)

    async def lost(self) -> None:
        """Return as soon as the lease is lost (its connection closed or stopped answering)."""
        await self._link.watch()
        log.warning("lost the %s lease", self.name)

    async def release(self) -> None:
        """Give the lease up (closing the connection ends the session, and the lock with it)."""
        await self._link.close()
