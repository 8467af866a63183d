"""Runflow callback ingest on PostgreSQL beside SQLite: callbacks per second, and p99 against SQLite's.

The same route and the same callbacks (60 image URLs each, 64 in flight) hit two apps in
interleaved batches: one on a SQLite file, one on a throwaway PostgreSQL 15 cluster on
loopback. Nothing may be lost: every callback answered "accepted", every job in FETCHING with
its 60 result rows afterwards. PostgreSQL pays a network round trip SQLite does not; the target
is that it stays within twice SQLite's p99 and above 1,000 callbacks a second.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg

from benchmarks.common import LOOPBACK, make_settings, ms, percentile
from benchmarks.ingest import BATCH_TIMEOUT_S, CONCURRENCY, IMAGES, RATE_TARGET, callback_shots, waiting_jobs
from benchmarks.load import Hit, fire, pool
from benchmarks.table import Row
from bot.wiring.app import Core, build_core
from tests import pg
from tests.servers import running

P99_TARGET = 2.0


def _accepted(hits: list[Hit]) -> int:
    return sum(1 for h in hits if h.status == 200 and '"accepted"' in h.text)


async def _stored(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url)
    try:
        fetching = await conn.fetchval("SELECT count(*) FROM jobs WHERE state = 'fetching'")
        rows = await conn.fetchval("SELECT count(*) FROM results")
    finally:
        await conn.close()
    return int(fetching), int(rows)


async def run(quick: bool) -> list[Row]:
    """Interleaved batches against SQLite and PostgreSQL; rate and p99 from each."""
    reason = pg.missing()
    if reason is not None:
        return [Row("pg callback ingest", "-", "-", None, "-", None, reason)]
    count, batches = (600, 1) if quick else (3000, 3)
    cluster = pg.Cluster().start()
    cores: list[Core] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-ingest-") as tmp:
            url = await cluster.fresh_database()
            base = {"runflow_api_key": "bench-key", "public_base_url": f"http://{LOOPBACK}:9"}
            lite = await build_core(make_settings(Path(tmp) / "sqlite", **base))
            cores.append(lite)
            postgres = await build_core(make_settings(Path(tmp) / "pg", database_url=url, **base))
            cores.append(postgres)
            jobs = {"sqlite": await waiting_jobs(lite.store, count), "pg": await waiting_jobs(postgres.store, count)}
            hits: dict[str, list[Hit]] = {"sqlite": [], "pg": []}
            seconds = {"sqlite": 0.0, "pg": 0.0}
            async with running(lite.web_app()) as lite_url, running(postgres.web_app()) as pg_url:
                urls = {"sqlite": lite_url, "pg": pg_url}
                size = count // batches
                with pool() as executor:
                    for n in range(batches):
                        for kind in ("sqlite", "pg"):
                            part = jobs[kind][n * size : (n + 1) * size]
                            batch = await fire(executor, callback_shots(urls[kind], part), CONCURRENCY,
                                               BATCH_TIMEOUT_S, f"{urls[kind]}/healthz")
                            hits[kind] += batch.hits
                            seconds[kind] += batch.seconds
            fetching, rows = await _stored(url)
    finally:
        for core in cores:
            await core.close()
        cluster.stop()
    sent = len(hits["pg"])
    lost = sent - min(_accepted(hits["pg"]), fetching, rows // IMAGES)
    rate = sent / seconds["pg"]
    lite_rate = len(hits["sqlite"]) / seconds["sqlite"]
    pg99 = percentile([h.seconds for h in hits["pg"]], 99)
    lite99 = percentile([h.seconds for h in hits["sqlite"]], 99)
    return [
        Row("pg callback ingest rate", f"{rate:,.0f} callbacks/s, {lost} lost of {sent}",
            f"limit {RATE_TARGET:,.0f}/s; SQLite {lite_rate:,.0f}/s", rate / RATE_TARGET, ">= 1.00x, 0 lost",
            rate >= RATE_TARGET and lost == 0,
            f"{CONCURRENCY} in flight, {IMAGES} URLs each, PostgreSQL 15 on loopback"),
        Row("pg callback ingest p99", f"p99 {ms(pg99)}", f"SQLite p99 {ms(lite99)}", pg99 / lite99,
            f"<= {P99_TARGET:.0f}x SQLite", pg99 / lite99 <= P99_TARGET, f"{batches} interleaved batch(es)"),
    ]
