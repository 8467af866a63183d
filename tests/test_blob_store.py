"""The blob port, once for both stores: files under DATA_DIR, or chunks in PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from bot.ports import BlobError, BlobStore

BIG = os.urandom(300_000)  # several chunks in either store


async def _chunks(data: bytes, size: int = 7_000) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]
        await asyncio.sleep(0)


async def test_a_blob_reads_back_whole_streamed_and_as_a_file(blobs: BlobStore) -> None:
    await blobs.put("jobs/j1/in/0.jpg", b"photo")
    assert await blobs.put_stream("jobs/j1/out/00.jpg", _chunks(BIG), max_bytes=len(BIG)) == len(BIG)
    assert await blobs.get("jobs/j1/in/0.jpg") == b"photo"
    assert await blobs.size("jobs/j1/out/00.jpg") == len(BIG)
    assert b"".join([chunk async for chunk in blobs.stream("jobs/j1/out/00.jpg")]) == BIG
    async with blobs.as_file("jobs/j1/out/00.jpg") as path:
        assert path.read_bytes() == BIG and path.suffix == ".jpg"
    assert await blobs.exists("jobs/j1/in/0.jpg") and not await blobs.exists("jobs/j1/in/1.jpg")
    with pytest.raises(FileNotFoundError):
        await blobs.get("jobs/j1/in/1.jpg")


async def test_writing_a_key_again_replaces_it_whole(blobs: BlobStore) -> None:
    await blobs.put_stream("jobs/j1/out/00.jpg", _chunks(BIG), max_bytes=len(BIG))
    await blobs.put("jobs/j1/out/00.jpg", b"smaller")
    assert await blobs.get("jobs/j1/out/00.jpg") == b"smaller" and await blobs.size("jobs/j1/out/00.jpg") == 7
    await blobs.put("jobs/j1/out/01.jpg", b"")
    assert await blobs.get("jobs/j1/out/01.jpg") == b"" and await blobs.exists("jobs/j1/out/01.jpg")


async def test_a_stream_over_the_cap_leaves_nothing_behind(blobs: BlobStore) -> None:
    with pytest.raises(BlobError):
        await blobs.put_stream("jobs/j1/out/00.jpg", _chunks(BIG), max_bytes=len(BIG) - 1)
    assert not await blobs.exists("jobs/j1/out/00.jpg")
    assert await blobs.remove_stale_temporaries(older_than=1e12) == 0  # nothing half-written was left


async def test_a_write_killed_half_way_is_swept_as_a_stale_temporary(blobs: BlobStore) -> None:
    async def dies() -> AsyncIterator[bytes]:
        yield BIG
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await blobs.put_stream("jobs/j1/out/00.jpg", dies(), max_bytes=10 * len(BIG))
    assert not await blobs.exists("jobs/j1/out/00.jpg")
    await blobs.put("jobs/j1/out/01.jpg", b"kept")
    await blobs.remove_stale_temporaries(older_than=1e12)
    assert await blobs.get("jobs/j1/out/01.jpg") == b"kept"


async def test_folders_and_deleting_a_prefix(blobs: BlobStore) -> None:
    for key in ("jobs/j1/in/0.jpg", "jobs/j1/out/00.jpg", "jobs/j2/in/0.jpg", "jobs/j_3/in/0.jpg", "jobs/j10/x.jpg"):
        await blobs.put(key, b"x")
    assert await blobs.folders("jobs") == ["j1", "j10", "j2", "j_3"]
    assert await blobs.folders("jobs/j1") == ["in", "out"]
    await blobs.delete_prefix("jobs/j1/in")
    assert not await blobs.exists("jobs/j1/in/0.jpg") and await blobs.exists("jobs/j1/out/00.jpg")
    await blobs.delete_prefix("jobs/j1")
    assert await blobs.folders("jobs") == ["j10", "j2", "j_3"]  # "j1" is no prefix of "j10" or "j_3"
    assert await blobs.exists("jobs/j10/x.jpg")
    await blobs.delete_prefix("jobs/nothing-here")
    assert await blobs.folders("nowhere") == []
