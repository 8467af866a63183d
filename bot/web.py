"""The one aiohttp server: health, provider callbacks, and whatever routes adapters add."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.engine import JobEngine
from bot.runner import JobRunner

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 256 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")

RouteInstaller = Callable[[web.Application], None]


class RunflowCallback(BaseModel):
    """Runflow's completion callback body."""

    model_config = ConfigDict(extra="ignore")

    event: str
    headshots_id: str = Field(min_length=1, max_length=200)
    image_urls: list[str] = Field(min_length=1, max_length=500)


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
        if request.content_length is not None and request.content_length > MAX_CALLBACK_BYTES:
            return refuse(413, {"error": "body too large"})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return refuse(413, {"error": "body too large"})
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
