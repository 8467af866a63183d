"""A delivered job with a gallery, served by the real routes on a loopback port."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image, ImageDraw, ImageOps

from bot.options import Options
from bot.ports import Generated, ResultImage
from bot.wiring.app import Core, build_core
from tests.conftest import make_settings, photo
from tests.doubles import RecordingSurface, ScriptedProvider
from tests.images import astronaut_jpeg, grace_hopper_jpeg
from tests.servers import running

PUBLIC = "https://headshots.example"
OWNER = "test:T1:U1"


@cache
def headshot(number: int, width: int = 900, height: int = 1125, quality: int = 90, fmt: str = "JPEG") -> bytes:
    """A distinct portrait-like result: a real portrait, tinted and numbered, at a given size."""
    source = astronaut_jpeg() if number % 2 else grace_hopper_jpeg()
    with Image.open(io.BytesIO(source)) as opened:
        image = ImageOps.fit(opened.convert("RGB"), (width, height), centering=(0.5, 0.3))
    tint = Image.new("RGB", image.size, ((number * 53) % 256, (number * 97) % 256, (number * 29) % 256))
    image = Image.blend(image, tint, 0.18)
    ImageDraw.Draw(image).text((24, 24), f"#{number}", fill="white", font_size=max(24, width // 12))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


@dataclass
class Gallery:
    """A delivered job, its gallery's address on the test server, and what was delivered."""

    core: Core
    surface: RecordingSurface
    job_id: str
    base: str  # the test server's root
    token: str
    images: list[bytes]
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"{self.base}/g/{self.token}"

    def link_tokens(self) -> list[str]:
        """Every gallery token posted so far (in the thread and on the status message)."""
        links = [link for post in self.surface.posts for link in post.links]
        links += [link for links in self.surface.status_links for link in links]
        return [link.url.removeprefix(f"{PUBLIC}/g/") for link in links]


async def deliver(core: Core, scripted: ScriptedProvider, images: Sequence[bytes], **options: Any) -> str:
    """Run one job whose provider answers with `images`; returns its id."""
    scripted.script = [Generated(images=[ResultImage(data=data) for data in images], remote_id="run-1")]
    request = core.intake.build_request([photo(1), photo(2)], Options.from_dict(options), "scripted")
    job = await core.intake.accept(request, owner=OWNER, surface="test", thread={"thread": "t1"})
    await core.runner.run_until_idle()
    return job.id


async def gallery_for(tmp_path: Path, images: Sequence[bytes], **values: Any) -> AsyncIterator[Gallery]:
    """A core with PUBLIC_BASE_URL, one delivered job, and the gallery routes on a real server."""
    surface = RecordingSurface()
    settings = make_settings(tmp_path, public_base_url=PUBLIC, **values)
    scripted = ScriptedProvider()
    honours = frozenset({"style", "background", "attire", "aspect_ratio", "quality", "prompt"})
    scripted.capabilities = replace(scripted.capabilities, honours=honours)
    core = await build_core(settings, surfaces={"test": surface}, providers={"scripted": scripted})
    try:
        job_id = await deliver(core, scripted, images, style="executive", prompt="<b>bold</b> & <script>x</script>")
        assert core.galleries is not None
        async with running(core.web_app()) as base, aiohttp.ClientSession() as http:
            gallery = Gallery(core, surface, job_id, base, "", list(images), http)
            tokens = gallery.link_tokens()
            assert tokens, "no gallery link was posted"
            gallery.token = tokens[0]
            yield gallery
    finally:
        await core.close()


@pytest.fixture
async def gallery(tmp_path: Path) -> AsyncIterator[Gallery]:
    """A gallery of six results: JPEGs and one PNG, one WebP."""
    images = [headshot(n, 480, 600) for n in range(1, 5)]
    images += [headshot(5, 480, 600, fmt="PNG"), headshot(6, 480, 600, fmt="WEBP")]
    async for built in gallery_for(tmp_path, images):
        yield built
