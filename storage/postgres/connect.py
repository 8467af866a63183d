"""Opening PostgreSQL: one clear sentence for every way it can fail at start-up."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.errors import StoreUnavailable, UserError

CONNECT_TIMEOUT_S = 10.0
# A query that takes this long means the server is gone or wedged; callers then retry later.
COMMAND_TIMEOUT_S = 30.0
# Without these a peer that vanished without closing its socket would keep its server connection (and
# its advisory locks) until the kernel gives up on it, which takes hours.
KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}


class DatabaseUnavailable(UserError):
    """The database cannot be used; the message says why in one sentence, without the password."""


def describe(url: str) -> str:
    """The database a URL names, for people: `PostgreSQL database "db" on host:5432 as user`."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or parts.username or "postgres"
    return f'PostgreSQL database "{name}" on {parts.hostname or "localhost"}:{parts.port or 5432} as {parts.username}'


def explain(exc: BaseException, url: str) -> str:
    """What went wrong when connecting, as one sentence."""
    where = describe(url)
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{where}: the database does not exist (create it first, e.g. createdb)."
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"{where}: the server refused the user name or password."
    if isinstance(exc, socket.gaierror):
        return f"{where}: the host name does not resolve."
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"{where}: no answer within {CONNECT_TIMEOUT_S:g} seconds."
    if isinstance(exc, OSError):
        reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        return f"{where}: cannot connect ({reason.lower()})."
    if isinstance(exc, asyncpg.PostgresError):
        return f"{where}: {exc}"
    return f"{where}: {type(exc).__name__}."


def _kwargs() -> dict[str, Any]:
    return {"timeout": CONNECT_TIMEOUT_S, "command_timeout": COMMAND_TIMEOUT_S, "server_settings": KEEPALIVE}


async def open_pool(url: str, *, max_size: int = 10) -> GuardedPool:
    """A connection pool, checked by connecting once; `DatabaseUnavailable` if it cannot be."""
    try:
        # No floor: asyncpg would keep reconnecting (and logging) to restore it while the server is away.
        pool = await asyncpg.create_pool(url, min_size=0, max_size=max_size, **_kwargs())
        assert pool is not None
        try:
            await pool.fetchval("SELECT 1")
        except BaseException:
            pool.terminate()
            raise
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(explain(exc, url)) from exc
    return GuardedPool(pool)


async def connect(url: str) -> asyncpg.Connection:
    """A connection of its own (for LISTEN and session locks, which a pool would reset)."""
    try:
        return await asyncpg.connect(url, **_kwargs())
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(explain(exc, url)) from exc


# What a server that went away (or never answered) looks like; errors of our own SQL are not among them.
LOST = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


class GuardedPool:
    """The asyncpg pool, reporting a lost or unreachable server as `StoreUnavailable` (a sentence for users)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.raw = pool

    async def execute(self, query: str, *args: Any) -> Any:
        """`Pool.execute`."""
        try:
            return await self.raw.execute(query, *args)
        except LOST as exc:
            raise StoreUnavailable from exc

    async def fetch(self, query: str, *args: Any) -> Any:
        """`Pool.fetch`."""
        try:
            return await self.raw.fetch(query, *args)
        except LOST as exc:
            raise StoreUnavailable from exc

    async def fetchrow(self, query: str, *args: Any) -> Any:
        """`Pool.fetchrow`."""
        try:
            return await self.raw.fetchrow(query, *args)
        except LOST as exc:
            raise StoreUnavailable from exc

    async def fetchval(self, query: str, *args: Any) -> Any:
        """`Pool.fetchval`."""
        try:
            return await self.raw.fetchval(query, *args)
        except LOST as exc:
            raise StoreUnavailable from exc

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        """`Pool.acquire`: a connection for several statements (a transaction)."""
        try:
            async with self.raw.acquire() as conn:
                yield conn
        except LOST as exc:
            raise StoreUnavailable from exc

    async def close(self) -> None:
        """Close every connection, or drop them if the server does not answer in time."""
        try:
            await asyncio.wait_for(self.raw.close(), 5)
        except (TimeoutError, *LOST):
            self.raw.terminate()
