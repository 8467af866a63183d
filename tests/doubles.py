"""Test doubles for what lies outside the core: a recording chat surface and scripted providers."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from bot.ports import Button, Generated, GenerationInput, Link, OutgoingFile, ResultImage, Submitted
from bot.request import Capabilities


def jpeg(width: int = 64, height: int = 64, shade: int = 0) -> bytes:
    """A small real JPEG, different for each `shade`."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), ((shade * 37) % 256, (shade * 91) % 256, 128)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Post:
    """One message the surface received."""

    text: str
    files: list[tuple[str, bytes]]
    key: str
    thread: dict[str, Any]
    links: list[Link] = field(default_factory=list)


@dataclass
class RecordingSurface:
    """A chat surface that keeps everything posted, in memory, like a thread would."""

    name: str = "test"
    max_files_per_post: int = 10
    max_bytes_per_post: int = 25 * 1024 * 1024
    posts: list[Post] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    status_buttons: list[list[Button]] = field(default_factory=list)
    fail_posts: int = 0

    async def set_status(self, thread: dict[str, Any], text: str, buttons: Sequence[Button] = ()) -> None:
        self.statuses.append(text)
        self.status_buttons.append(list(buttons))

    @property
    def status_links(self) -> list[list[Link]]:
        """The links among each status update's buttons."""
        return [[b for b in buttons if isinstance(b, Link)] for buttons in self.status_buttons]

    async def post(
        self, thread: dict[str, Any], text: str, files: Sequence[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        if self.fail_posts > 0:
            self.fail_posts -= 1
            raise ConnectionError("chat platform unavailable")
        self.posts.append(Post(text, [(f.name, await f.read()) for f in files], key, dict(thread), list(links)))

    async def was_posted(self, thread: dict[str, Any], key: str) -> bool:
        return any(key in post.text for post in self.posts)

    def post_limit(self, thread: dict[str, Any]) -> int | None:
        return None

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return [f for post in self.posts for f in post.files]


@dataclass
class ScriptedProvider:
    """A provider whose answers are scripted: a list of results or errors, consumed in order."""

    name: str = "scripted"
    script: list[Generated | Submitted | Exception] = field(default_factory=list)
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(
            label="Scripted",
            description="Scripted — for tests",
            min_photos=1,
            max_photos=3,
            min_outputs=1,
            max_outputs=4,
            honours=frozenset({"count", "style", "background"}),
            expected_seconds=1,
        )
    )
    calls: list[GenerationInput] = field(default_factory=list)
    wait: float = 0.0

    def wait_seconds(self) -> float:
        return self.wait

    async def generate(self, task: GenerationInput) -> Generated | Submitted:
        self.calls.append(task)
        outcome = self.script.pop(0) if self.script else images(task.options.count)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def images(count: int) -> Generated:
    """A synchronous answer with `count` distinct JPEGs."""
    return Generated(images=[ResultImage(data=jpeg(shade=n)) for n in range(count)], remote_id="run-1")
