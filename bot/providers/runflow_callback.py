"""Runflow's way back: the callback URL it is given, and the route that receives its completion."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import StoreUnavailable
from bot.ports import CallbackReceiver
from bot.providers.runflow import RunflowProvider
from bot.web import read_body

log = logging.getLogger(__name__)

CALLBACK_ROUTE = "/webhooks/runflow/{token}"
MAX_CALLBACK_BYTES = 256 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
# A job asks for one pack and its quota counts one pack: more URLs than that are not fetched.
PACK_SIZE = RunflowProvider.capabilities.max_outputs


class RunflowCallback(BaseModel):
    """Runflow's completion callback body."""

    model_config = ConfigDict(extra="ignore")

    event: str
    headshots_id: str = Field(min_length=1, max_length=200)
    image_urls: list[str] = Field(min_length=1, max_length=500)


def callback_url(base: str, token: str) -> str:
    """The URL a job's callback secret is sent to Runflow as, under the bot's public address."""
    return f"{base.rstrip('/')}{CALLBACK_ROUTE.format(token=token)}"


def install_callback_route(app: web.Application, inbox: CallbackReceiver) -> None:
    """`POST /webhooks/runflow/{token}`: read and check a completion, then hand it to `inbox`."""

    def refuse(status: int, body: dict[str, str]) -> web.Response:
        inbox.refused()
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
        sent = len(callback.image_urls)
        try:
            changed = await inbox.receive(token, callback.headshots_id, callback.image_urls[:PACK_SIZE])
        except StoreUnavailable:
            log.warning("a callback arrived while the store is away; Runflow will send it again")
            return refuse(503, {"error": "temporarily unavailable"})
        if changed is None:
            return web.json_response({"error": "not found"}, status=404)
        if changed and sent > PACK_SIZE:  # told once, for a known job; the URLs themselves are secrets
            log.warning("a callback brought %d images for a pack of %d; %d left out", sent, PACK_SIZE, sent - PACK_SIZE)
        return web.json_response({"status": "accepted" if changed else "duplicate"})

    app.router.add_post(CALLBACK_ROUTE, runflow_callback)
