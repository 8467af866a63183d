"""The one aiohttp server: health, plus the routes that providers and chat adapters add."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.ports import Connection

# Large enough for every body a route accepts (a provider's callback is the largest).
MAX_REQUEST_BYTES = 256 * 1024
# A connection that sends nothing, never finishes its headers, or idles between requests is closed
# after IDLE_SECONDS (longer than a load balancer's usual 60 s idle, so it closes first); a body must
# arrive within BODY_SECONDS.
IDLE_SECONDS = 75.0
BODY_SECONDS = 15.0
# At shutdown a request in flight gets SHUTDOWN_SECONDS to finish before it is cancelled, and the
# unread rest of a body is drained for LINGER_SECONDS at most after its answer. aiohttp's own
# defaults (60 s and 10 s) outlast the pause a platform leaves between SIGTERM and SIGKILL.
SHUTDOWN_SECONDS = 2.0
LINGER_SECONDS = 1.0

# Malformed requests (anyone on the internet can send them) are counted, and a count logged at most this often.
BAD_REQUEST_LOG_SECONDS = 60.0

RouteInstaller = Callable[[web.Application], None]

log = logging.getLogger(__name__)


class BadRequestCount(logging.LoggerAdapter[logging.Logger]):
    """The web server's logger, through which a malformed request costs a count instead of a traceback.

    aiohttp answers a request it cannot parse with 400 and logs the parser's error, which quotes the
    offending line (a cookie, a header: whatever a stranger typed) under a traceback, once per request.
    Here such a record becomes a count, logged at most once per `interval` and without the request's
    content; every other record (a route that failed, with its traceback) passes unchanged.
    """

    def __init__(self, logger: logging.Logger, interval: float) -> None:
        super().__init__(logger)
        self._interval = interval
        self._counted = 0
        self._next: asyncio.TimerHandle | None = None

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Pass the record on, unless it is about a request aiohttp could not parse."""
        if not isinstance(kwargs.get("exc_info"), HttpProcessingError):
            super().log(level, msg, *args, **kwargs)
            return
        self._counted += 1
        if self._next is None:
            self._report()

    def _report(self) -> None:
        self._next = None
        if self.flush():
            self._next = asyncio.get_running_loop().call_later(self._interval, self._report)

    def flush(self) -> int:
        """Log the count not yet logged (if any); returns it."""
        counted, self._counted = self._counted, 0
        if counted:
            self.logger.warning(
                "answered %d malformed HTTP request(s) with 400 (what they held is not logged)", counted
            )
        return counted

    def close(self) -> None:
        """Log what is counted and stop the timer: the server is going away."""
        if self._next is not None:
            self._next.cancel()
            self._next = None
        self.flush()


class _Runner(web.AppRunner):
    """An `AppRunner` whose count of malformed requests is logged when it stops."""

    def __init__(self, app: web.Application, requests: BadRequestCount, **kwargs: Any) -> None:
        super().__init__(app, logger=requests, **kwargs)
        self._requests = requests

    async def cleanup(self) -> None:
        await super().cleanup()
        self._requests.close()


def web_runner(app: web.Application) -> web.AppRunner:
    """The runner every server of ours uses: no access log, timeouts slow clients cannot outlast, and
    malformed requests counted rather than logged one by one, and a shutdown that waits for no client
    longer than a few seconds."""
    requests = BadRequestCount(log, BAD_REQUEST_LOG_SECONDS)
    return _Runner(
        app,
        requests,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=IDLE_SECONDS,
        shutdown_timeout=SHUTDOWN_SECONDS,
        lingering_time=LINGER_SECONDS,
    )


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """A request's body, at most `max_bytes`, arriving within BODY_SECONDS; else 413 or 408."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_SECONDS):
            async for chunk in request.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=len(body))
    except TimeoutError:
        raise web.HTTPRequestTimeout(text="the request body did not arrive in time") from None
    return bytes(body)


def create_web_app(
    store: Connection,
    jobs_in_flight: Callable[[], int],
    installers: Sequence[RouteInstaller] = (),
    platforms: Mapping[str, Callable[[], Awaitable[str]]] | None = None,
) -> web.Application:
    """The application: `/healthz` and whatever routes the installers add.

    `/healthz` says `ok` only when the store and every chat platform are; a platform that is down
    makes it `degraded` (still 200: the bot delivers and serves its routes); a store that does not
    answer makes it `unavailable` (503).
    """
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            ok = await store.ping()
        except Exception:
            ok = False
        states = {}
        for name, health in (platforms or {}).items():
            try:
                states[name] = await health()
            except Exception:
                states[name] = "unknown"
        # "standby": another replica holds the platform's one connection, and this one stands ready.
        healthy = all(state in ("ok", "standby") for state in states.values())
        status = "unavailable" if not ok else "ok" if healthy else "degraded"
        body = {
            "status": status,
            "store": "ok" if ok else "unavailable",
            "platforms": states,
            "jobs_in_flight": jobs_in_flight(),
        }
        return web.json_response(body, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    for install in installers:
        install(app)
    return app
