"""Streaming a blob into files under DATA_DIR leaves the event loop free while the disk syncs."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sqlite.blobs import FileBlobStore

SYNC_S = 0.2


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_streamed_blobs_sync_to_disk_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def slow_disk(fd: int) -> None:
        time.sleep(SYNC_S)  # a disk busy with other writes
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_disk)
    blobs = FileBlobStore(tmp_path / "blobs")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(ticker())
    started = time.perf_counter()
    try:
        sizes = await asyncio.gather(*(
            blobs.put_stream(f"jobs/x/out/{n:02d}.jpg", _chunks(b"a" * 100, bytes([n]) * 50), 1_000) for n in range(6)
        ))
    finally:
        beat.cancel()
    elapsed = time.perf_counter() - started
    assert sizes == [150] * 6
    assert [await blobs.get(f"jobs/x/out/{n:02d}.jpg") for n in range(6)] == [b"a" * 100 + bytes([n]) * 50
                                                                               for n in range(6)]
    # Blocked by the syncs, the loop would have ticked hardly at all; free, it ticked all along.
    assert ticks >= elapsed / 0.01 / 3 and elapsed >= SYNC_S
    assert not list((tmp_path / "blobs").rglob(".tmp-*"))
