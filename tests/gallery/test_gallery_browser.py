"""A 60-image gallery in a real Chromium, as a phone and as a desktop, without JavaScript on the page."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.gallery.tokens import new_token
from tests.browser import artefact, chromium
from tests.gallery.conftest import Gallery, gallery_for, headshot

PACK = 60
SIZES = {
    "phone": {
        "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 1},
}
ALL_LOADED = "() => document.images.length > 0 && [...document.images].every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture
async def pack(tmp_path: Path) -> AsyncIterator[Gallery]:
    images = [headshot(n) for n in range(1, PACK + 1)]
    async for built in gallery_for(tmp_path, images):
        yield built


@pytest.mark.parametrize("size", list(SIZES))
async def test_the_gallery_in_a_browser(pack: Gallery, size: str) -> None:
    async with chromium() as browser:
        context = await browser.new_context(**SIZES[size], accept_downloads=True, java_script_enabled=False)
        page = await context.new_page()
        fetched: dict[str, int] = {}
        complaints: list[str] = []
        page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)

        async def count(response) -> None:  # type: ignore[no-untyped-def]
            body = await response.body()
            fetched[response.url] = len(body)

        page.on("response", count)
        refused: list[str] = []
        context.on("response", lambda response: refused.append(response.url) if response.status >= 400 else None)
        await page.goto(pack.url, wait_until="load")
        await page.screenshot(path=artefact(f"gallery-{size}.png"))
        # Lazy thumbnails load as they come into view: walk down the page like a person would.
        height = await page.evaluate("document.documentElement.scrollHeight")
        for _step in range(0, height + 900, 600):
            await page.mouse.wheel(0, 600)
            await page.wait_for_timeout(30)
        await page.wait_for_function(ALL_LOADED, timeout=15_000)
        await page.screenshot(path=artefact(f"gallery-{size}-end.png"))

        thumbs = [url for url in fetched if url.endswith("/thumbnail")]
        assert len(thumbs) == PACK and await page.locator("img").count() == PACK
        full = [url for url in fetched if re.search(r"/g/[^/]+/[0-9]+$", url)]
        assert full == [], "the page downloaded full-size images"
        assert sum(fetched.values()) <= 3_000_000
        assert complaints == [], [url for url in fetched if "thumbnail" not in url]  # a CSP refusal shows up here
        assert await page.evaluate("getComputedStyle(document.querySelector('.grid')).display") == "grid"
        columns = await page.evaluate(
            "getComputedStyle(document.querySelector('.grid')).gridTemplateColumns.split(' ').length"
        )
        assert columns == 2 if size == "phone" else columns >= 5

        # A click on a thumbnail shows the full image.
        await page.goto(pack.url)
        await page.locator("a.view").nth(6).click()
        await page.wait_for_url(re.compile(r"/g/[^/]+/7$"))
        assert await page.evaluate("document.images[0].naturalWidth") == 900
        await page.go_back()

        # Each picture downloads under its own name, and "Download all" brings the zip.
        async with page.expect_download() as single:
            await page.locator("a.save").nth(2).click()
        assert (await single.value).suggested_filename == "headshot-03.jpg"
        async with page.expect_download() as everything:
            await page.locator("a.all").click()
        download = await everything.value
        assert download.suggested_filename == "headshots.zip"
        saved = Path(await download.path())
        with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
            assert archive.namelist() == [f"headshot-{n:02d}.jpg" for n in range(1, PACK + 1)]
            assert [archive.read(name) for name in archive.namelist()] == pack.images

        assert [text for text in complaints if "404" not in text] == [], complaints
        assert refused == [], refused

        # A wrong link gets the short page, styled like the gallery.
        response = await page.goto(f"{pack.base}/g/{new_token()}")
        assert response is not None and response.status == 404
        await page.screenshot(path=artefact(f"gallery-{size}-not-found.png"))
        assert await page.evaluate("getComputedStyle(document.querySelector('.notice')).borderRadius") == "14px"
        assert [text for text in complaints if "404" not in text] == []
        await context.close()
