"""A connection of our own (not the pool's), and knowing at once when it is gone.

LISTEN and session advisory locks live on one connection; the pool would reset both. Losing
that connection means missing notifications or losing the lock, so its loss must be noticed
quickly: the socket closing is seen at once, and a short query every few seconds catches a
server that vanished without closing it.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from storage.postgres.connect import DatabaseUnavailable, connect

ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, DatabaseUnavailable)


class Dedicated:
    """One connection, opened on demand, with `watch()` returning when it is lost."""

    def __init__(self, url: str, *, check_s: float) -> None:
        self._url = url
        self._check_s = check_s
        self.conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()

    async def open(self) -> asyncpg.Connection:
        """Connect (raising `DatabaseUnavailable` or a connection error when the server is not there)."""
        await self.close()
        self._lost = asyncio.Event()
        conn = await connect(self._url)
        conn.add_termination_listener(lambda _conn: self._lost.set())
        self.conn = conn
        return conn

    async def watch(self) -> None:
        """Return once the connection is closed or stops answering within `check_s`; it is then closed."""
        conn = self.conn
        while conn is not None and not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._check_s)
                break
            try:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), self._check_s)
            except ERRORS:
                break
        await self.close()

    async def close(self) -> None:
        """Close the connection now (without waiting on a server that may not answer)."""
        conn, self.conn = self.conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()
