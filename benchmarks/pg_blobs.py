"""Photos and results in PostgreSQL: the blob store's bytea chunks beside large objects, on one server.

A 60-image pack (1.5 MB each, incompressible, as JPEGs are) is written 60 at a time and streamed
back, once through `PostgresBlobStore` (chunks in a table, the way the bot stores them) and once
as large objects (`lo_create`/`lowrite`, read with `loread` inside a transaction, which large
objects require). The figure is the blob store's throughput over the large objects'; both run
on the same pool in the same run.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from benchmarks.table import Row
from tests import pg

IMAGES = 60
SIZE = 1_500_000
PIECE = 64 * 1024  # what a download hands over at a time
LO_CHUNK = 512 * 1024


async def _pieces(data: bytes) -> AsyncIterator[bytes]:
    for at in range(0, len(data), PIECE):
        yield data[at : at + PIECE]


async def run(quick: bool) -> list[Row]:
    """Write and read a pack both ways; MB/s each way."""
    reason = pg.missing()
    if reason is not None:
        return [Row("pg blobs vs large objects", "-", "-", None, "-", None, reason)]
    from storage.postgres.blobs import PostgresBlobStore
    from storage.postgres.connect import open_pool

    count = 20 if quick else IMAGES
    pack = [os.urandom(SIZE) for _ in range(count)]
    total = count * SIZE / 1e6
    cluster = pg.Cluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-blobs-") as tmp:
            pool = await open_pool(await cluster.fresh_database())
            blobs = PostgresBlobStore(pool, Path(tmp))
            started = time.perf_counter()
            await asyncio.gather(*(blobs.put_stream(f"jobs/b/out/{n}", _pieces(d), 10**8) for n, d in enumerate(pack)))
            chunk_write = total / (time.perf_counter() - started)

            async def read_chunks(n: int) -> int:
                return sum([len(piece) async for piece in blobs.stream(f"jobs/b/out/{n}")])

            started = time.perf_counter()
            assert sum(await asyncio.gather(*(read_chunks(n) for n in range(count)))) == count * SIZE
            chunk_read = total / (time.perf_counter() - started)

            async def lo_write(data: bytes) -> int:
                async with pool.acquire() as conn, conn.transaction():
                    oid = int(await conn.fetchval("SELECT lo_create(0)"))
                    fd = await conn.fetchval("SELECT lo_open($1, 131072)", oid)  # INV_WRITE
                    for at in range(0, len(data), LO_CHUNK):
                        await conn.execute("SELECT lowrite($1, $2)", fd, data[at : at + LO_CHUNK])
                    return oid

            async def lo_read(oid: int) -> int:
                size = 0
                async with pool.acquire() as conn, conn.transaction():
                    fd = await conn.fetchval("SELECT lo_open($1, 262144)", oid)  # INV_READ
                    while piece := await conn.fetchval("SELECT loread($1, $2)", fd, LO_CHUNK):
                        size += len(piece)
                return size

            started = time.perf_counter()
            oids = await asyncio.gather(*(lo_write(d) for d in pack))
            lo_write_rate = total / (time.perf_counter() - started)
            started = time.perf_counter()
            assert sum(await asyncio.gather(*(lo_read(oid) for oid in oids))) == count * SIZE
            lo_read_rate = total / (time.perf_counter() - started)
            await pool.close()
    finally:
        cluster.stop()
    ratio = min(chunk_write / lo_write_rate, chunk_read / lo_read_rate)
    return [
        Row("pg blobs vs large objects", f"chunks: write {chunk_write:.0f} MB/s, read {chunk_read:.0f} MB/s",
            f"large objects: write {lo_write_rate:.0f} MB/s, read {lo_read_rate:.0f} MB/s", ratio,
            ">= 0.80x large objects, each way", ratio >= 0.8,
            f"{count} x {SIZE / 1e6:.1f} MB at once, 512 KB chunks; ratio = the worse of the two ways"),
    ]
