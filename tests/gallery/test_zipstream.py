"""The streamed zip: what zipfile reads back is exactly what went in, written chunk by chunk."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import AsyncIterator, Callable

from bot.gallery.zipstream import ZipEntry, zip_size, zip_stream

CHUNK = 64 * 1024
STAMP = (2026, 3, 4, 5, 6, 8)


def chunked(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]

    return chunks


async def test_archive_holds_every_entry_byte_for_byte() -> None:
    contents = [os.urandom(size) for size in (0, 1, 999, 3 * CHUNK + 17, 700_000)]
    entries = [ZipEntry(f"headshot-{n:02d}.jpg", len(data), chunked(data)) for n, data in enumerate(contents, 1)]
    parts = [part async for part in zip_stream(entries, STAMP)]
    archive = b"".join(parts)
    assert len(archive) == zip_size(entries)
    with zipfile.ZipFile(io.BytesIO(archive)) as readback:
        assert readback.testzip() is None
        assert readback.namelist() == [entry.name for entry in entries]
        for entry, data in zip(entries, contents, strict=True):
            assert readback.read(entry.name) == data
            info = readback.getinfo(entry.name)
            assert info.compress_type == zipfile.ZIP_STORED and info.date_time == STAMP
    # Nothing is gathered: no part is much larger than one chunk of an entry.
    assert max(len(part) for part in parts) <= CHUNK + 1024


async def test_an_empty_archive_is_still_a_zip() -> None:
    archive = b"".join([part async for part in zip_stream([], STAMP)])
    assert len(archive) == zip_size([])
    with zipfile.ZipFile(io.BytesIO(archive)) as readback:
        assert readback.namelist() == []


def test_size_is_unknown_where_zip64_would_be_needed() -> None:
    huge = ZipEntry("headshot-01.jpg", 5 * 1024**3, chunked(b""))
    assert zip_size([huge]) is None
