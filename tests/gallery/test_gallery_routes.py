"""The gallery routes on a real server: the page, each image, the zip, and every refusal."""

from __future__ import annotations

import io
import re
import sqlite3
import time
import zipfile
from pathlib import Path

import aiohttp
from PIL import Image
from yarl import URL

from bot.gallery.tokens import new_token, token_hash
from tests.gallery.conftest import PUBLIC, Gallery, gallery_for, headshot

TYPES = ["image/jpeg"] * 4 + ["image/png", "image/webp"]
NAMES = [f"headshot-0{n}.jpg" for n in range(1, 5)] + ["headshot-05.png", "headshot-06.webp"]


def assert_guarded(response: aiohttp.ClientResponse) -> None:
    """The headers the contract puts on every answer under /g/."""
    headers = response.headers
    assert headers["Cache-Control"] == "private"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Robots-Tag"].startswith("noindex")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    if response.content_type == "text/html":
        assert "img-src 'self' data:;" in csp and re.search(r"style-src 'sha256-[A-Za-z0-9+/]+=*';", csp)
    else:  # an image or the zip: no markup that could use anything
        assert "img-src 'self';" in csp


async def test_the_page_shows_every_result_as_a_thumbnail_linked_to_the_full_image(gallery: Gallery) -> None:
    async with gallery.http.get(gallery.url) as response:
        assert response.status == 200 and response.content_type == "text/html"
        assert_guarded(response)
        html = await response.text()
    thumbs = re.findall(r'<img src="([^"]+)"', html)
    assert thumbs == [f"{gallery.token}/{n}/thumbnail" for n in range(1, 7)]
    for number, name in enumerate(NAMES, start=1):
        assert f'href="{gallery.token}/{number}" download="{name}"' in html
    assert f'href="{gallery.token}/headshots.zip"' in html
    assert "Your 6 headshots" in html and "Scripted, from 2 photos" in html and "Executive" in html
    assert "Kept until" in html and "Anyone who has this link can see these pictures" in html
    # What the user typed is shown as text, never as markup.
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from outside


async def test_the_page_speaks_the_browsers_language_and_shows_labels_not_values(gallery: Gallery) -> None:
    async with gallery.http.get(gallery.url, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}) as response:
        assert response.status == 200 and response.headers["Vary"] == "Accept-Language"
        html = await response.text()
    assert '<html lang="de-DE">' in html and "Deine 6 Porträts" in html and "Alle herunterladen" in html
    assert "Scripted, aus 2 Fotos" in html and "Führungskraft" in html and "executive" not in html
    async with gallery.http.get(f"{gallery.base}/g/{new_token()}", headers={"Accept-Language": "ja"}) as response:
        assert response.status == 404
        assert "ギャラリーはありません" in await response.text()


async def test_each_image_is_the_stored_bytes_with_its_real_type(gallery: Gallery) -> None:
    for number, (data, media_type, name) in enumerate(zip(gallery.images, TYPES, NAMES, strict=True), start=1):
        async with gallery.http.get(f"{gallery.url}/{number}") as response:
            assert response.status == 200
            assert_guarded(response)
            assert response.headers["Content-Type"] == media_type
            assert name in response.headers["Content-Disposition"]
            assert await response.read() == data


async def test_thumbnails_are_small_jpegs_about_400_pixels_wide(gallery: Gallery) -> None:
    for number in range(1, 7):
        async with gallery.http.get(f"{gallery.url}/{number}/thumbnail") as response:
            assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
            assert_guarded(response)
            data = await response.read()
        assert len(data) < 60_000
        with Image.open(io.BytesIO(data)) as thumb:
            assert thumb.format == "JPEG" and thumb.width == 400


async def test_the_zip_holds_exactly_the_stored_results(gallery: Gallery) -> None:
    async with gallery.http.get(f"{gallery.url}/headshots.zip") as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/zip"
        assert_guarded(response)
        assert response.headers["Content-Disposition"] == 'attachment; filename="headshots.zip"'
        body = await response.read()
        assert int(response.headers["Content-Length"]) == len(body)
    stored = [await gallery.core.blobs.get(r.blob_key) for r in await gallery.core.store.results(gallery.job_id)
              if r.blob_key]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == NAMES
        assert [archive.read(name) for name in NAMES] == stored == gallery.images


def _snapshot(root: Path) -> tuple[list[str], list[tuple[str, int, float]]]:
    """Every row of the database and every stored file with its size and time."""
    with sqlite3.connect(root / "headshot-bot.db") as db:
        rows = list(db.iterdump())
    files = sorted((str(p), p.stat().st_size, p.stat().st_mtime) for p in (root / "blobs").rglob("*") if p.is_file())
    return rows, files


