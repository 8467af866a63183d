"""The one aiohttp server: health, plus the routes that providers and chat adapters add."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiohttp import web

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

RouteInstaller = Callable[[web.Application], None]


def web_runner(app: web.Application) -> web.AppRunner:
    """The runner every server of ours uses: no access log, timeouts slow clients cannot outlast, and
    a shutdown that waits for no client longer than a few seconds."""
    return web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=IDLE_SECONDS,
        shutdown_timeout=SHUTDOWN_SECONDS, lingering_time=LINGER_SECONDS,
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
