"""60-image fan-in and fan-out: one Runflow callback to 60 images in a Slack thread.

A CDN fake answers every image after 100 ms; a Slack fake answers every call (Web API methods
and the raw upload POSTs alike) after 50 ms. The clock runs from the callback's POST to the job
being DELIVERED, through the real web route, job runner, downloader, blob store, delivery and
Slack surface. The critical path is what no implementation can avoid: one CDN latency, then for
each post in the thread one getUploadURLExternal, one upload and one completeUploadExternal. The
sequential baseline is every call the fakes actually received, one after another.

Each round is a pack of its own on a core of its own (fresh store, sessions and fakes); the row
gives the median of the rounds' ratios to their critical paths, and their range.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.common import Delay, make_settings
from benchmarks.table import Row
from bot.engine import callback_hash
from bot.jobs import Job, JobState
from bot.options import Options
from bot.wiring.app import build_adapters, build_core
from tests.fakes import gradient_jpeg
from tests.fakes.cdn import FakeCDN
from tests.servers import running
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import TOKEN, FakeSlack

IMAGES = 60
CDN_LATENCY_S = 0.1
SLACK_LATENCY_S = 0.05
CALLS_PER_POST = 3  # getUploadURLExternal -> upload -> completeUploadExternal
TARGET = 1.4
ROUNDS, QUICK_ROUNDS = 15, 5
DELIVERY_TIMEOUT_S = 50.0


async def _delivered(job_id: str, get: Callable[[str], Awaitable[Job | None]], timeout: float) -> JobState:
    """Poll the store until the job is finished: the runner gives no completion signal."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        job = await get(job_id)
        if job is not None and job.finished:
            return JobState(job.state)
        await asyncio.sleep(0.01)
    raise TimeoutError(f"the job was not delivered within {timeout:.0f} s")


@dataclass(frozen=True)
class Round:
    """One pack's figures."""

    elapsed: float
    delivered: bool
    files: int
    posts: int
    cdn_gets: int
    slack_calls: int

    @property
    def critical(self) -> float:
        """What no implementation can avoid for this many posts."""
        return CDN_LATENCY_S + self.posts * CALLS_PER_POST * SLACK_LATENCY_S

    @property
    def sequential(self) -> float:
        """Every call the fakes received, one after another."""
        return self.cdn_gets * CDN_LATENCY_S + self.slack_calls * SLACK_LATENCY_S

    @property
    def ratio(self) -> float:
        """Time to delivered over the critical path."""
        return self.elapsed / self.critical


async def _settled(fake: FakeSlack, updates: int, timeout: float = 2.0) -> None:
    """Wait for the status updates that follow the job's end, so that none is cut off at shutdown."""
    deadline = time.perf_counter() + timeout
    while len(fake.calls_to("chat.update")) < updates and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)


async def one_round() -> Round:
    """One pack of 60, end to end, on a core of its own."""
    cdn = FakeCDN()
    cdn_delay = Delay(CDN_LATENCY_S).install(cdn.app)
    fake = FakeSlack()
    app_slack = fake.app()
    slack_delay = Delay(SLACK_LATENCY_S, ("/api/", "/upload/")).install(app_slack)
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        async with cdn, running(app_slack) as slack_url:
            fake.url = slack_url
            urls = [cdn.put(f"pack/{n:02d}.jpg", gradient_jpeg(512, seed=n)) for n in range(IMAGES)]
            settings = make_settings(Path(tmp), slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                     slack_api_base_url=f"{slack_url}/api/")
            core = await build_core(settings)
            adapters = build_adapters(settings, core)
            status = fake.add_message("C0BENCH", {"text": "⏳ waiting for Runflow", "user": "U0BOT"})
            token, remote = secrets.token_urlsafe(32), str(uuid.uuid4())
            job = Job(
                id=uuid.uuid4().hex, owner="bench:1", surface="slack",
                thread={"channel": "C0BENCH", "thread_ts": status["ts"], "status_ts": status["ts"]},
                provider="runflow", options=Options(), photo_count=1, state=JobState.WAITING, remote_id=remote,
                callback_hash=callback_hash(token), deadline=time.time() + 3600,
            )
            await core.store.add(job)
            web_app = core.web_app([a.install_routes for a in adapters])
            runner = asyncio.create_task(core.runner.run(), name="bench-runner")
            try:
                async with running(web_app) as url, aiohttp.ClientSession() as http:
                    body = {"event": "headshots.completed", "headshots_id": remote, "image_urls": urls}
                    slack_delay.count = cdn_delay.count = 0
                    started = time.perf_counter()
                    async with http.post(f"{url}/webhooks/runflow/{token}", json=body) as response:
                        answer = await response.json()
                    state = await _delivered(job.id, core.store.get, DELIVERY_TIMEOUT_S)
                    elapsed = time.perf_counter() - started
                    await _settled(fake, 2)  # "delivering", then "delivered"
            finally:
                await core.runner.stop()
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
                for adapter in adapters:
                    await adapter.stop()
                await core.close()
    return Round(
        elapsed=elapsed,
        delivered=answer.get("status") == "accepted" and state is JobState.DELIVERED,
        files=sum(len(m.get("files", [])) for m in fake.thread("C0BENCH", status["ts"])),
        posts=len(fake.calls_to("files.completeUploadExternal")),
        cdn_gets=cdn_delay.count,
        slack_calls=slack_delay.count,
    )


async def run(quick: bool) -> list[Row]:
    """Several packs of 60, one after another (a round is latency-bound: quick runs only fewer)."""
    rounds = [await one_round() for _ in range(QUICK_ROUNDS if quick else ROUNDS)]
    ratios = [r.ratio for r in rounds]
    ratio = statistics.median(ratios)
    last = rounds[-1]
    ok = all(r.delivered for r in rounds) and ratio <= TARGET
    return [
        Row(
            "60-image fan-in/out",
            f"{statistics.median(r.elapsed for r in rounds):.2f} s to delivered, {last.files} files in "
            f"{last.posts} posts",
            f"critical path {last.critical:.2f} s; sequential {last.sequential:.2f} s",
            ratio,
            f"<= {TARGET}x critical path",
            ok,
            f"median of {len(rounds)} rounds, {min(ratios):.2f}-{max(ratios):.2f}x; {last.cdn_gets} CDN GETs, "
            f"{last.slack_calls} Slack calls; {statistics.median(r.elapsed / r.sequential for r in rounds):.2f}x "
            "sequential",
        )
    ]
