"""Runflow callback ingest: callbacks per second and p99 to the 200, on a real SQLite file.

Jobs are created first in WAITING with their callback hashes, as after a submission. A child
process then posts each job's completion callback (60 image URLs) to the real web app, 64 at a
time, and the same number of posts to a bare aiohttp handler that reads the body and answers 200.
The job runner is not started: this measures the route and the store, not the downloads that
follow. Nothing may be lost: every callback must be answered "accepted", and every job must be
in FETCHING with its 60 result rows afterwards.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import tempfile
import time
import uuid
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
from tests.servers import running

CONCURRENCY = 64
IMAGES = 60
RATE_TARGET = 1000.0
P99_TARGET = 2.0
BATCH_TIMEOUT_S = 30.0


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


async def run(quick: bool) -> list[Row]:
    """Interleaved batches against the bare handler and the real app; throughput from the real ones."""
    count, batches = (600, 1) if quick else (3000, 3)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = make_settings(Path(tmp), runflow_api_key="bench-key", public_base_url=f"http://{LOOPBACK}:9")
        core = await build_core(settings)
        jobs = await waiting_jobs(core.store, count)
        real_hits: list[Hit] = []
        bare_hits: list[Hit] = []
        real_seconds = 0.0
        try:
            app = core.web_app()
            async with running(app) as real_url, running(bare_app()) as bare_url:
                size = count // batches
                with pool() as executor:
                    for n in range(batches):
                        part = jobs[n * size : (n + 1) * size]
                        bare = await fire(executor, callback_shots(bare_url, part), CONCURRENCY,
                                          BATCH_TIMEOUT_S, f"{bare_url}/healthz")
                        real = await fire(executor, callback_shots(real_url, part), CONCURRENCY,
                                          BATCH_TIMEOUT_S, f"{real_url}/healthz")
                        bare_hits += bare.hits
                        real_hits += real.hits
                        real_seconds += real.seconds
        finally:
            await core.close()
        with sqlite3.connect(Path(tmp) / "headshot-bot.db") as db:
            fetching = db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'fetching'").fetchone()[0]
            rows = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    sent = len(real_hits)
    lost = sent - min(_accepted(real_hits), fetching, rows // IMAGES)
    rate = sent / real_seconds
    real99 = percentile([h.seconds for h in real_hits], 99)
    bare99 = percentile([h.seconds for h in bare_hits], 99)
    return [
        Row("callback ingest rate", f"{rate:,.0f} callbacks/s, {lost} lost of {sent}", f"limit {RATE_TARGET:,.0f}/s",
            rate / RATE_TARGET, ">= 1.00x, 0 lost", rate >= RATE_TARGET and lost == 0,
            f"{CONCURRENCY} in flight, {IMAGES} URLs each, real SQLite"),
        Row("callback ingest p99", f"p99 {ms(real99)}", f"bare p99 {ms(bare99)}", real99 / bare99,
            f"<= {P99_TARGET:.0f}x bare", real99 / bare99 <= P99_TARGET, f"{batches} interleaved batch(es)"),
    ]
