"""The blob store port: photos and results by key, whatever holds the bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol


class BlobError(OSError):
    """A blob could not be written (full disk, size cap); nothing partial is left behind."""


class BlobStore(Protocol):
    """Photos and results by key (`bot.blob_keys`), each written whole or not at all.

    Nothing here promises a local file: a database or an object store can hold the bytes.
    `as_file` gives one to the libraries that insist on a path.
    """

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""
        ...

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store streamed chunks under `key` without holding them all; returns the size written.

        More than `max_bytes` raises `BlobError` and leaves nothing behind.
        """
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        ...

    def stream(self, key: str) -> AsyncIterator[bytes]:
        """The bytes stored under `key`, in chunks."""
        ...

    async def size(self, key: str) -> int:
        """How many bytes are stored under `key`."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every blob under a key prefix (a folder)."""
        ...

    async def folders(self, prefix: str) -> list[str]:
        """The names of the folders directly under `prefix` (for `jobs`: the job ids with files)."""
        ...

    def as_file(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A local file with the blob's bytes, for as long as the context lasts (do not write to it)."""
        ...

    async def remove_stale_temporaries(self, older_than: float) -> int:
        """Delete what writes killed half-way left behind before `older_than`; returns how many."""
        ...

