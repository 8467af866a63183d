"""The gallery pages as checkers see them: contrast, valid URLs, a small gallery on a wide screen, any-device words."""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.gallery.tokens import new_token
from tests.browser import artefact, chromium
from tests.gallery.axe import axe_script, contrast_ratio, over, parse_colour
from tests.gallery.conftest import Gallery, gallery_for, headshot

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
AA_TEXT = 4.5  # WCAG 2 AA, for text under 18.66 px bold or 24 px

# Every attribute value that is a data: URL, on the page as served.
DATA_URLS = """() => [...document.querySelectorAll('*')].flatMap(element =>
    [...element.attributes].map(a => a.value).filter(v => v.trim().toLowerCase().startsWith('data:')))"""
# The label's text colour with every opacity above it, and the button's background under it.
LABEL_COLOURS = """() => {
    const label = document.querySelector('.all .size');
    let opacity = 1;
    for (let node = label; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
    return [getComputedStyle(label).color, opacity, getComputedStyle(label.closest('.all')).backgroundColor];
}"""


@pytest.fixture
async def three(tmp_path: Path) -> AsyncIterator[Gallery]:
    async for built in gallery_for(tmp_path, [headshot(n, 480, 600) for n in range(1, 4)]):
        yield built


async def test_a_small_gallery_on_a_desktop(three: Gallery) -> None:
    async with chromium() as browser:
        context = await browser.new_context(**DESKTOP, java_script_enabled=False)
        page = await context.new_page()
        await page.goto(three.url, wait_until="load")
        await page.screenshot(path=artefact("gallery-three-desktop.png"))

        # The three tiles sit in the middle of the window, at no more than their thumbnails' size.
        width = await page.evaluate("document.documentElement.clientWidth")
        boxes = [await tile.bounding_box() for tile in await page.locator(".shot").all()]
        assert len(boxes) == 3 and all(box is not None for box in boxes)
        left = min(box["x"] for box in boxes if box)
        right = width - max(box["x"] + box["width"] for box in boxes if box)
        assert abs(left - right) <= 2, (left, right)
        assert all(box["width"] <= 400 for box in boxes if box)

        # Words that fit a mouse, a finger or a keyboard.
        words = await page.inner_text("body")
        assert "Select a picture to open it full size." in words
        assert re.search(r"\b(tap|click)\b", words, re.IGNORECASE) is None, words

        # data: URLs (the icon) carry no raw spaces (the HTML checker's one error), and still decode.
        urls = await page.evaluate(DATA_URLS)
        await page.goto(f"{three.base}/g/{new_token()}")
        urls += await page.evaluate(DATA_URLS)
        assert len(urls) == 2 and all(not re.search(r"\s", url) for url in urls), urls
        for url in urls:
            kind, _, body = url.partition(",")
            assert kind == "data:image/svg+xml"
            assert ElementTree.fromstring(urllib.parse.unquote(body)).tag == "{http://www.w3.org/2000/svg}svg"
        await context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_zip_label_and_every_text_are_readable(three: Gallery, scheme: Any) -> None:
    async with chromium() as browser:
        context = await browser.new_context(**DESKTOP, color_scheme=scheme, bypass_csp=True)
        page = await context.new_page()
        await page.goto(three.url, wait_until="load")

        ink, opacity, paper = await page.evaluate(LABEL_COLOURS)
        red, green, blue, alpha = parse_colour(ink)
        background = parse_colour(paper)
        assert background[3] == 1.0
        ratio = contrast_ratio(over((red, green, blue, alpha * opacity), background[:3]), background[:3])
        assert ratio >= AA_TEXT, f"'zip, … MB' has {ratio:.2f}:1 in {scheme}"

        script = axe_script()
        if script is None:
            pytest.skip("axe-core could not be installed from npm; the label's contrast was checked alone")
        for url in (three.url, f"{three.base}/g/{new_token()}"):
            await page.goto(url, wait_until="load")
            await page.add_script_tag(path=script)
            found = await page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
                ".violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
            )
            assert found == [], f"{scheme}, {url}: {found}"
        await context.close()
