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
Rounds alternate between the apps; each side's figure is its median over the rounds, and each ratio
the median of the per-round ratios. The real app runs twice: as `serve` runs it (answering on one
loop, the work behind the answers and its own core on a worker loop) and on one loop, as it was.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks import common
from benchmarks.common import make_settings, ms, percentile
from benchmarks.load import Hit, Shot, fire, pool
from benchmarks.slack_process import fake_slack_process
from benchmarks.table import Row
from bot.ports import ChatAdapter
from bot.quotas import QuotaPolicy
from bot.wiring.app import Core, build_adapters, build_core
from bot.wiring.behind import Behind, answering
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


@dataclass
class RealApp:
    """The project's whole app on its own data directory: on one loop, or answering on one and working
    behind on a worker loop, as `serve` runs it."""

    core: Core
    adapters: list[ChatAdapter]
    web: web.Application
    behind: Behind | None = None

    @classmethod
    async def open(cls, settings: Settings, data_dir: Path, *, two_loops: bool) -> RealApp:
        data_dir.mkdir()
        settings = settings.model_copy(update={"data_dir": data_dir})
        if not two_loops:
            core = await build_core(settings)
            adapters = build_adapters(settings, core)
            return cls(core, adapters, core.web_app([a.install_routes for a in adapters]))
        behind = await Behind.open(settings, common.LOOPS)
        core, adapters = await answering(settings, behind)
        return cls(core, adapters, core.web_app([a.install_routes for a in adapters]), behind)

    async def close(self) -> None:
        for adapter in self.adapters:
            await adapter.stop()
        await self.core.close()
        if self.behind is not None:
            await self.behind.close()


async def run(quick: bool) -> list[Row]:
    """Alternate rounds of 200 concurrent requests against the bare app, the real one on one loop (as it
    was), on two loops (as `serve` runs it), and on two loops with quotas."""
    rounds = 1 if quick else 15
    sides = ("bare", "one loop", "real", "quotas")
    p50: dict[str, list[float]] = {side: [] for side in sides}
    p99: dict[str, list[float]] = {side: [] for side in sides}
    worst = {side: 0.0 for side in sides}
    with tempfile.TemporaryDirectory(prefix="bench-slack-") as tmp, fake_slack_process() as (fake_url, photo):
        plain = make_settings(
            Path(tmp), slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_base_url=f"{fake_url}/api/"
        )
        limited = plain.model_copy(update={"quotas": QuotaPolicy.from_variables(QUOTAS, provider_names())})
        apps = {
            "one loop": await RealApp.open(plain, Path(tmp) / "one", two_loops=False),
            "real": await RealApp.open(plain, Path(tmp) / "real", two_loops=True),
            "quotas": await RealApp.open(limited, Path(tmp) / "quotas", two_loops=True),
        }
        seeded = [Path(tmp) / "one", Path(tmp) / "real", Path(tmp) / "quotas"]
        try:
            async with (
                running(bare_app(f"{fake_url}/api/")) as bare_url, running(apps["one loop"].web) as one_url,
                running(apps["real"].web) as real_url, running(apps["quotas"].web) as quota_url,
            ):
                urls = {"bare": bare_url, "one loop": one_url, "real": real_url, "quotas": quota_url}
                with pool() as executor:
                    for n, (side, url) in enumerate(urls.items()):  # warm-up: auth.test, imports, first-use paths
                        tag = f"W{n}"
                        warm = shots(url, fake_url, photo, tag, 4)
                        agreed_before(seeded, tag, 4)
                        _check((await fire(executor, warm, 4, ROUND_TIMEOUT_S)).hits)
                        await settle(apps[side].adapters if side in apps else [])
                    for n in range(rounds):
                        order = sides[n % 4:] + sides[:n % 4]  # each side goes first in turn
                        for side in order:
                            tag = f"{sides.index(side)}{n}"
                            batch = shots(urls[side], fake_url, photo, tag, REQUESTS)
                            agreed_before(seeded, tag, REQUESTS)
                            hits = await fire(executor, batch, REQUESTS, ROUND_TIMEOUT_S, f"{urls[side]}/healthz")
                            times = _check(hits.hits)
                            p50[side].append(percentile(times, 50))
                            p99[side].append(percentile(times, 99))
                            worst[side] = max(worst[side], max(times))
                            await settle(apps[side].adapters if side in apps else [])
        finally:
            for app in apps.values():
                await app.close()
    return _rows(rounds, p50, p99, worst)


def _ratios(p99: dict[str, list[float]], side: str, base: str) -> list[float]:
    return sorted(a / b for a, b in zip(p99[side], p99[base], strict=True))


def _range(ratios: list[float]) -> str:
    return f"median of per-round ratios, range {ratios[0]:.2f}-{ratios[-1]:.2f}"


def _rows(
    rounds: int, p50: dict[str, list[float]], p99: dict[str, list[float]], worst: dict[str, float]
) -> list[Row]:
    med99 = {side: statistics.median(values) for side, values in p99.items()}
    med50 = {side: statistics.median(values) for side, values in p50.items()}

    def measured(side: str) -> str:
        return f"p99 {ms(med99[side])} (p50 {ms(med50[side])}, max {ms(worst[side])})"

    note = f"{REQUESTS} concurrent x {rounds} round(s)"
    # Within each round the sides run back to back: the ratio of a round is less disturbed by the
    # machine's other load than the ratio of two medians taken minutes apart.
    real, before = _ratios(p99, "real", "bare"), _ratios(p99, "one loop", "bare")
    quotas = _ratios(p99, "quotas", "real")
    ratio, before_ratio, quota_ratio = (statistics.median(r) for r in (real, before, quotas))
    return [
        Row(
            "slack ack",
            measured("real"),
            f"bare p99 {ms(med99['bare'])} (p50 {ms(med50['bare'])})",
            ratio,
            f"<= {RATIO_TARGET}x bare, max < {HARD_LIMIT_S:.0f} s",
            ratio <= RATIO_TARGET and worst["real"] < HARD_LIMIT_S,
            f"{note}; work behind the answers on a worker loop; {_range(real)}",
        ),
        Row(
            "slack ack, one loop",
            measured("one loop"),
            f"bare p99 {ms(med99['bare'])}",
            before_ratio,
            f"<= {RATIO_TARGET}x bare (before)",
            before_ratio <= RATIO_TARGET and worst["one loop"] < HARD_LIMIT_S,
            f"{note}; the work after each answer on the answering loop, as before; {_range(before)}",
        ),
        Row(
            "slack ack, quotas set",
            measured("quotas"),
            f"no quotas p99 {ms(med99['real'])}",
            quota_ratio,
            f"<= {QUOTA_RATIO_TARGET}x no quotas",
            quota_ratio <= QUOTA_RATIO_TARGET and worst["quotas"] < HARD_LIMIT_S,
            f"{note}; 6 limits, none reached; {_range(quotas)}",
        ),
    ]
