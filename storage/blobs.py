"""Blob store: photos and results as files under DATA_DIR, written atomically."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path


class BlobError(OSError):
    """A blob could not be written (full disk, size cap); nothing partial is left behind."""


class FileBlobStore:
    """Keys are relative paths like `jobs/<id>/out/07.jpg`; values are files under `root`.

    Every write goes to a temporary file in the same directory and is renamed into place, so a
    reader (or a restart) sees either the whole blob or none of it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file behind a key; refuses keys that would leave the store."""
        candidate = (self.root / key).resolve()
        root = self.root.resolve()
        if root not in candidate.parents:
            raise ValueError(f"blob key outside the store: {key!r}")
        return candidate

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        return self.path(key).is_file()

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, atomically."""
        await asyncio.to_thread(self._write, key, [data])

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Stream chunks into `key` without holding them in memory; returns the size written."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobError(f"more than {max_bytes} bytes")
                    await asyncio.to_thread(out.write, chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError) and not isinstance(exc, BlobError):
                raise BlobError(str(exc)) from exc
            raise
        return size

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under a key prefix (a folder)."""
        target = self.path(prefix)
        await asyncio.to_thread(shutil.rmtree, target, True)

    async def delete(self, key: str) -> None:
        """Delete one blob, if present."""
        await asyncio.to_thread(self.path(key).unlink, True)

    def job_folders(self) -> list[str]:
        """The job ids that have a folder in the store."""
        jobs = self.root / "jobs"
        return sorted(entry.name for entry in jobs.iterdir() if entry.is_dir()) if jobs.is_dir() else []

    def remove_stale_temporaries(self, older_than: float) -> int:
        """Delete temporary files left by writes that never finished (a killed process)."""
        removed = 0
        for tmp in self.root.rglob(".tmp-*") if self.root.is_dir() else ():
            try:
                if tmp.stat().st_mtime < older_than:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _write(self, key: str, parts: list[bytes]) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    out.write(part)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise BlobError(str(exc)) from exc
