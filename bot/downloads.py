"""Safe downloads of remote images (results, chat attachments): SSRF-guarded, capped, streamed.

Each host name is resolved here, every address is checked, and the request is sent to the
checked address (with the original `Host` and TLS server name), so nothing can resolve the
name differently between the check and the connection. Redirects are followed by hand and
every hop is checked again; request headers (tokens) never leave the original URL's origin.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, aclosing

import aiohttp
from yarl import URL

from bot.byte_budget import ByteBudget
from bot.i18n import Phrase, phrase, say
from bot.photos import declared_pixels
from bot.ports import BlobStore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]
Resolve = Callable[[str, int], Awaitable[list[str]]]
Sized = Callable[[int | None], Awaitable[None]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_SNIFF_BYTES = 16
# An image's header is checked from at most this much of its start (a JPEG's comes after its EXIF).
HEADER_BYTES = 512 * 1024
# A response reads ahead up to twice this much before it pauses the socket: small, because each of
# the many downloads in flight holds its own (a result's bytes go straight on to the blob store).
READ_BUFFER_BYTES = 16 * 1024
# What one download holds besides its header: the read-ahead, a socket read, a chunk on its way.
BUFFER_BYTES = 3 * 64 * 1024
# Sixty result downloads of a pack, each reserving a whole header, fit in one round.
MAX_BYTES_IN_FLIGHT = 48 * 1024 * 1024
RESOLVE_SECONDS = 15.0
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"})


class DownloadError(Exception):
    """A download that failed; `retryable` says whether trying again may help, `say(locale)` tells a person why."""

    def __init__(self, message: str | Phrase, *, retryable: bool = False) -> None:
        super().__init__(str(message))
        self.message = message
        self.retryable = retryable

    def say(self, locale: str | None) -> str:
        """Why, in the language of `locale`."""
        return say(locale, self.message)


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is a globally routable unicast address (the only kind we fetch from)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None:
            return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in _CGNAT
        or not address.is_global
    )


def sniff_image(head: bytes) -> str | None:
    """The MIME type of an image by its first bytes (JPEG, PNG, WebP, HEIC, AVIF), else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/avif" if head[8:12] in (b"avif", b"avis") else "image/heic"
    return None


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses of a host name, by the event loop's getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def describe(url: URL) -> str:
    """A URL as it may appear in messages: host only (paths and queries can carry signatures)."""
    return url.host or "an unknown host"


