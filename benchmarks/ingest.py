"""Runflow callback ingest: callbacks per second and p99 to the 200, on a real SQLite file.

Jobs are created first in WAITING with their callback hashes, as after a submission. A child
process then posts each job's completion callback (60 image URLs) to the real web app, 64 at a
time, and the same number of posts to a bare aiohttp handler that reads the body and answers 200.
The two alternate, round after round (bare first, then the real app first), and each figure is
the median of the per-round ratios (rate against the limit, p99 against the same round's bare
p99), with their range, so that a neighbour's load on the machine falls on both sides alike.
The job runner is not started: this measures the route and the store, not the downloads that
follow. Nothing may be lost: every callback must be answered "accepted", and every job must be
in FETCHING with its 60 result rows afterwards.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from benchmarks.common import LOOPBACK, make_settings, ms, percentile
from benchmarks.load import Hit, Shot, fire, pool
from benchmarks.table import Row
from bot.engine import callback_hash
from bot.jobs import Job, JobState
from bot.options import Options
from bot.ports import JobRecords
from bot.wiring.app import build_core
from bot.wiring.settings import Settings
from tests.servers import running

CONCURRENCY = 64
IMAGES = 60
RATE_TARGET = 1200.0
P99_TARGET = 2.0
BATCH_TIMEOUT_S = 30.0
# rounds, callbacks per round (and as many to the bare handler)
FULL = (15, 300)
QUICK = (5, 200)


def bare_app() -> web.Application:
    """The floor: a handler that reads the body and answers 200."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"status": "accepted"})

    app = web.Application()
    app.router.add_post("/webhooks/runflow/{token}", accept)
    app.router.add_get("/healthz", accept)
    return app


async def waiting_jobs(store: JobRecords, count: int) -> list[tuple[str, str]]:
    """`count` Runflow jobs waiting for their callbacks; returns (token, headshots_id) pairs."""
    made = []
    for n in range(count):
        token, remote = secrets.token_urlsafe(32), str(uuid.uuid4())
        job = Job(
            id=uuid.uuid4().hex, owner=f"bench:{n}", surface="slack", thread={"channel": "C0", "thread_ts": "1.0"},
            provider="runflow", options=Options(), photo_count=1, state=JobState.WAITING, remote_id=remote,
            callback_hash=callback_hash(token), deadline=time.time() + 6 * 3600,
        )
        await store.add(job)
        made.append((token, remote))
    return made


def callback_shots(base: str, jobs: list[tuple[str, str]]) -> list[Shot]:
    """One completion callback per job, as Runflow sends it."""
    made = []
    for token, remote in jobs:
        urls = [f"http://{LOOPBACK}:9/headshots/{remote}/{i:02d}.jpg?X-Amz-Signature={'0' * 64}" for i in range(IMAGES)]
        body = {"event": "headshots.completed", "headshots_id": remote, "image_urls": urls}
        made.append(Shot(f"{base}/webhooks/runflow/{token}", json.dumps(body).encode(),
                         {"Content-Type": "application/json"}))
    return made


def _accepted(hits: list[Hit]) -> int:
    return sum(1 for h in hits if h.status == 200 and '"accepted"' in h.text)


@dataclass
class Rounds:
    """What alternating rounds measured: each round's rate and p99 beside the bare handler's."""

    rates: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    bare_p99s: list[float] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    @property
    def rate_ratios(self) -> list[float]:
        """Each round's rate against the limit."""
        return [rate / RATE_TARGET for rate in self.rates]

    @property
    def p99_ratios(self) -> list[float]:
        """Each round's p99 against the same round's bare p99."""
        return [real / bare for real, bare in zip(self.p99s, self.bare_p99s, strict=True)]

    def lost(self, fetching: int, rows: int) -> int:
        """Callbacks not answered "accepted", or whose job is not in FETCHING with all its rows."""
        return len(self.hits) - min(_accepted(self.hits), fetching, rows // IMAGES)


async def alternate(
    executor: ProcessPoolExecutor, real_url: str, bare_url: str, jobs: list[tuple[str, str]], rounds: int
) -> Rounds:
    """`rounds` rounds, each one part of `jobs` to the real app and the same callbacks to the bare
    handler, which goes first in even rounds and second in odd ones."""
    measured = Rounds()
    size = len(jobs) // rounds
    for n in range(rounds):
        part = jobs[n * size : (n + 1) * size]
        order = [bare_url, real_url] if n % 2 == 0 else [real_url, bare_url]
        for url in order:
            batch = await fire(executor, callback_shots(url, part), CONCURRENCY, BATCH_TIMEOUT_S, f"{url}/healthz")
            p99 = percentile([h.seconds for h in batch.hits], 99)
            if url == bare_url:
                measured.bare_p99s.append(p99)
            else:
                measured.rates.append(len(batch.hits) / batch.seconds)
                measured.p99s.append(p99)
                measured.hits += batch.hits
    return measured


def _spread(ratios: list[float]) -> str:
    return f"{min(ratios):.2f}-{max(ratios):.2f}x"


def ingest_rows(prefix: str, measured: Rounds, lost: int, where: str) -> list[Row]:
    """The rate and p99 rows: medians of the per-round ratios, their ranges in the notes."""
    sent = len(measured.hits)
    rate = statistics.median(measured.rates)
    rate_ratio = statistics.median(measured.rate_ratios)
    p99_ratio = statistics.median(measured.p99_ratios)
    rounds = len(measured.rates)
    return [
        Row(f"{prefix}callback ingest rate", f"{rate:,.0f} callbacks/s, {lost} lost of {sent}",
            f"limit {RATE_TARGET:,.0f}/s", rate_ratio, ">= 1.00x, 0 lost", rate_ratio >= 1.0 and lost == 0,
            f"median of {rounds} rounds, range {_spread(measured.rate_ratios)}; "
            f"{CONCURRENCY} in flight, {IMAGES} URLs each, {where}"),
        Row(f"{prefix}callback ingest p99", f"p99 {ms(statistics.median(measured.p99s))}",
            f"bare p99 {ms(statistics.median(measured.bare_p99s))}", p99_ratio, f"<= {P99_TARGET:.0f}x bare",
            p99_ratio <= P99_TARGET,
            f"median of {rounds} per-round ratios, range {_spread(measured.p99_ratios)}; bare and real alternating"),
    ]


async def measure(settings: Settings, rounds: int, size: int) -> Rounds:
    """The real app on `settings`' store against the bare handler, `rounds` alternating rounds of `size`."""
    core = await build_core(settings)
    try:
        jobs = await waiting_jobs(core.store, rounds * size)
        async with running(core.web_app()) as real_url, running(bare_app()) as bare_url:
            with pool() as executor:
                return await alternate(executor, real_url, bare_url, jobs, rounds)
    finally:
        await core.close()


async def run(quick: bool) -> list[Row]:
    """Alternating rounds against the bare handler and the real app on SQLite."""
    rounds, size = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = make_settings(Path(tmp), runflow_api_key="bench-key", public_base_url=f"http://{LOOPBACK}:9")
        measured = await measure(settings, rounds, size)
        with sqlite3.connect(Path(tmp) / "headshot-bot.db") as db:
            fetching = db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'fetching'").fetchone()[0]
            rows = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    return ingest_rows("", measured, measured.lost(fetching, rows), "real SQLite")
