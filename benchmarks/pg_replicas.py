"""200 studio jobs on one PostgreSQL database, with one `serve` replica and then with three.

Each round gets a fresh database and its own fake Slack (in this process). The replicas start
first and wait; then the jobs are recorded as an accepting replica records them (photo, then
row, each insert waking every replica). The clock runs from the first insert to the last job
DELIVERED. Every thread must hold its one headshot exactly once. On this 2-core machine the
figure is contention (claims, studio renders, posts) rather than parallel speed-up: three
replicas must be no slower than one.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from benchmarks.common import free_port, serve_env, start_serve, stop_serve, wait_healthy
from benchmarks.table import Row
from bot.blob_keys import photo_key
from bot.jobs import Job
from bot.options import Options
from bot.photos import read_photo
from tests import pg
from tests.images import astronaut_jpeg
from tests.servers import running
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import TOKEN, FakeSlack

CHANNEL = "C0BENCH"
ROUND_TIMEOUT_S = 240.0


async def _round(cluster: pg.Cluster, replicas: int, count: int, root: Path) -> tuple[float, int, int]:
    """Seconds to deliver `count` jobs with `replicas` replicas; and how many were lost and duplicated."""
    from storage.postgres.blobs import PostgresBlobStore
    from storage.postgres.store import PostgresStore

    url = await cluster.fresh_database()
    fake = FakeSlack()
    photo = read_photo(astronaut_jpeg()).data
    async with running(fake.app()) as slack_url:
        fake.url = slack_url
        procs = []
        try:
            for n in range(replicas):
                data_dir = root / f"{replicas}-{n}"
                data_dir.mkdir(parents=True)
                port = free_port()
                env = serve_env(data_dir, port, DATABASE_URL=url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                                SLACK_API_BASE_URL=f"{slack_url}/api/", DEFAULT_PROVIDER="studio")
                procs.append((start_serve(data_dir, env, data_dir / "serve.log"), port))
            for proc, port in procs:
                await wait_healthy(f"http://127.0.0.1:{port}", proc, 30)
            store = await PostgresStore.open(url)
            blobs = PostgresBlobStore(store.pool, root / "tmp")
            try:
                jobs = []
                for _ in range(count):
                    status = fake.add_message(CHANNEL, {"text": "⏳ starting", "user": "U0BOT"})
                    job = Job(id=uuid.uuid4().hex, owner=f"bench:{uuid.uuid4().hex[:6]}", surface="slack",
                              thread={"channel": CHANNEL, "thread_ts": status["ts"], "status_ts": status["ts"]},
                              provider="studio", options=Options(count=1), photo_count=1)
                    await blobs.put(photo_key(job.id, 0), photo)
                    jobs.append((job, status["ts"]))
                started = time.perf_counter()
                for job, _ts in jobs:
                    await store.add(job)
                deadline = started + ROUND_TIMEOUT_S
                while await store.pool.fetchval("SELECT count(*) FROM jobs WHERE state = 'delivered'") < count:
                    if time.perf_counter() > deadline or any(proc.poll() is not None for proc, _ in procs):
                        break
                    await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
            finally:
                await store.close()
        finally:
            for proc, _port in procs:
                stop_serve(proc)
    files = [Counter(f["name"] for m in fake.thread(CHANNEL, ts)[1:] for f in m.get("files", [])) for _, ts in jobs]
    lost = sum(1 for names in files if not names)
    duplicated = sum(1 for names in files if sum(names.values()) > 1)
    return elapsed, lost, duplicated


async def run(quick: bool) -> list[Row]:
    """One round with one replica, one with three, in the same run."""
    reason = pg.missing()
    if reason is not None:
        return [Row("studio jobs, 3 replicas vs 1", "-", "-", None, "-", None, reason)]
    count = 40 if quick else 200
    cluster = pg.Cluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-replicas-") as tmp:
            one, lost1, twice1 = await _round(cluster, 1, count, Path(tmp))
            three, lost3, twice3 = await _round(cluster, 3, count, Path(tmp))
    finally:
        cluster.stop()
    clean = lost1 == lost3 == twice1 == twice3 == 0
    return [
        Row("studio jobs, 3 replicas vs 1", f"{count} in {three:.1f} s with 3 ({count / three:.1f}/s); "
            f"lost {lost3}, twice {twice3}", f"{one:.1f} s with 1 ({count / one:.1f}/s); lost {lost1}, twice {twice1}",
            three / one, "<= 1.00x, 0 lost, 0 twice", clean and three <= one,
            "1024 px, one image each; one PostgreSQL; 2 cores"),
    ]
