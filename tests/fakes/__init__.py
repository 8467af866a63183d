"""Local stand-ins for the remote services (agent.ai, Runflow, a CDN), speaking their documented wire formats.

Each fake is a real aiohttp server on a random loopback port. Faults are scripted with `Reply`
objects consumed in order; when the script is empty the fake behaves like the real service.
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web
from PIL import Image


def gradient_jpeg(size: int = 512, seed: int = 0) -> bytes:
    """A real JPEG: a diagonal colour gradient, different for each `seed`."""
    ramp = np.arange(size, dtype=np.int64) * 255 // size
    x, y = np.meshgrid(ramp, ramp)
    channels = [(x + seed * 29) % 256, (y + seed * 53) % 256, ((x + y) // 2 + seed * 7) % 256]
    out = io.BytesIO()
    Image.fromarray(np.stack(channels, axis=-1).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def small_jpeg(seed: int) -> bytes:
    """A small distinct JPEG, quick to make in bulk (a pack of 60)."""
    out = io.BytesIO()
    Image.new("RGB", (48, 64), ((seed * 41) % 256, (seed * 97) % 256, (seed * 13) % 256)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Reply:
    """One scripted answer: a status, a body (dict/list → JSON, str/bytes → as is, an async generator →
    chunked), headers, a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    async def respond(self) -> web.Response:
        """The answer as an aiohttp response, after the delay."""
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.body, dict | list):
            return web.Response(
                status=self.status, text=json.dumps(self.body), content_type="application/json", headers=self.headers
            )
        if isinstance(self.body, bytes):
            return web.Response(status=self.status, body=self.body, headers=self.headers)
        if hasattr(self.body, "__aiter__"):  # an async generator: sent chunked, with no Content-Length
            return web.Response(status=self.status, body=self.body, headers=self.headers)
        return web.Response(status=self.status, text=self.body or "", headers=self.headers)


class FakeServer:
    """An aiohttp application served on 127.0.0.1 at a free port; use as an async context manager."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.script: list[Reply] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.url.rsplit(":", 1)[1])

    async def start(self) -> str:
        """Start serving; returns the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def scripted(self) -> Reply | None:
        """The next scripted reply, if any."""
        return self.script.pop(0) if self.script else None
