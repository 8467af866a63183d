"""Peak memory of a real `headshot-bot serve` while 20 Runflow packs of 60 x 1.5 MB images are delivered at once.

The jobs are written into the store (WAITING, with callback hashes) before `serve` starts, with
JOB_CONCURRENCY raised to the job count so every pack really is in flight at the same time.
The CDN fake serves one 1.5 MB JPEG under every name; the Slack fake reads uploads and throws
the bytes away (it would otherwise hold gigabytes itself). The figure is VmHWM, the kernel's
record of the process's peak resident set, read from /proc/<pid>/status.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from benchmarks.common import LOOPBACK, free_port, proc_status_kb, serve_env, start_serve, stop_serve, wait_healthy
from benchmarks.table import Row
from bot.engine import callback_hash
from bot.jobs import Job, JobState
from bot.options import Options
from storage.sqlite import SqliteJobStore
from tests.fakes.cdn import FakeCDN
from tests.images import noise_image
from tests.servers import running
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import TOKEN, FakeSlack

IMAGES = 60
LIMIT_MB = 200.0
_CHUNK = 256 * 1024


class DiscardingSlack(FakeSlack):
    """The Slack fake, but uploads are counted and dropped instead of kept in memory."""

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        size = 0
        while chunk := await request.content.read(_CHUNK):
            size += len(chunk)
        if file_id not in self._pending or size != self._pending[file_id]["length"]:
            return web.Response(status=400, text="bad upload")
        self.blobs[file_id] = b""
        return web.Response(text=f"OK - {size}")


async def _prepare(db_path: Path, fake: FakeSlack, count: int) -> list[tuple[str, str]]:
    """Write `count` waiting Runflow jobs into the store `serve` will open; returns (token, id) pairs."""
    store = await SqliteJobStore.open(db_path)
    made = []
    try:
        for n in range(count):
            status = fake.add_message("C0MEM", {"text": "⏳ waiting for Runflow", "user": "U0BOT"})
            token, remote = secrets.token_urlsafe(32), str(uuid.uuid4())
            await store.add(Job(
                id=uuid.uuid4().hex, owner=f"bench:{n}", surface="slack",
                thread={"channel": "C0MEM", "thread_ts": status["ts"], "status_ts": status["ts"]},
                provider="runflow", options=Options(), photo_count=1, state=JobState.WAITING, remote_id=remote,
                callback_hash=callback_hash(token), deadline=time.time() + 3600,
            ))
            made.append((token, remote))
    finally:
        await store.close()
    return made


def _finished(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
    return rows.get("delivered", 0), rows.get("failed", 0)


async def run(quick: bool) -> list[Row]:
    """Start `serve`, send every callback at once, sample RSS until every pack is delivered."""
    count, timeout = (5, 30.0) if quick else (20, 100.0)
    image = noise_image(1800, 1400)  # about 1.5 MB of incompressible JPEG
    cdn, fake = FakeCDN(), DiscardingSlack()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        data = Path(tmp)
        async with cdn, running(fake.app()) as slack_url:
            fake.url = slack_url
            for n in range(IMAGES):
                cdn.files[f"pack/{n:02d}.jpg"] = image  # one bytes object under every name
            urls = [f"{cdn.url}/pack/{n:02d}.jpg" for n in range(IMAGES)]
            jobs = await _prepare(data / "headshot-bot.db", fake, count)
            port = free_port()
            env = serve_env(data, port, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                            SLACK_API_BASE_URL=f"{slack_url}/api/", RUNFLOW_API_KEY="bench-key",
                            JOB_CONCURRENCY=str(count))
            process = start_serve(data, env, data / "serve.log")
            base = f"http://{LOOPBACK}:{port}"
            try:
                await wait_healthy(base, process, 20.0)
                idle_kb = proc_status_kb(process.pid, "VmHWM")
                async with aiohttp.ClientSession() as http:

                    async def callback(token: str, remote: str) -> int:
                        body = {"event": "headshots.completed", "headshots_id": remote, "image_urls": urls}
                        async with http.post(f"{base}/webhooks/runflow/{token}", json=body) as response:
                            return response.status

                    statuses = await asyncio.gather(*(callback(t, r) for t, r in jobs))
                started = time.perf_counter()
                delivered = failed = 0
                while delivered + failed < count and time.perf_counter() - started < timeout:
                    await asyncio.sleep(0.2)
                    delivered, failed = _finished(data / "headshot-bot.db")
                elapsed = time.perf_counter() - started
                peak_kb = proc_status_kb(process.pid, "VmHWM")
            finally:
                stop_serve(process)
    peak_mb, idle_mb = peak_kb / 1024, idle_kb / 1024
    files = len(fake.blobs)
    ok = peak_mb <= LIMIT_MB and delivered == count and all(s == 200 for s in statuses)
    return [
        Row(
            "serve peak memory",
            f"VmHWM {peak_mb:.0f} MB ({delivered}/{count} packs delivered in {elapsed:.1f} s)",
            f"limit {LIMIT_MB:.0f} MB; idle {idle_mb:.0f} MB",
            peak_mb / LIMIT_MB,
            f"<= {LIMIT_MB:.0f} MB",
            ok,
            f"{count} x {IMAGES} x {len(image) / 1e6:.1f} MB, {files} files uploaded, JOB_CONCURRENCY={count}",
        )
    ]
