"""The chat-surface port: how the core posts into a thread without knowing the platform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web


@dataclass(frozen=True)
class OutgoingFile:
    """A stored file to post; adapters stream it from `path` rather than holding it."""

    name: str
    path: Path
    size: int


class ChatSurface(Protocol):
    """A place the core can deliver into: one implementation per chat platform.

    `thread` is the surface's own address (channel, thread, status message), opaque to the core.
    Every post carries a `key` that the surface writes into the message text, so that
    `was_posted` can find it again after a crash (see `bot.delivery`).
    """

    name: str
    max_files_per_post: int
    max_bytes_per_post: int

    async def set_status(self, thread: dict[str, Any], text: str) -> None:
        """Replace the text of the job's status message."""
        ...

    async def post(self, thread: dict[str, Any], text: str, files: Sequence[OutgoingFile], key: str) -> None:
        """Post text (and files) into the thread; `key` is already part of `text`."""
        ...

    async def was_posted(self, thread: dict[str, Any], key: str) -> bool:
        """Whether a message carrying `key` is already in the thread."""
        ...


class ChatAdapter(Protocol):
    """A chat platform plugged into `serve`: its surface, its routes, its start and stop."""

    surface: ChatSurface

    def install_routes(self, app: web.Application) -> None:
        """Add the platform's HTTP routes to the shared web server (if it has any)."""
        ...

    async def start(self) -> None:
        """Connect (gateway, socket) and register commands."""
        ...

    async def stop(self) -> None:
        """Disconnect cleanly."""
        ...
