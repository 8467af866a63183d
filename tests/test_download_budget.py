"""Downloads in flight: bytes reserved from the process's budget, a pack in one round, headers read early."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.downloads import BUFFER_BYTES, HEADER_BYTES, Downloader, DownloadError
from storage.sqlite.blobs import FileBlobStore
from tests.fakes import gradient_jpeg
from tests.images import noise_image, png_bomb_header
from tests.servers import running

PIXELS = 10_000_000
FIRST_PART = 32 * 1024


def late_header(jpeg: bytes, before: int) -> bytes:
    """The JPEG with at least `before` bytes of application segments ahead of its frame header."""
    segment = b"\xff\xeb" + struct.pack(">H", 65535) + bytes(65533)
    return jpeg[:2] + segment * (before // len(segment) + 1) + jpeg[2:]


@dataclass
class Origin:
    """A file server that can hold a body after its first part, and counts the requests it serves at once."""

    files: dict[str, bytes] = field(default_factory=dict)
    delay: float = 0.0
    hold: asyncio.Event = field(default_factory=asyncio.Event)
    held: asyncio.Event = field(default_factory=asyncio.Event)  # set once a body is being held
    stall: set[str] = field(default_factory=set)  # sent up to FIRST_PART, then never finished
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{name}", self._get)
        return app

    async def _get(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            data = self.files[name]
            response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            response.content_length = len(data)
            await response.prepare(request)
            await response.write(data[:FIRST_PART])
            if name in self.stall:
                await asyncio.sleep(30)
            if not self.hold.is_set():
                self.held.set()
                await self.hold.wait()
            await response.write(data[FIRST_PART:])
            await response.write_eof()
            return response
        finally:
            self.in_flight -= 1


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    served = Origin()
    served.hold.set()
    async with running(served.app()) as url:
        served.url = url
        yield served


@pytest.fixture
async def downloads() -> AsyncIterator[Callable[..., Downloader]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10.0)) as http:
        yield lambda **kwargs: Downloader(http, allow_private=True, **kwargs)


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


async def _while_held(origin: Origin, work: Awaitable[object], look: Callable[[], None]) -> None:
    """Run `work` until the origin holds its body, `look`, then let the body finish."""
    origin.hold.clear()
    task = asyncio.ensure_future(work)
    await asyncio.wait_for(origin.held.wait(), 5)
    await asyncio.sleep(0.05)
    look()
    origin.hold.set()
    await task


async def test_a_large_image_reserves_its_header_while_the_rest_streams_through(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore
) -> None:
    downloader = downloads()
    origin.files["big.jpg"] = data = noise_image(1200, 900)
    assert len(data) > HEADER_BYTES
    seen: list[int] = []
    work = downloader.save_image(f"{origin.url}/big.jpg", blobs, "r/big.jpg", max_bytes=10 << 20, max_pixels=PIXELS)
    await _while_held(origin, work, lambda: seen.append(downloader.in_flight.in_use))
    assert seen == [HEADER_BYTES + BUFFER_BYTES]
    assert downloader.in_flight.in_use == 0 and await blobs.get("r/big.jpg") == data


async def test_a_small_image_gives_back_what_it_does_not_need_once_its_length_is_known(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore
) -> None:
    downloader = downloads()
    origin.files["small.jpg"] = data = noise_image(400, 300)
    assert FIRST_PART < len(data) < HEADER_BYTES
    seen: list[int] = []
    work = downloader.save_image(f"{origin.url}/small.jpg", blobs, "r/s.jpg", max_bytes=10 << 20, max_pixels=PIXELS)
    await _while_held(origin, work, lambda: seen.append(downloader.in_flight.in_use))
    assert seen == [len(data) + BUFFER_BYTES] and await blobs.get("r/s.jpg") == data


async def test_a_whole_body_fetch_reserves_its_length(origin: Origin, downloads: Callable[..., Downloader]) -> None:
    downloader = downloads()
    origin.files["whole.jpg"] = data = late_header(gradient_jpeg(64), HEADER_BYTES)
    seen: list[int] = []
    fetched: list[bytes] = []

    async def fetch() -> None:
        fetched.append(await downloader.fetch(f"{origin.url}/whole.jpg", max_bytes=10 << 20))

    await _while_held(origin, fetch(), lambda: seen.append(downloader.in_flight.in_use))
    assert seen == [len(data) + BUFFER_BYTES] and fetched == [data] and downloader.in_flight.in_use == 0


async def test_a_pack_of_60_small_images_is_fetched_in_one_round(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore
) -> None:
    downloader = downloads()
    origin.delay = 0.2
    images = {f"{n:02d}.jpg": gradient_jpeg(64, seed=n) for n in range(60)}
    origin.files.update(images)
    sizes = await asyncio.gather(*(
        downloader.save_image(f"{origin.url}/{name}", blobs, f"r/{name}", max_bytes=10 << 20, max_pixels=PIXELS)
        for name in images
    ))
    assert origin.most_in_flight == 60
    assert sizes == [len(data) for data in images.values()]


async def test_large_images_take_turns_within_the_budget(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore
) -> None:
    downloader = downloads(max_bytes_in_flight=2 * (HEADER_BYTES + BUFFER_BYTES))
    origin.delay = 0.05
    images = {f"{n}.jpg": late_header(gradient_jpeg(64, seed=n), HEADER_BYTES) for n in range(5)}
    origin.files.update(images)
    await asyncio.gather(*(
        downloader.save_image(f"{origin.url}/{name}", blobs, f"r/{name}", max_bytes=10 << 20, max_pixels=PIXELS)
        for name in images
    ))
    assert origin.most_in_flight == 2
    assert [await blobs.get(f"r/{name}") for name in images] == list(images.values())


async def test_an_image_whose_header_comes_late_is_still_read(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore
) -> None:
    origin.files["late.jpg"] = data = late_header(gradient_jpeg(64), 300_000)
    url = f"{origin.url}/late.jpg"
    assert await downloads().save_image(url, blobs, "r/late.jpg", max_bytes=10 << 20, max_pixels=PIXELS) == len(data)
    assert await blobs.get("r/late.jpg") == data


async def test_an_image_whose_header_comes_after_the_first_512_kib_is_refused_as_before(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore, tmp_path: Path
) -> None:
    origin.files["later.jpg"] = late_header(gradient_jpeg(64), HEADER_BYTES + 128 * 1024)
    with pytest.raises(DownloadError, match="not a readable image"):
        await downloads().save_image(
            f"{origin.url}/later.jpg", blobs, "r/later.jpg", max_bytes=10 << 20, max_pixels=PIXELS
        )
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]


async def test_a_decompression_bomb_is_refused_as_soon_as_its_header_arrives(
    origin: Origin, downloads: Callable[..., Downloader], blobs: FileBlobStore, tmp_path: Path
) -> None:
    origin.files["bomb.png"] = png_bomb_header() + bytes(HEADER_BYTES)
    origin.stall.add("bomb.png")  # the rest of the body would take 30 s
    started = time.perf_counter()
    with pytest.raises(DownloadError, match="too many to handle safely"):
        await downloads().save_image(
            f"{origin.url}/bomb.png", blobs, "r/bomb.png", max_bytes=10 << 20, max_pixels=PIXELS
        )
    assert time.perf_counter() - started < 5
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
