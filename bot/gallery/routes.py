"""`/g/{token}`: the gallery page, each image, each thumbnail and the zip of them all.

Every answer under `/g/` (refusals included) is private, unindexed, sends no referrer and
carries a CSP that allows only the page's own stylesheet and same-origin images. A refusal of
any kind is the same short 404 page, and only reads.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import UTC, datetime

from aiohttp import web

from bot.gallery.page import PageRenderer
from bot.gallery.publish import Galleries, OpenGallery
from bot.gallery.zipstream import ZipEntry, zip_size, zip_stream
from bot.i18n import LANGUAGES, from_accept_language, language
from bot.ports import BlobStore

log = logging.getLogger(__name__)

PREFIX = "/g"
ZIP_NAME = "headshots.zip"
SECURITY_HEADERS = {
    "Cache-Control": "private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
# An image opened on its own is laid out by the browser with style attributes of its own making.
MEDIA_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"


def guard(prefix: str, page_csp: str) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """The hook that gives every answer under `prefix` (a page of links to people's pictures) the
    headers that keep it private: no caching by others, no referrer, no index, and a CSP (`page_csp`
    for its HTML pages, `MEDIA_CSP` for images and archives)."""

    async def secure(request: web.Request, response: web.StreamResponse) -> None:
        if request.path == prefix or request.path.startswith(prefix + "/"):
            response.headers.update(SECURITY_HEADERS)
            page = response.content_type == "text/html"
            response.headers["Content-Security-Policy"] = page_csp if page else MEDIA_CSP

    return secure


# The pages speak the browser's language (else their owner's).
_VARY = {"Vary": "Accept-Language"}


class GalleryRoutes:
    """The gallery's handlers; `install` adds them to the bot's web server."""

    def __init__(self, galleries: Galleries, blobs: BlobStore, renderer: PageRenderer | None = None) -> None:
        self.galleries = galleries
        self.blobs = blobs
        self.renderer = renderer or PageRenderer()
        # One page per language, made once: every refusal in a language is the same bytes.
        self._not_found = {
            name: self.renderer.not_found(galleries.retention_seconds / 86400, name) for name in (None, *LANGUAGES)
        }

    def install(self, app: web.Application) -> None:
        """Add the routes, and the headers every answer under `/g/` carries."""
        app.router.add_get(PREFIX + "/{token}", self.page)
        app.router.add_get(PREFIX + "/{token}/" + ZIP_NAME, self.archive)
        app.router.add_get(PREFIX + r"/{token}/{number:[0-9]{1,4}}", self.image)
        app.router.add_get(PREFIX + r"/{token}/{number:[0-9]{1,4}}/thumbnail", self.thumbnail)
        app.router.add_get(PREFIX, self.refuse)
        app.router.add_get(PREFIX + "/{rest:.*}", self.refuse)
        app.on_response_prepare.append(guard(PREFIX, self.renderer.csp))

    async def refuse(self, request: web.Request) -> web.Response:
        """The one answer to a wrong token, an ended gallery, a number out of range or a strange path
        (in the browser's language)."""
        page = self._not_found[language(from_accept_language(request.headers.get("Accept-Language")))]
        return web.Response(status=404, text=page, content_type="text/html", charset="utf-8", headers=_VARY)

    async def page(self, request: web.Request) -> web.Response:
        """The gallery page."""
        found = await self.galleries.open(request.match_info["token"])
        if found is None:
            return await self.refuse(request)
        reader = from_accept_language(request.headers.get("Accept-Language"))
        html = self.renderer.gallery(
            request.match_info["token"], found.job, found.manifest, found.capabilities, found.kept_until,
            found.favourites, reader,
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8", headers=_VARY)

    async def image(self, request: web.Request) -> web.StreamResponse:
        """Result number `n` (1-based): the stored bytes with their real type."""
        found, index = await self._numbered(request)
        if found is None:
            return await self.refuse(request)
        item = found.manifest.images[index]
        disposition = f'inline; filename="{item.filename(index + 1)}"'
        return await self._send(request, item.key, item.size, item.media_type, disposition)

    async def thumbnail(self, request: web.Request) -> web.StreamResponse:
        """The thumbnail of result number `n`."""
        found, index = await self._numbered(request)
        if found is None:
            return await self.refuse(request)
        item = found.manifest.images[index]
        return await self._send(request, item.thumb_key, item.thumb_size, "image/jpeg", "inline")

    async def archive(self, request: web.Request) -> web.StreamResponse:
        """Every result in one zip, written while it is sent."""
        found = await self.galleries.open(request.match_info["token"])
        if found is None:
            return await self.refuse(request)
        entries = [
            ZipEntry(image.filename(number), image.size, _chunks(self.blobs, image.key))
            for number, image in enumerate(found.manifest.images, start=1)
        ]
        response = web.StreamResponse(headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{ZIP_NAME}"',
        })
        size = zip_size(entries)
        if size is not None:
            response.content_length = size  # lets a browser show how far the download is
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        stamp = datetime.fromtimestamp(found.job.updated_at, UTC).timetuple()[:6]
        async with aclosing(zip_stream(entries, stamp)) as chunks:
            async for chunk in chunks:
                await response.write(chunk)
        await response.write_eof()
        return response

    async def _numbered(self, request: web.Request) -> tuple[OpenGallery | None, int]:
        number = int(request.match_info["number"])
        found = await self.galleries.open(request.match_info["token"])
        if found is None or not 1 <= number <= len(found.manifest.images):
            return None, 0
        return found, number - 1

    async def _send(
        self, request: web.Request, key: str, size: int, media_type: str, disposition: str
    ) -> web.StreamResponse:
        if not await self.blobs.exists(key):  # swept a moment ago
            return await self.refuse(request)
        response = web.StreamResponse(headers={"Content-Type": media_type, "Content-Disposition": disposition})
        response.content_length = size
        await response.prepare(request)
        if request.method != "HEAD":
            async for chunk in self.blobs.stream(key):
                await response.write(chunk)
        await response.write_eof()
        return response


def _chunks(blobs: BlobStore, key: str) -> Callable[[], AsyncIterator[bytes]]:
    return lambda: blobs.stream(key)