class Downloader:
    """Fetches remote files for the core through one shared HTTP session.

    `allow_private` (ALLOW_PRIVATE_URLS) lifts the address and https rules for development and
    tests. `resolve` and `policy` are there so tests can give names loopback addresses.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        allow_private: bool,
        max_redirects: int = 3,
        require_https: bool | None = None,
        resolve: Resolve = resolve_host,
        policy: AddressPolicy = is_public_address,
        max_bytes_in_flight: int = MAX_BYTES_IN_FLIGHT,
    ) -> None:
        self._session = session
        # Process-wide: many jobs fetching packs at once must not multiply buffers without bound.
        self.in_flight = ByteBudget(max_bytes_in_flight)
        # No more requests at once than the session has connections: a request queued for one would
        # spend its timeout waiting. A download takes its connection first, then its bytes.
        self._connections = asyncio.Semaphore(_connection_limit(session))
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.require_https = (not allow_private) if require_https is None else require_https
        self._resolve = resolve
        self._policy = policy

    def check_url(self, url: URL) -> None:
        """Refuse a URL by its scheme, or by its host when the host is an address literal."""
        if url.scheme not in ("https", "http") or not url.host:
            raise DownloadError(phrase("Refused to download from {place}: not a web address.", place=describe(url)))
        if url.scheme != "https" and self.require_https:
            raise DownloadError(
                phrase("Refused to download from {place}: only https links are accepted.", place=describe(url))
            )
        literal = _literal(url.host)
        if literal is not None and not self.allow_private and not self._policy(literal):
            raise DownloadError(
                phrase("Refused to download from {place}: a private or reserved address.", place=describe(url))
            )

    async def _pinned(self, url: URL) -> tuple[URL, dict[str, str], str | None]:
        """The URL to request (the host replaced by a checked address), its Host header, its TLS name."""
        host = url.raw_host or ""
        if self.allow_private or _literal(host) is not None:
            return url, {}, None
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            async with asyncio.timeout(RESOLVE_SECONDS):
                found = await self._resolve(host, port)
        except socket.gaierror as exc:
            transient = exc.errno == socket.EAI_AGAIN
            raise DownloadError(
                phrase("The host {place} could not be found.", place=describe(url)), retryable=transient
            ) from None
        except (OSError, TimeoutError):
            raise DownloadError(
                phrase("The host {place} could not be looked up.", place=describe(url)), retryable=True
            ) from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses:
            raise DownloadError(phrase("The host {place} could not be found.", place=describe(url)), retryable=True)
        if not all(self._policy(address) for address in addresses):
            # One bad answer refuses the name: mixed answers are a DNS-rebinding pattern.
            raise DownloadError(
                phrase("Refused to download from {place}: it resolves to a private address.", place=describe(url))
            )
        address = sorted(addresses, key=lambda a: a.version)[0]
        host_header = host if url.is_default_port() else f"{host}:{port}"
        tls_name = host if url.scheme == "https" else None
        return url.with_host(str(address)), {"Host": host_header}, tls_name

    async def fetch(self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None) -> bytes:
        """The body of `url`, at most `max_bytes`; its bytes are reserved once the answer says how many."""
        async with AsyncExitStack() as held:

            async def sized(declared: int | None) -> None:
                body = max_bytes if declared is None else min(declared, max_bytes)
                await held.enter_async_context(self.in_flight.reserve(body + BUFFER_BYTES))

            async with self._connections, aclosing(self._stream(url, max_bytes, headers, sized)) as chunks:
                return b"".join([chunk async for chunk in chunks])

    async def save_image(
        self,
        url: str,
        blobs: BlobStore,
        key: str,
        *,
        max_bytes: int,
        max_pixels: int,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Stream `url` into the blob `key`, checking that it is an image; returns its size.

        The image's header is read as it arrives: a body that is not an image (an HTML login
        page, garbage) or declares more than `max_pixels` (a decompression bomb) leaves no blob.
        Only the header is held until it can be read; the rest streams through, so what is reserved
        in flight is the header's bytes, given back as soon as the answer says the file is smaller.
        """
        head_bytes = min(max_bytes, HEADER_BYTES)
        async with self._connections, self.in_flight.reserve(head_bytes + BUFFER_BYTES) as held:

            async def sized(declared: int | None) -> None:
                if declared is not None:
                    held.shrink(min(declared, head_bytes) + BUFFER_BYTES)

            chunks = self._image_stream(url, self._stream(url, max_bytes, headers, sized), max_pixels)
            return await blobs.put_stream(key, chunks, max_bytes)

    async def _image_stream(
        self, url: str, body: AsyncGenerator[bytes, None], max_pixels: int
    ) -> AsyncGenerator[bytes, None]:
        head = b""
        checked = False
        async with aclosing(body) as chunks:
            async for chunk in chunks:
                if checked:
                    yield chunk
                    continue
                head += chunk
                if len(head) < _SNIFF_BYTES:
                    continue
                if sniff_image(head) is None:
                    raise DownloadError(phrase("The file at {place} is not an image.", place=describe(URL(url))))
                pixels = declared_pixels(head)
                if pixels is None and len(head) < HEADER_BYTES:
                    continue  # not all of the header is here yet
                _check_pixels(url, pixels, max_pixels)
                checked = True
                yield head
                head = b""
        if not checked:
            if sniff_image(head) is None:
                raise DownloadError(phrase("The file at {place} is not an image.", place=describe(URL(url))))
            check_image_header(url, head, max_pixels)
            yield head

    async def _stream(
        self, url: str, max_bytes: int, headers: Mapping[str, str] | None, sized: Sized
    ) -> AsyncGenerator[bytes, None]:
        """The body of `url` in chunks, after following redirects safely; `sized` hears the length
        the answer declares (None when it declares none) before the body is read."""
        origin = URL(url)
        current = origin
        for _hop in range(self.max_redirects + 1):
            self.check_url(current)
            target, send, tls_name = await self._pinned(current)
            if _same_origin(current, origin):
                send.update(headers or {})
            try:
                async with self._session.get(
                    target, headers=send, allow_redirects=False, server_hostname=tls_name,
                    read_bufsize=READ_BUFFER_BYTES,
                ) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        current = current.join(URL(response.headers["Location"]))
                        continue
                    _check_status(current, response.status)
                    declared = response.content_length
                    if declared is not None and declared > max_bytes:
                        raise _too_large(current, max_bytes)
                    await sized(declared)
                    size = 0
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            raise _too_large(current, max_bytes)
                        yield chunk
                    return
            except aiohttp.ClientConnectorCertificateError:
                raise DownloadError(
                    phrase("The certificate of {place} is not valid.", place=describe(current))
                ) from None
            except aiohttp.ClientConnectorError:
                raise DownloadError(
                    phrase("Could not connect to {place}.", place=describe(current)), retryable=True
                ) from None
            except aiohttp.ClientError as exc:
                raise DownloadError(phrase(
                    "The download from {place} failed ({reason}).", place=describe(current), reason=type(exc).__name__
                ), retryable=True) from None
            except TimeoutError:
                raise DownloadError(
                    phrase("The download from {place} timed out.", place=describe(current)), retryable=True
                ) from None
        raise DownloadError(
            phrase(
                "The link to {place} redirected more than {times} times.",
                place=describe(origin), times=self.max_redirects,
            )
        )


