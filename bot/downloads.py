"""Safe downloads of remote images (results, chat attachments): SSRF-guarded, capped, streamed."""

from __future__ import annotations

from collections.abc import Mapping

from storage.blobs import FileBlobStore


class DownloadError(Exception):
    """A download that failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class Downloader:
    """Fetches http(s) URLs for the core."""

    async def fetch(self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None) -> bytes:
        """The body of `url`, at most `max_bytes`."""
        raise NotImplementedError

    async def save_image(
        self, url: str, blobs: FileBlobStore, key: str, *, max_bytes: int, headers: Mapping[str, str] | None = None
    ) -> int:
        """Stream `url` into the blob `key`, checking that it is an image; returns its size."""
        raise NotImplementedError
