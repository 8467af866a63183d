"""A zip archive written as it is sent: `zipfile` on a stream that cannot seek.

`zipfile` notices that its file cannot `tell()`, and then writes each entry's sizes and CRC in a
data descriptor after the entry's bytes instead of going back to its header. So nothing has to
be held but the chunk in hand, however large the archive.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass

# Fixed overheads of a stored entry without zip64 (see APPNOTE.TXT 4.3.7, 4.3.9, 4.3.12, 4.3.16).
_LOCAL_HEADER = 30
_DATA_DESCRIPTOR = 16
_CENTRAL_HEADER = 46
_END_RECORD = 22


@dataclass(frozen=True)
class ZipEntry:
    """One file of the archive: its name, its size, and where its bytes come from."""

    name: str
    size: int
    chunks: Callable[[], AsyncIterator[bytes]]


class _Spool:
    """What `zipfile` writes into: keeps the bytes until the sender takes them. It has no `tell`,
    which is what makes `zipfile` stream."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the sender drains the spool."""

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def zip_size(entries: Sequence[ZipEntry]) -> int | None:
    """The exact size of the archive `zip_stream` writes, or None when it would need zip64."""
    total = _END_RECORD
    for entry in entries:
        name = len(entry.name.encode("utf-8"))
        total += _LOCAL_HEADER + name + entry.size + _DATA_DESCRIPTOR + _CENTRAL_HEADER + name
    # zipfile switches to zip64 records when an entry might pass 4 GiB or an offset does.
    largest = max((entry.size for entry in entries), default=0)
    if total >= zipfile.ZIP64_LIMIT or largest * 1.05 > zipfile.ZIP64_LIMIT or len(entries) >= 0xFFFF:
        return None
    return total


async def zip_stream(
    entries: Sequence[ZipEntry], date_time: tuple[int, int, int, int, int, int]
) -> AsyncGenerator[bytes, None]:
    """The archive's bytes, chunk by chunk, entries stored as they are (images do not compress)."""
    spool = _Spool()
    archive = zipfile.ZipFile(spool, mode="w", compression=zipfile.ZIP_STORED)  # type: ignore[call-overload]
    try:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = entry.size  # lets zipfile choose zip64 up front for a very large entry
            info.external_attr = 0o644 << 16
            with archive.open(info, mode="w") as member:
                async for chunk in entry.chunks():
                    member.write(chunk)
                    if out := spool.take():
                        yield out
            yield spool.take()  # the data descriptor
        archive.close()
        yield spool.take()  # the central directory
    finally:
        archive.fp = None  # a sender that stopped early gets no central directory written for nothing
