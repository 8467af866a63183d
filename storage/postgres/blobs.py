"""Photos, results and contact sheets in PostgreSQL: bytea chunks, streamed both ways.

Chunks of an upload are written first (each its own short statement, so a slow download holds
no transaction open), then one statement points the key at the upload and drops the chunks of
whatever the key held before: a reader sees the old blob or the new one, never a mix. Chunks
whose upload was never committed (a process killed mid-write) are swept as stale temporaries.

Chunked bytea rather than large objects: large objects can only be read inside a transaction,
outlive their rows unless unlinked by hand, and measured no faster (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.ports import BlobError
from storage.postgres.connect import GuardedPool

CHUNK_BYTES = 512 * 1024

_COMMIT = """
WITH old AS (SELECT upload FROM blobs WHERE key = $1 FOR UPDATE),
     put AS (INSERT INTO blobs (key, upload, size, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET upload = excluded.upload, size = excluded.size,
             created_at = excluded.created_at)
DELETE FROM blob_chunks WHERE upload IN (SELECT upload FROM old)
"""
_DELETE = """
WITH gone AS (DELETE FROM blobs WHERE key = $1 OR key LIKE $2 ESCAPE '\\' RETURNING upload)
DELETE FROM blob_chunks WHERE upload IN (SELECT upload FROM gone)
"""


def _like_prefix(prefix: str) -> str:
    escaped = prefix.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


class PostgresBlobStore:
    """The blob port on PostgreSQL; `tmp_dir` (under DATA_DIR) holds `as_file` copies only."""

    def __init__(self, pool: GuardedPool, tmp_dir: Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._pool = pool
        self._tmp = tmp_dir
        self._chunk = chunk_bytes

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` in one transaction."""
        upload = uuid.uuid4()
        now = time.time()
        parts = [(upload, n, data[at : at + self._chunk], now) for n, at in enumerate(range(0, len(data), self._chunk))]
        async with self._pool.acquire() as conn, conn.transaction():
            if parts:
                await conn.executemany(
                    "INSERT INTO blob_chunks (upload, seq, data, written_at) VALUES ($1, $2, $3, $4)", parts
                )
            await conn.execute(_COMMIT, key, upload, len(data), now)

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store streamed chunks under `key`, holding at most one chunk; returns the size."""
        upload = uuid.uuid4()
        size = seq = 0
        pending = bytearray()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise BlobError(f"more than {max_bytes} bytes")
                pending += chunk
                while len(pending) >= self._chunk:
                    await self._write_chunk(upload, seq, bytes(pending[: self._chunk]))
                    del pending[: self._chunk]
                    seq += 1
            if pending:
                await self._write_chunk(upload, seq, bytes(pending))
            async with self._pool.acquire() as conn:
                await conn.execute(_COMMIT, key, upload, size, time.time())
        except BaseException:
            with contextlib.suppress(Exception):
                async with self._pool.acquire() as conn:
                    await conn.execute("DELETE FROM blob_chunks WHERE upload = $1", upload)
            raise
        return size

    async def _write_chunk(self, upload: uuid.UUID, seq: int, data: bytes) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO blob_chunks (upload, seq, data, written_at) VALUES ($1, $2, $3, $4)",
                upload, seq, data, time.time(),
            )

    async def _upload(self, key: str) -> tuple[uuid.UUID, int]:
        row = await self._pool.fetchrow("SELECT upload, size FROM blobs WHERE key = $1", key)
        if row is None:
            raise FileNotFoundError(f"no blob {key!r}")
        return row["upload"], int(row["size"])

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key` (for photos: small; results are streamed)."""
        upload, _size = await self._upload(key)
        rows = await self._pool.fetch("SELECT data FROM blob_chunks WHERE upload = $1 ORDER BY seq", upload)
        return b"".join(row["data"] for row in rows)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        """The bytes under `key`, one chunk per query, so a 60-image pack is never held whole."""
        upload, size = await self._upload(key)
        seq = sent = 0
        while sent < size:
            data = await self._pool.fetchval(
                "SELECT data FROM blob_chunks WHERE upload = $1 AND seq = $2", upload, seq
            )
            if data is None:
                raise FileNotFoundError(f"blob {key!r} was replaced or deleted while being read")
            sent += len(data)
            seq += 1
            yield data

    async def size(self, key: str) -> int:
        """How many bytes are stored under `key`."""
        return (await self._upload(key))[1]

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        return await self._pool.fetchval("SELECT EXISTS (SELECT 1 FROM blobs WHERE key = $1)", key) is True

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under a key prefix (a folder), and the blob named by it."""
        await self._pool.execute(_DELETE, prefix.rstrip("/"), _like_prefix(prefix))

    async def folders(self, prefix: str) -> list[str]:
        """The names of the folders directly under `prefix`."""
        start = len(prefix.rstrip("/")) + 2
        rows = await self._pool.fetch(
            "SELECT DISTINCT split_part(substr(key, $2), '/', 1) AS name FROM blobs "
            "WHERE key LIKE $1 ESCAPE '\\' AND strpos(substr(key, $2), '/') > 0 ORDER BY name",
            _like_prefix(prefix), start,
        )
        return [str(row["name"]) for row in rows]

    @asynccontextmanager
    async def as_file(self, key: str) -> AsyncIterator[Path]:
        """A temporary local copy of the blob, deleted when the context ends."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix=".tmp-", suffix=Path(key).suffix)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in self.stream(key):
                    out.write(chunk)
            yield path
        finally:
            path.unlink(missing_ok=True)

    async def remove_stale_temporaries(self, older_than: float) -> int:
        """Delete chunks of uploads never committed, and local copies left by a killed process."""
        status = await self._pool.execute(
            "DELETE FROM blob_chunks c WHERE written_at < $1 "
            "AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.upload = c.upload)",
            older_than,
        )
        removed = int(status.split()[-1])
        for stale in self._tmp.glob(".tmp-*") if self._tmp.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                if stale.stat().st_mtime < older_than:
                    stale.unlink()
                    removed += 1
        return removed
