"""`GET /my-data/{token}.zip`: a person's export, written while it is sent, with the gallery's headers.

Every answer under `/my-data` is private, unindexed, sends no referrer and carries a CSP. A wrong
token, an expired link or a forgotten person all get the same short 404 page; refusals only read.
"""

from __future__ import annotations

import time
from contextlib import aclosing
from datetime import UTC, datetime

from aiohttp import web

from bot.gallery.page import PageRenderer
from bot.gallery.routes import guard
from bot.gallery.zipstream import zip_size, zip_stream
from bot.i18n import t
from bot.my_data.archive import PersonalArchive
from bot.my_data.links import PREFIX, MyDataLinks

ZIP_NAME = "my-headshot-data.zip"


class MyDataRoutes:
    """The export's handler and its refusal; `install` adds them to the bot's web server."""

    def __init__(self, links: MyDataLinks, archive: PersonalArchive, renderer: PageRenderer | None = None) -> None:
        self.links = links
        self.archive = archive
        self.renderer = renderer or PageRenderer()
        self._not_found = self.renderer.notice(
            t(None, "No download here"),
            [
                t(
                    None,
                    "This link is mistyped or has expired: a copy of your data can be downloaded for 24 hours "
                    "after you ask for it, and not at all once you have asked the bot to forget you.",
                ),
                t(None, "Ask the bot for a new link any time."),
            ],
        )

    def install(self, app: web.Application) -> None:
        """Add the route, its refusals, and the headers every answer under `/my-data` carries."""
        app.router.add_get(PREFIX + "/{token}.zip", self.archive_zip)
        app.router.add_get(PREFIX, self.refuse)
        app.router.add_get(PREFIX + "/{rest:.*}", self.refuse)
        app.on_response_prepare.append(guard(PREFIX, self.renderer.csp))

    async def refuse(self, _request: web.Request) -> web.Response:
        """The one answer to a wrong token, an expired link, a forgotten person or a strange path."""
        return web.Response(status=404, text=self._not_found, content_type="text/html", charset="utf-8")

    async def archive_zip(self, request: web.Request) -> web.StreamResponse:
        """Everything kept about the link's owner, in one zip, written while it is sent."""
        owner = await self.links.owner_of(request.match_info["token"])
        if owner is None:
            return await self.refuse(request)
        entries = await self.archive.entries(owner)
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
        stamp = datetime.fromtimestamp(time.time(), UTC).timetuple()[:6]
        async with aclosing(zip_stream(entries, stamp)) as chunks:
            async for chunk in chunks:
                await response.write(chunk)
        await response.write_eof()
        return response
