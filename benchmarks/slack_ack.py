"""Slack acknowledgement latency: the project's Bolt app on the real web app against a bare Bolt app.

Both apps run in this process on loopback, against the same fake Slack Web API (in a process of
its own, so its work is not charged to either app), while another child process sends 200
concurrent signed requests (half `/headshot` slash commands, half request-modal submissions from
distinct users, so none is refused for having too many jobs). The real app does everything it
does after an ack (views.open, photo downloads, status messages, recording the jobs), and that
work is left to finish between rounds so no round inherits another's. The job runner is not
started: rendering hundreds of studio jobs would load the CPU for minutes and disturb whichever
app is measured next (rendering has its own benchmark).
Keep-alive connections are opened before each timed round: a burst of 200 fresh TCP handshakes
overflows aiohttp's default listen backlog (128) and measures the kernel's 1 s SYN retry instead.
Rounds alternate between the two apps; each side's figure is its median over the rounds.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.common import make_settings, ms, percentile
from benchmarks.load import Hit, Shot, fire, pool
from benchmarks.slack_process import fake_slack_process
from benchmarks.table import Row
from bot.app import build_adapters, build_core
from bot.chat import ChatAdapter
from tests.servers import running
from tests.slack.conftest import SECRET, payload, signature
from tests.slack.fake_slack import TOKEN

REQUESTS = 200
RATIO_TARGET = 1.25
HARD_LIMIT_S = 3.0
ROUND_TIMEOUT_S = 30.0


def bare_app(api_url: str) -> web.Application:
    """aiohttp + Bolt that only acknowledges the same command and modal: the floor to compare with."""
    bolt = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=api_url), signing_secret=SECRET)

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/headshot")(just_ack)
    bolt.view("headshot_request")(just_ack)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


def _signed(url: str, form: dict[str, str]) -> Shot:
    body = urllib.parse.urlencode(form)
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SECRET, stamp, body),
    }
    return Shot(f"{url}/slack/events", body.encode(), headers)


def shots(url: str, fake_url: str, photo: dict[str, Any], tag: str, count: int) -> list[Shot]:
    """`count` signed requests, alternating slash command and modal submission, each from its own user."""
    made = []
    for n in range(count):
        user = f"U{tag}{n:04d}"
        if n % 2 == 0:
            form = payload("slash_command") | {"user_id": user, "response_url": f"{fake_url}/response/{n}"}
            made.append(_signed(url, form))
            continue
        body = payload("view_submission")
        body["user"]["id"] = user
        body["view"]["state"]["values"]["photos"]["photos"]["files"] = [photo]
        made.append(_signed(url, {"payload": json.dumps(body)}))
    return made


async def settle(adapters: list[ChatAdapter], timeout: float = 30.0) -> None:
    """Wait (bounded) for the work the app started after its acks."""
    for adapter in adapters:
        idle = getattr(adapter, "idle", None)
        if idle is not None:
            await asyncio.wait_for(idle(), timeout)


def _check(hits: list[Hit]) -> list[float]:
    bad = [h for h in hits if h.status != 200 or "error" in h.text]
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(hits)} requests were not acknowledged cleanly: {bad[0]}")
    return [h.seconds for h in hits]


async def run(quick: bool) -> list[Row]:
    """Alternate rounds of 200 concurrent requests against the bare and the real app."""
    rounds = 1 if quick else 5
    p50: dict[str, list[float]] = {"bare": [], "real": []}
    p99: dict[str, list[float]] = {"bare": [], "real": []}
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-slack-") as tmp, fake_slack_process() as (fake_url, photo):
        settings = make_settings(
            Path(tmp), slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_base_url=f"{fake_url}/api/"
        )
        core = await build_core(settings, data_dir=Path(tmp))
        adapters = build_adapters(settings, core)
        real = core.web_app([a.install_routes for a in adapters])
        try:
            async with running(bare_app(f"{fake_url}/api/")) as bare_url, running(real) as real_url:
                urls = {"bare": bare_url, "real": real_url}
                with pool() as executor:
                    for side, url in urls.items():  # warm-up: auth.test, imports, first-use paths
                        warm = shots(url, fake_url, photo, f"W{side[0]}", 4)
                        _check((await fire(executor, warm, 4, ROUND_TIMEOUT_S)).hits)
                    for n in range(rounds):
                        order = ["bare", "real"] if n % 2 == 0 else ["real", "bare"]
                        for side in order:
                            batch = shots(urls[side], fake_url, photo, f"{side[0]}{n}", REQUESTS)
                            hits = await fire(executor, batch, REQUESTS, ROUND_TIMEOUT_S, f"{urls[side]}/healthz")
                            times = _check(hits.hits)
                            p50[side].append(percentile(times, 50))
                            p99[side].append(percentile(times, 99))
                            if side == "real":
                                worst = max(worst, max(times))
                                await settle(adapters)
        finally:
            for adapter in adapters:
                await adapter.stop()
            await core.close()
    real99, bare99 = statistics.median(p99["real"]), statistics.median(p99["bare"])
    ratio = real99 / bare99
    return [
        Row(
            "slack ack",
            f"p99 {ms(real99)} (p50 {ms(statistics.median(p50['real']))}, max {ms(worst)})",
            f"bare p99 {ms(bare99)} (p50 {ms(statistics.median(p50['bare']))})",
            ratio,
            f"<= {RATIO_TARGET}x bare, max < {HARD_LIMIT_S:.0f} s",
            ratio <= RATIO_TARGET and worst < HARD_LIMIT_S,
            f"{REQUESTS} concurrent x {rounds} round(s), median of rounds",
        )
    ]
