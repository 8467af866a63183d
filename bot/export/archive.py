"""What the export zip holds: each person's favourite as `<name>-<user id>.jpg`, and `people.csv`."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from bot.gallery.zipstream import ZipEntry
from bot.ports import BlobStore, Person

CSV_NAME = "people.csv"
WHOLE_BYTES = 4 * 1024 * 1024  # a file up to this size is read in one go
READ_AHEAD_BYTES = 2 * 1024 * 1024
MAX_NAME_CHARS = 60
_UNSAFE = re.compile(r"[^\w-]+")
# A spreadsheet reads a cell starting with one of these as a formula: such a name is written quoted.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportedFavourite:
    """One person's favourite as it goes into the zip."""

    person: Person
    blob_key: str
    size: int
    chosen_at: float

    @property
    def filename(self) -> str:
        """`<name>-<user id>.jpg` (the stored image's own extension), safe on every file system."""
        suffix = PurePosixPath(self.blob_key).suffix.lower() or ".jpg"
        name, user = safe_part(self.person.name), safe_part(self.person.user_id)
        return f"{name}-{user}{suffix}" if name and name != user else f"{user}{suffix}"


def safe_part(text: str) -> str:
    """A piece of a file name: letters, digits, `_` and `-` (accents kept); anything else becomes one `-`."""
    tidy = _UNSAFE.sub("-", unicodedata.normalize("NFC", text)).strip("-")
    return re.sub(r"-{2,}", "-", tidy)[:MAX_NAME_CHARS].strip("-")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def people_csv(favourites: Sequence[ExportedFavourite]) -> bytes:
    """`people.csv`: name, user id, file, chosen at (UTC, ISO 8601), one row per person."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "user id", "file", "chosen at"])
    for item in favourites:
        chosen = datetime.fromtimestamp(item.chosen_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        writer.writerow([_cell(item.person.name), _cell(item.person.user_id), item.filename, chosen])
    return out.getvalue().encode("utf-8")


def zip_entries(favourites: Sequence[ExportedFavourite], blobs: BlobStore) -> list[ZipEntry]:
    """The zip's entries: `people.csv` first, then every favourite, each read from the blob store as it is sent
    (a headshot-sized one whole, while the one before it is being sent; a large one in chunks)."""
    table = people_csv(favourites)
    small = [item.size if item.size <= WHOLE_BYTES else READ_AHEAD_BYTES + 1 for item in favourites]
    reads = _ReadAhead(blobs, [item.blob_key for item in favourites], small)
    entries = [ZipEntry(CSV_NAME, len(table), _bytes(table))]
    for n, item in enumerate(favourites):
        chunks = reads.chunks(n) if item.size <= WHOLE_BYTES else _stream(blobs, item.blob_key)
        entries.append(ZipEntry(item.filename, item.size, chunks))
    return entries


class _ReadAhead:
    """Reads the files in order, the next few while the current one is being sent: opening and reading a
    file costs a trip to a thread, which several files in flight share. At most `READ_AHEAD_BYTES` wait."""

    def __init__(self, blobs: BlobStore, keys: list[str], sizes: list[int]) -> None:
        self._blobs = blobs
        self._keys = keys
        self._sizes = sizes
        self._pending: dict[int, asyncio.Task[bytes]] = {}
        self._next = 0  # the first file not asked for yet

    def chunks(self, n: int) -> Callable[[], AsyncIterator[bytes]]:
        async def read() -> AsyncIterator[bytes]:
            task = self._pending.pop(n, None) or asyncio.ensure_future(self._blobs.get(self._keys[n]))
            self._next = max(self._next, n + 1)
            ahead = sum(self._sizes[m] for m in self._pending)
            while self._next < len(self._keys) and ahead + self._sizes[self._next] <= READ_AHEAD_BYTES:
                self._pending[self._next] = asyncio.ensure_future(self._blobs.get(self._keys[self._next]))
                ahead += self._sizes[self._next]
                self._next += 1
            yield await task

        return read


def _bytes(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    async def once() -> AsyncIterator[bytes]:
        yield data

    return once


def _stream(blobs: BlobStore, key: str) -> Callable[[], AsyncIterator[bytes]]:
    return lambda: blobs.stream(key)
