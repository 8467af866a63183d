"""Blob store: photos and results as files under DATA_DIR, written atomically."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

from bot.ports import BlobError

CHUNK_BYTES = 256 * 1024


class FileBlobStore:
    """Keys are relative paths like `jobs/<id>/out/07.jpg`; values are files under `root`.

    Every write goes to a temporary file in the same directory and is renamed into place, so a
    reader (or a restart) sees either the whole blob or none of it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_root = root.resolve()  # resolved once: every key is checked against it

    def _path(self, key: str) -> Path:
        """The file behind a key; refuses keys that would leave the store."""
        candidate = (self.root / key).resolve()
        root = self._resolved_root
        if root not in candidate.parents:
            raise ValueError(f"blob key outside the store: {key!r}")
        return candidate

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        return await asyncio.to_thread(self._path(key).is_file)

    async def size(self, key: str) -> int:
        """How many bytes are stored under `key`."""
        return (await asyncio.to_thread(self._path(key).stat)).st_size

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, atomically."""
        await asyncio.to_thread(self._write, key, [data])

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Stream chunks into `key` without holding them in memory; returns the size written.

        Every file operation runs off the event loop: a pack's sixty fsyncs in a row would stall it.
        """
        target = self._path(key)
        fd, tmp = await asyncio.to_thread(_temporary_beside, target)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobError(f"more than {max_bytes} bytes")
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_flush_to_disk, out)
            await asyncio.to_thread(os.replace, tmp, target)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError) and not isinstance(exc, BlobError):
                raise BlobError(str(exc)) from exc
            raise
        return size

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        return await asyncio.to_thread(self._read, key)

    def _read(self, key: str) -> bytes:
        # Resolving the key stats each folder of its path: done on the thread too, not on the event loop.
        return self._path(key).read_bytes()

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        """The file in chunks, read off the event loop."""
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()

    @asynccontextmanager
    async def as_file(self, key: str) -> AsyncIterator[Path]:
        """The stored file itself: no copy is needed."""
        path = self._path(key)
        if not await asyncio.to_thread(path.is_file):
            raise FileNotFoundError(f"no blob {key!r}")
        yield path

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under a key prefix (a folder)."""
        target = self._path(prefix)
        await asyncio.to_thread(shutil.rmtree, target, True)

    async def folders(self, prefix: str) -> list[str]:
        """The names of the folders directly under `prefix`."""
        return await asyncio.to_thread(self._folders, self._path(prefix))

    @staticmethod
    def _folders(parent: Path) -> list[str]:
        return sorted(entry.name for entry in parent.iterdir() if entry.is_dir()) if parent.is_dir() else []

    async def remove_stale_temporaries(self, older_than: float) -> int:
        """Delete temporary files left by writes that never finished (a killed process)."""
        return await asyncio.to_thread(self._remove_stale_temporaries, older_than)

    def _remove_stale_temporaries(self, older_than: float) -> int:
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
        target = self._path(key)
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


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new temporary file in the folder of `target` (made if need be), to be renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=target.parent, prefix=".tmp-")


def _flush_to_disk(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())
