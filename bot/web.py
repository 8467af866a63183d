"""The one aiohttp server: health, provider callbacks, and whatever routes adapters add."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.engine import JobEngine
from bot.runner import JobRunner

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 256 * 1024
# A connection that sends nothing, never finishes its headers, or idles between requests is closed
# after IDLE_SECONDS (longer than a load balancer's usual 60 s idle, so it closes first); a body must
# arrive within BODY_SECONDS.
IDLE_SECONDS = 75.0
BODY_SECONDS = 15.0
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")

RouteInstaller = Callable[[web.Application], None]


class RunflowCallback(BaseModel):
    """Runflow's completion callback body."""

    model_config = ConfigDict(extra="ignore")

    event: str
    headshots_id: str = Field(min_length=1, max_length=200)
    image_urls: list[str] = Field(min_length=1, max_length=500)


def web_runner(app: web.Application) -> web.AppRunner:
    """The runner every server of ours uses: no access log, and timeouts slow clients cannot outlast."""
    return web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=IDLE_SECONDS)


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
    engine: JobEngine, runner: JobRunner | None, installers: Sequence[RouteInstaller] = ()
) -> web.Application:
    """The application: `/healthz`, `/webhooks/runflow/{token}`, plus the adapters' routes."""
    app = web.Application(client_max_size=MAX_CALLBACK_BYTES)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            ok = await engine.store.ping()
        except Exception:
            ok = False
        body = {"status": "ok" if ok else "unavailable", "jobs_in_flight": runner.busy if runner else 0}
        return web.json_response(body, status=200 if ok else 503)

    def refuse(status: int, body: dict[str, str]) -> web.Response:
        engine.metrics.callback("refused")
        return web.json_response(body, status=status)

    async def runflow_callback(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not _TOKEN.match(token):
            return refuse(404, {"error": "not found"})
        try:
            body = await read_body(request, MAX_CALLBACK_BYTES)
        except web.HTTPRequestEntityTooLarge:
            return refuse(413, {"error": "body too large"})
        except web.HTTPRequestTimeout:
            return refuse(408, {"error": "body too slow"})
        try:
            callback = RunflowCallback.model_validate_json(body)
        except ValidationError:
            return refuse(400, {"error": "invalid callback body"})
        if callback.event != "headshots.completed":
            return refuse(200, {"status": "ignored"})
        if not all(url.startswith(("https://", "http://")) and len(url) <= 4096 for url in callback.image_urls):
            return refuse(400, {"error": "invalid image URL"})
        changed = await engine.accept_callback(token, callback.headshots_id, callback.image_urls)
        if changed is None:
            return refuse(404, {"error": "not found"})
        if changed and runner is not None:
            runner.wake()
        outcome = "accepted" if changed else "duplicate"
        engine.metrics.callback(outcome)
        return web.json_response({"status": outcome})

    app.router.add_get("/healthz", healthz)
    app.router.add_post("/webhooks/runflow/{token}", runflow_callback)
    for install in installers:
        install(app)
    return app
