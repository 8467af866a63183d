"""`GET /export/{token}.zip`: everyone's favourite in one zip, written while it is sent.

The answers carry the gallery's headers (private, no referrer, not indexed, a strict CSP), and a
wrong or expired token, or any other path under `/export`, gets the gallery's short 404 page.
"""

from __future__ import annotations

from contextlib import aclosing
from datetime import UTC, datetime

from aiohttp import web

from bot.export.archive import zip_entries
from bot.export.publish import PREFIX, Exports
from bot.gallery.page import PageRenderer
from bot.gallery.routes import guard
from bot.gallery.zipstream import zip_size, zip_stream
from bot.ports import BlobStore

ZIP_NAME = "headshots-favourites.zip"
WRITE_BYTES = 256 * 1024


class ExportRoutes:
    """The export's handler; `install` adds it to the bot's web server."""

    def __init__(
        self, exports: Exports, blobs: BlobStore, *, retention_days: float, renderer: PageRenderer | None = None
    ) -> None:
        self.exports = exports
        self.blobs = blobs
        self.renderer = renderer or PageRenderer()
        self._not_found = self.renderer.not_found(retention_days)

    def install(self, app: web.Application) -> None:
        """Add the route, the refusal of everything else under `/export`, and the headers."""
        app.router.add_get(PREFIX + "/{token}.zip", self.archive)
        app.router.add_get(PREFIX, self.refuse)
        app.router.add_get(PREFIX + "/{rest:.*}", self.refuse)
        app.on_response_prepare.append(guard(PREFIX, self.renderer.csp))

    async def refuse(self, _request: web.Request) -> web.Response:
        """The one answer to a wrong token, an expired link or a strange path."""
        return web.Response(status=404, text=self._not_found, content_type="text/html", charset="utf-8")

    async def archive(self, request: web.Request) -> web.StreamResponse:
        """The zip: `people.csv`, then each person's favourite, streamed from the blob store."""
        found = await self.exports.open(request.match_info["token"])
        if found is None:
            return await self.refuse(request)
        entries = zip_entries(found.favourites, self.blobs)
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/zip",
                "Content-Disposition": f'attachment; filename="{ZIP_NAME}"',
            }
        )
        size = zip_size(entries)
        if size is not None:
            response.content_length = size
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        stamp = datetime.now(UTC).timetuple()[:6]
        pending = bytearray()  # many small pieces (headers, descriptors) go out as one write
        async with aclosing(zip_stream(entries, stamp)) as chunks:
            async for chunk in chunks:
                pending += chunk
                if len(pending) >= WRITE_BYTES:
                    await response.write(bytes(pending))
                    pending.clear()
        await response.write(bytes(pending))
        await response.write_eof()
        return response