async def test_every_refusal_is_the_same_short_404_and_changes_nothing(gallery: Gallery, tmp_path: Path) -> None:
    before = _snapshot(tmp_path)
    token = gallery.token
    wrong = new_token()
    paths = [
        f"/g/{wrong}", f"/g/{wrong}/1", f"/g/{wrong}/1/thumbnail", f"/g/{wrong}/headshots.zip",
        f"/g/{token[:-1]}", f"/g/{token}x", f"/g/{token.upper()}", f"/g/{token_hash(token)}",
        f"/g/{token}/0", f"/g/{token}/7", f"/g/{token}/00", f"/g/{token}/99999", f"/g/{token}/-1",
        f"/g/{token}/1.jpg", f"/g/{token}/1/thumbnail/x", f"/g/{token}/headshots.zip/1", f"/g/{token}/",
        f"/g/{token}/%2e%2e/%2e%2e/healthz", f"/g/{token}/..%2f..%2fheadshot-bot.db", f"/g/{token}/%00",
        "/g", "/g/", "/g/..", "/g/%2e%2e/blobs", f"/g/{token}/1%2fthumbnail",
    ]
    for path in paths:
        async with gallery.http.get(URL(gallery.base + path, encoded=True)) as response:
            assert response.status == 404, path
            assert_guarded(response)
            text = await response.text()
            assert "No gallery here" in text and len(text) < 8000, path
    async with gallery.http.post(gallery.url) as response:
        assert response.status == 405
        assert_guarded(response)
    assert _snapshot(tmp_path) == before


async def test_forget_ends_the_gallery_at_once(gallery: Gallery) -> None:
    assert await gallery.core.service.forget("test:T1:U1") == 1
    for path in ("", "/1", "/1/thumbnail", "/headshots.zip"):
        async with gallery.http.get(gallery.url + path) as response:
            assert response.status == 404
            assert_guarded(response)


async def test_retention_ends_the_gallery_even_before_the_sweep(tmp_path: Path) -> None:
    retention_days = 0.5 / 86400  # half a second
    async for gallery in gallery_for(tmp_path, [headshot(1, 300, 300)], result_retention_days=retention_days):
        async with gallery.http.get(gallery.url) as response:
            assert response.status == 200
        time.sleep(0.6)
        async with gallery.http.get(gallery.url) as response:
            assert response.status == 404
        assert await gallery.core.retention.sweep_expired(time.time()) == 1
        with sqlite3.connect(tmp_path / "headshot-bot.db") as db:
            assert db.execute("SELECT COUNT(*) FROM gallery_links").fetchone() == (0,)
        assert not (tmp_path / "blobs" / "jobs" / gallery.job_id).exists()
        async with gallery.http.get(f"{gallery.url}/1/thumbnail") as response:
            assert response.status == 404


async def test_the_link_is_posted_in_the_thread_and_on_the_final_status(gallery: Gallery, tmp_path: Path) -> None:
    posts = [post for post in gallery.surface.posts if post.links]
    assert len(posts) == 1 and posts[0].key.endswith("· gallery") and not posts[0].files
    assert "All 6 headshots on one page" in posts[0].text
    assert [link.label for link in posts[0].links] == ["Open gallery"]
    final = gallery.surface.status_links[-1]
    assert gallery.surface.statuses[-1].startswith("✅") and [link.label for link in final] == ["Open gallery"]
    assert all(link.url.startswith(f"{PUBLIC}/g/") for link in [*posts[0].links, *final])
    # Only hashes are stored: no token appears anywhere in the database file.
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("headshot-bot.db*"))
    for token in gallery.link_tokens():
        assert token.encode() not in stored and len(token) >= 22  # at least 128 bits of base64
    # Each posted link opens the gallery (a resumed delivery adds links, never breaks one).
    for token in gallery.link_tokens():
        async with gallery.http.get(f"{gallery.base}/g/{token}") as response:
            assert response.status == 200


async def test_a_resumed_delivery_keeps_the_links_already_given(gallery: Gallery) -> None:
    job = await gallery.core.store.get(gallery.job_id)
    assert job is not None and gallery.core.galleries is not None
    again = await gallery.core.galleries.publish(job)
    assert again is not None
    for token in (gallery.token, again.url.rsplit("/", 1)[1]):
        async with gallery.http.get(f"{gallery.base}/g/{token}/1") as response:
            assert response.status == 200


async def test_without_a_public_address_there_is_no_gallery(core, surface, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import submit

    await submit(core, count=2)
    await core.runner.run_until_idle()
    assert core.galleries is None
    assert surface.posts and not any(post.links for post in surface.posts)
    assert not any(surface.status_links)
    assert not list((tmp_path / "blobs").rglob("thumbs"))