def check_image_header(url: str, head: bytes, max_pixels: int) -> None:
    """Refuse an image whose header cannot be read or declares more than `max_pixels`."""
    _check_pixels(url, declared_pixels(head), max_pixels)


def _check_pixels(url: str, pixels: int | None, max_pixels: int) -> None:
    if pixels is None:
        raise DownloadError(phrase("The file at {place} is not a readable image.", place=describe(URL(url))))
    if pixels > max_pixels:
        raise DownloadError(phrase(
            "The image at {place} has {megapixels} megapixels, too many to handle safely.",
            place=describe(URL(url)), megapixels=f"{pixels / 1_000_000:.0f}",
        ))


def _connection_limit(session: aiohttp.ClientSession) -> int:
    connector = session.connector
    limit = connector.limit if connector is not None else 0
    return limit or 100  # 0 means unlimited; a hundred at once is plenty for any CDN


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _same_origin(a: URL, b: URL) -> bool:
    return (a.scheme, (a.host or "").lower(), a.port) == (b.scheme, (b.host or "").lower(), b.port)


def _check_status(url: URL, status: int) -> None:
    if 200 <= status < 300:
        return
    where = describe(url)
    if status == 429 or status >= 500:
        raise DownloadError(
            phrase("{place} is not answering properly right now (HTTP {status}).", place=where, status=status),
            retryable=True,
        )
    if status == 403:
        raise DownloadError(phrase("The link to {place} has expired or was refused (HTTP 403).", place=where))
    if status in (404, 410):
        raise DownloadError(phrase("The file at {place} was not found (HTTP {status}).", place=where, status=status))
    raise DownloadError(phrase("{place} refused the download (HTTP {status}).", place=where, status=status))


def _too_large(url: URL, max_bytes: int) -> DownloadError:
    return DownloadError(
        phrase(
            "The file at {place} is larger than {size} MB.", place=describe(url), size=f"{max_bytes / 1_048_576:.1f}"
        )
    )

