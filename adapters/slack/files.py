"""Moving file bytes to and from Slack's file hosts: downloads with a bot token, raw uploads.

The bot token is sent only to Slack's own file hosts (or to the host of the configured Web API
root, which is how a local stand-in for Slack is reached). Slack answers a bad or missing token
with an HTML login page and status 200, so the body is checked, not the status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypedDict

import aiohttp
from yarl import URL

from bot.errors import UserError
from bot.i18n import phrase, tn
from bot.photos import NAMED_TYPES, looks_like_photo
from bot.ports import OutgoingFile

_SLACK_SUFFIXES = (".slack.com", ".slack-edge.com")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 256 * 1024
MAX_REDIRECTS = 3
UPLOAD_ATTEMPTS = 3


class SlackFile(TypedDict, total=False):
    """A Slack file object as it arrives in payloads and from `files.info` (the fields we read)."""

    id: str
    name: str
    title: str
    mimetype: str
    filetype: str
    size: int
    url_private: str
    url_private_download: str
    mode: str
    file_access: str  # "check_file_info" for a Slack Connect file: everything else comes from files.info


class FileDownloadError(UserError):
    """A Slack file we could not fetch; the message is for the person who shared it."""


def is_image_file(file: SlackFile) -> bool:
    """Whether to read the file as a photo: Slack describes it as one of ours, or not at all (a Slack
    Connect file, an empty mimetype); the bytes are checked later."""
    return looks_like_photo(str(file.get("mimetype") or ""), str(file.get("filetype") or ""))


def declared_not_photos(files: Sequence[SlackFile], shown: int = 3) -> str | None:
    """The sentence for the files Slack already describes as something other than a photo (a text
    file, a PDF), or None when there are none; the bytes of the others are still checked when read."""
    names = [str(f.get("name") or f.get("title") or "a file")[:60] for f in files if not is_image_file(f)]
    if not names:
        return None
    listed = names[:shown] if len(names) <= shown else [*names[:shown], f"{len(names) - shown} more"]
    joined = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} and {listed[-1]}"
    return tn(
        None, "{names} is not a photo; please choose {types} photos.",
        "{names} are not photos; please choose {types} photos.", len(names), names=joined, types=NAMED_TYPES,
    )


def needs_file_info(file: SlackFile) -> bool:
    """Whether the file object lacks what downloading it needs (Slack Connect files lack all of it)."""
    return file.get("file_access") == "check_file_info" or not file_url(file) or not file.get("name")


def hidden_by_limit(file: SlackFile, name: str) -> FileDownloadError | None:
    """The sentence for a file the workspace's plan hides from apps, if it is one."""
    if file.get("mode") != "hidden_by_limit":
        return None
    return FileDownloadError(phrase(
        "Slack hides {name} from apps because of this workspace's plan (older files are hidden on the "
        "free plan), so I can't read it; please upload the photo again.", name=name,
    ))


def file_url(file: SlackFile) -> str | None:
    """The URL to download a file from, preferring the download variant."""
    return file.get("url_private_download") or file.get("url_private") or None


class SlackFileTransfer:
    """One HTTP connection pool for Slack's file hosts, created on first use and closed at shutdown."""

    def __init__(self, api_base_url: str, *, max_bytes: int, timeout: float = 120.0) -> None:
        self._api = URL(api_base_url)
        self.max_bytes = max_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=15, sock_read=60)
        self._session: aiohttp.ClientSession | None = None
        # Bounds buffers when many jobs deliver at once; ten side-by-side uploads fill one batch.
        self._uploads = asyncio.Semaphore(10)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=False)
        return self._session

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def is_trusted(self, url: URL) -> bool:
        """Whether the bot token may be sent to `url`: Slack's hosts over https, or the API root's host."""
        host = (url.host or "").lower().rstrip(".")
        if host and host == (self._api.host or "").lower() and url.port == self._api.port:
            return url.scheme == self._api.scheme
        return url.scheme == "https" and (host == "slack.com" or host.endswith(_SLACK_SUFFIXES))

    async def download(self, name: str, url: str, token: str) -> bytes:
        """The bytes of a user's file, fetched with its workspace's bot `token`; raises `FileDownloadError`
        with a sentence for the user."""
        current = URL(url)
        for _hop in range(MAX_REDIRECTS + 1):
            if not self.is_trusted(current):
                raise FileDownloadError(phrase("I couldn't download {name}: it is not stored on Slack.", name=name))
            headers = {"Authorization": f"Bearer {token}"}
            try:
                async with self._client().get(current, headers=headers, allow_redirects=False) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        current = current.join(URL(response.headers["Location"]))
                        continue
                    if response.status != 200:
                        raise FileDownloadError(phrase(
                            "I couldn't download {name} from Slack (HTTP {status}); please try again.",
                            name=name, status=response.status,
                        ))
                    body = await self._read_capped(name, response)
                    if response.content_type == "text/html" or body.lstrip()[:1] == b"<":
                        raise FileDownloadError(phrase(
                            "I couldn't download {name} from Slack (got a web page instead — "
                            "is the bot's files:read scope granted?)", name=name,
                        ))
                    return body
            except (aiohttp.ClientError, TimeoutError):
                raise FileDownloadError(
                    phrase("I couldn't download {name} from Slack; please try again.", name=name)
                ) from None
        raise FileDownloadError(phrase("I couldn't download {name}: Slack redirected too many times.", name=name))

    async def _read_capped(self, name: str, response: aiohttp.ClientResponse) -> bytes:
        limit_mb = self.max_bytes / 1_048_576
        too_big = FileDownloadError(phrase(
            "{name} is larger than {limit} MB; please send a smaller photo.", name=name, limit=f"{limit_mb:.0f}"
        ))
        if response.content_length is not None and response.content_length > self.max_bytes:
            raise too_big
        parts: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise too_big
            parts.append(chunk)
        return b"".join(parts)

    async def upload(self, upload_url: str, item: OutgoingFile) -> None:
        """POST a stored file's raw bytes to an upload URL from `files.getUploadURLExternal`.

        The file is streamed from the blob store; 429 and 5xx answers are retried after a pause.
        """
        async with self._uploads:
            await self._upload(upload_url, item)

    async def _upload(self, upload_url: str, item: OutgoingFile) -> None:
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            headers = {"Content-Length": str(item.size), "Content-Type": "application/octet-stream"}
            async with self._client().post(upload_url, data=item.chunks(), headers=headers) as response:
                if response.status == 200:
                    return
                retryable = response.status == 429 or response.status >= 500
                if not retryable or attempt == UPLOAD_ATTEMPTS:
                    raise ConnectionError(f"the file upload to Slack failed (HTTP {response.status})")
                pause = float(response.headers.get("Retry-After", attempt))
            await asyncio.sleep(pause)
