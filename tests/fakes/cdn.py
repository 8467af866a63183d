"""A fake CDN serving result images (like presigned object-store URLs), with faults on demand."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from tests.fakes import FakeServer

LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>"
ACCESS_DENIED = b"<?xml version='1.0'?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"


@dataclass
class Seen:
    """One request the CDN received."""

    path: str
    headers: dict[str, str]


class FakeCDN(FakeServer):
    """Serves `files` at `/<name>`. `faults[name]` is one of: forbidden, garbage, error, slow,
    stream (no Content-Length), or `redirect:<url>` (302 to that URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.seen: list[Seen] = []
        self.slow_seconds = 2.0
        self.app.router.add_get("/{name:.+}", self._get)

    def put(self, name: str, data: bytes, fault: str | None = None) -> str:
        """Serve `data` at `/<name>`; returns its URL."""
        self.files[name] = data
        if fault:
            self.faults[name] = fault
        return f"{self.url}/{name}"

    async def _get(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.seen.append(Seen(path=request.path_qs, headers=dict(request.headers)))
        fault = self.faults.get(name, "")
        if fault == "forbidden":
            return web.Response(status=403, body=ACCESS_DENIED, content_type="application/xml")
        if fault == "garbage":
            return web.Response(status=200, body=LOGIN_PAGE, content_type="text/html")
        if fault == "error":
            return web.Response(status=500, text="internal error")
        if fault.startswith("redirect:"):
            raise web.HTTPFound(fault.removeprefix("redirect:"))
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        data = self.files.get(name)
        if data is None:
            return web.Response(status=404, text="no such key")
        if fault == "stream":
            response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for start in range(0, len(data), 4096):
                await response.write(data[start : start + 4096])
            await response.write_eof()
            return response
        return web.Response(body=data, content_type="image/jpeg")
