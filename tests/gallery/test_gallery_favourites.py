"""The gallery shows its owner's favourites first, each marked with ★ and with words for screen readers."""

from __future__ import annotations

import re

from bot.picks import HeadshotPicks
from tests.gallery.conftest import OWNER, Gallery


async def page(gallery: Gallery) -> str:
    async with gallery.http.get(gallery.url) as response:
        assert response.status == 200
        return await response.text()


async def test_favourites_come_first_and_are_marked(gallery: Gallery) -> None:
    picks = HeadshotPicks(gallery.core.store, gallery.core.blobs, galleries=gallery.core.galleries)
    html = await page(gallery)
    assert "favourite\">" not in html and "a favourite" not in html and "come first" not in html
    for number in (5, 2):
        assert await picks.toggle_favourite(await picks.pick(gallery.job_id, number, OWNER, None))

    html = await page(gallery)
    thumbs = re.findall(r'<img src="[^"/]+/([0-9]+)/thumbnail"', html)
    assert thumbs == ["2", "5", "1", "3", "4", "6"]  # favourites first, each group in number order
    assert html.count('<li class="shot favourite">') == 2 and "Your 2 favourites come first." in html
    assert '<span class="hidden">Favourite, headshot </span>2' in html  # what a screen reader says
    assert 'alt="Headshot 5, a favourite"' in html and 'alt="Headshot 1"' in html
    assert f'href="{gallery.token}/5"' in html  # the numbers (and links) stay those of the thread

    assert not await picks.toggle_favourite(await picks.pick(gallery.job_id, 2, OWNER, None))
    html = await page(gallery)
    assert re.findall(r'<img src="[^"/]+/([0-9]+)/thumbnail"', html)[:2] == ["5", "1"]
    assert "Your favourite comes first." in html
