"""Runflow callback ingest on PostgreSQL: callbacks per second, and p99 against a bare handler.

The same route and the same callbacks as `benchmarks.ingest` (60 image URLs each, 64 in
flight), on a throwaway PostgreSQL 15 cluster on loopback, in rounds that alternate with a bare
aiohttp handler; each figure is the median of the per-round ratios, with their range. Nothing may
be lost: every callback answered "accepted", every job in FETCHING with its 60 result rows
afterwards. PostgreSQL pays a network round trip and a server process that SQLite does not.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg

from benchmarks.common import LOOPBACK, make_settings
from benchmarks.ingest import FULL, QUICK, ingest_rows, measure
from benchmarks.table import Row
from tests import pg


async def _stored(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url)
    try:
        fetching = await conn.fetchval("SELECT count(*) FROM jobs WHERE state = 'fetching'")
        rows = await conn.fetchval("SELECT count(*) FROM results")
    finally:
        await conn.close()
    return int(fetching), int(rows)


async def run(quick: bool) -> list[Row]:
    """Alternating rounds against the bare handler and the real app on PostgreSQL."""
    reason = pg.missing()
    if reason is not None:
        return [Row("pg callback ingest", "-", "-", None, "-", None, reason)]
    rounds, size = QUICK if quick else FULL
    cluster = pg.Cluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-ingest-") as tmp:
            url = await cluster.fresh_database()
            settings = make_settings(Path(tmp), database_url=url, runflow_api_key="bench-key",
                                     public_base_url=f"http://{LOOPBACK}:9")
            measured = await measure(settings, rounds, size)
            fetching, rows = await _stored(url)
    finally:
        cluster.stop()
    return ingest_rows("pg ", measured, measured.lost(fetching, rows), "PostgreSQL 15 on loopback")
