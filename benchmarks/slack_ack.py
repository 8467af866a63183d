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
Rounds alternate between the apps; each side's figure is its median over the rounds.

A third app is the real one with quotas set on every provider (per user per day and per workspace
per month, high enough that nothing is refused): its modal submissions read the quota windows
before acknowledging and hold the images afterwards, so its p99 is compared with the real app's.
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
from bot.ports import ChatAdapter
from bot.quotas import QuotaPolicy
from bot.wiring.app import Core, build_adapters, build_core
from bot.wiring.provider_table import provider_names
from bot.wiring.settings import Settings
from tests.servers import running
from tests.slack.conftest import SECRET, payload, signature
from tests.slack.fake_slack import TOKEN

REQUESTS = 200
RATIO_TARGET = 1.25
QUOTA_RATIO_TARGET = 1.1
# Every limit a request meets, none of which it reaches: the cost of checking, not of refusing.
QUOTAS = {f"QUOTA_{p}_PER_{scope}": "1000000" for p in ("AGENTAI", "RUNFLOW", "STUDIO")
          for scope in ("USER_PER_DAY", "WORKSPACE_PER_MONTH")}
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


def agreed_before(data_dirs: list[Path], tag: str, count: int) -> None:
    """The senders of a batch agreed to the consent question before (untimed): what is measured is a
    request of someone the bot may serve."""
    from tests.consent import agree_in_bulk

    for data_dir in data_dirs:
        agree_in_bulk(data_dir, (f"slack:T0TEAM:U{tag}{n:04d}" for n in range(count)))


async def real_app(settings: Settings, data_dir: Path) -> tuple[Core, list[ChatAdapter], web.Application]:
    """The project's whole app on its own data directory."""
    data_dir.mkdir()
    settings = settings.model_copy(update={"data_dir": data_dir})
    core = await build_core(settings)
    adapters = build_adapters(settings, core)
    return core, adapters, core.web_app([a.install_routes for a in adapters])


async def run(quick: bool) -> list[Row]:
    """Alternate rounds of 200 concurrent requests against the bare app, the real one, and it with quotas."""
    rounds = 1 if quick else 15
    sides = ("bare", "real", "quotas")
    p50: dict[str, list[float]] = {side: [] for side in sides}
    p99: dict[str, list[float]] = {side: [] for side in sides}
    worst = {side: 0.0 for side in sides}
    with tempfile.TemporaryDirectory(prefix="bench-slack-") as tmp, fake_slack_process() as (fake_url, photo):
        plain = make_settings(
            Path(tmp), slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_base_url=f"{fake_url}/api/"
        )
        limited = plain.model_copy(update={"quotas": QuotaPolicy.from_variables(QUOTAS, provider_names())})
        real_core, real_adapters, real = await real_app(plain, Path(tmp) / "real")
        quota_core, quota_adapters, quota = await real_app(limited, Path(tmp) / "quotas")
        work = {"real": real_adapters, "quotas": quota_adapters}
        seeded = [Path(tmp) / "real", Path(tmp) / "quotas"]
        try:
            async with (
                running(bare_app(f"{fake_url}/api/")) as bare_url, running(real) as real_url,
                running(quota) as quota_url,
            ):
                urls = {"bare": bare_url, "real": real_url, "quotas": quota_url}
                with pool() as executor:
                    for side, url in urls.items():  # warm-up: auth.test, imports, first-use paths
                        warm = shots(url, fake_url, photo, f"W{side[0]}", 4)
                        agreed_before(seeded, f"W{side[0]}", 4)
                        _check((await fire(executor, warm, 4, ROUND_TIMEOUT_S)).hits)
                        await settle(work.get(side, []))
                    for n in range(rounds):
                        order = sides[n % 3:] + sides[:n % 3]  # each side goes first in turn
                        for side in order:
                            batch = shots(urls[side], fake_url, photo, f"{side[0]}{n}", REQUESTS)
                            agreed_before(seeded, f"{side[0]}{n}", REQUESTS)
                            hits = await fire(executor, batch, REQUESTS, ROUND_TIMEOUT_S, f"{urls[side]}/healthz")
                            times = _check(hits.hits)
                            p50[side].append(percentile(times, 50))
                            p99[side].append(percentile(times, 99))
                            worst[side] = max(worst[side], max(times))
                            await settle(work.get(side, []))
        finally:
            for adapter in real_adapters + quota_adapters:
                await adapter.stop()
            await real_core.close()
            await quota_core.close()
    med99 = {side: statistics.median(p99[side]) for side in sides}
    med50 = {side: statistics.median(p50[side]) for side in sides}
    ratio = med99["real"] / med99["bare"]
    # Within each round the two real apps run back to back: the ratio of a round is less disturbed
    # by the machine's other load than the ratio of two medians taken minutes apart.
    per_round = sorted(q / r for q, r in zip(p99["quotas"], p99["real"], strict=True))
    quota_ratio = statistics.median(per_round)
    note = f"{REQUESTS} concurrent x {rounds} round(s), median of rounds"
    return [
        Row(
            "slack ack",
            f"p99 {ms(med99['real'])} (p50 {ms(med50['real'])}, max {ms(worst['real'])})",
            f"bare p99 {ms(med99['bare'])} (p50 {ms(med50['bare'])})",
            ratio,
            f"<= {RATIO_TARGET}x bare, max < {HARD_LIMIT_S:.0f} s",
            ratio <= RATIO_TARGET and worst["real"] < HARD_LIMIT_S,
            note,
        ),
        Row(
            "slack ack, quotas set",
            f"p99 {ms(med99['quotas'])} (p50 {ms(med50['quotas'])}, max {ms(worst['quotas'])})",
            f"no quotas p99 {ms(med99['real'])} (p50 {ms(med50['real'])})",
            quota_ratio,
            f"<= {QUOTA_RATIO_TARGET}x no quotas",
            quota_ratio <= QUOTA_RATIO_TARGET and worst["quotas"] < HARD_LIMIT_S,
            f"{note}; 6 limits, none reached; median of per-round ratios "
            f"(range {per_round[0]:.2f}-{per_round[-1]:.2f})",
        ),
    ]
