"""`GET /metrics`: the Prometheus text format, behind an optional bearer token.

The job counts by state come from the store when scraped, at most once per `ttl` seconds,
and a scrape never waits for them longer than `timeout`: a slow database costs the scrape
those samples, not its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.metrics import Metrics
from bot.ports import JobCensus

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
CENSUS_TTL_S = 5.0
CENSUS_TIMEOUT_S = 2.0


class CachedCensus:
    """The store's job counts by state, cached for `ttl` seconds; one query at a time."""

    def __init__(
        self,
        store: JobCensus,
        *,
        ttl: float = CENSUS_TTL_S,
        timeout: float = CENSUS_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._timeout = timeout
        self._clock = clock
        self._counts: dict[str, int] | None = None
        self._read_at = float("-inf")
        self._reading: asyncio.Task[dict[str, int] | None] | None = None

    async def counts(self) -> dict[str, int] | None:
        """Fresh counts, or None when the store did not answer within the timeout."""
        if self._counts is not None and self._clock() - self._read_at < self._ttl:
            return self._counts
        if self._reading is None or self._reading.done():
            # A slow query keeps running after a scrape gives up on it; the next scrape waits for it
            # instead of queueing another one behind it.
            self._reading = asyncio.create_task(self._read(), name="metrics-census")
        try:
            return await asyncio.wait_for(asyncio.shield(self._reading), self._timeout)
        except TimeoutError:
            log.warning("the job store did not count jobs within %.1fs; this scrape goes without them", self._timeout)
            return None

    async def _read(self) -> dict[str, int] | None:
        try:
            counts = await self._store.count_by_state()
        except Exception as exc:
            log.warning("the job store could not count jobs: %s", exc)
            return None
        self._counts, self._read_at = counts, self._clock()
        return counts

    async def close(self) -> None:
        """Cancel a count still in flight."""
        if self._reading is not None and not self._reading.done():
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading


def authorized(request: web.Request, token: str | None) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (always, without a token)."""
    if token is None:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    matches = hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token.encode())
    return scheme.lower() == "bearer" and matches  # the scheme's name is case-insensitive (RFC 9110)


def metrics_route(
    metrics: Metrics,
    store: JobCensus,
    token: str | None,
    *,
    ttl: float = CENSUS_TTL_S,
    timeout: float = CENSUS_TIMEOUT_S,
) -> Callable[[web.Application], None]:
    """A route installer for `GET /metrics` (see `bot.web.create_web_app`)."""
    census = CachedCensus(store, ttl=ttl, timeout=timeout)
    export = make_aiohttp_handler(metrics.registry)

    async def scrape(request: web.Request) -> web.StreamResponse:
        if not authorized(request, token):
            return web.Response(
                status=401, text="a bearer token is required\n", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
            )
        metrics.states.counts = await census.counts()
        return await export(request)

    async def stop_census(_app: web.Application) -> None:
        await census.close()

    def install(app: web.Application) -> None:
        app.router.add_get(METRICS_PATH, scrape)
        app.on_cleanup.append(stop_census)

    return install
