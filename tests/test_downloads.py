"""Safe downloads: address rules after DNS and on every redirect, caps, content checks, headers."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.downloads import Downloader, DownloadError, IPAddress, is_public_address, sniff_image
from storage.sqlite.blobs import FileBlobStore
from tests.fakes import gradient_jpeg
from tests.fakes.cdn import FakeCDN

# Names the tests resolve themselves: "public" ones lead to 127.0.0.1, which the test policy
# treats as public; "internal" leads to 127.0.0.2, which it does not.
PIXELS = 10_000_000
NAMES = {"cdn.public.test": "127.0.0.1", "other.public.test": "127.0.0.1", "internal.test": "127.0.0.2"}


async def fake_resolve(host: str, port: int) -> list[str]:
    return [NAMES[host.rstrip(".")]]


def loopback_is_public(address: IPAddress) -> bool:
    return address == ipaddress.ip_address("127.0.0.1")


@pytest.fixture
async def cdn() -> AsyncIterator[FakeCDN]:
    async with FakeCDN() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0)) as http:
        yield http


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def guarded(http: aiohttp.ClientSession, **kwargs: object) -> Downloader:
    """A production-mode downloader (no private addresses) that may use plain http against the fakes."""
    return Downloader(
        http, allow_private=False, require_https=False, resolve=fake_resolve, policy=loopback_is_public, **kwargs
    )  # type: ignore[arg-type]


def named(cdn: FakeCDN, name: str, host: str = "cdn.public.test") -> str:
    return f"http://{host}:{cdn.port}/{name}"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "2002:7f00:1::1", "2001:db8::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_images_are_recognised_by_their_bytes() -> None:
    assert sniff_image(gradient_jpeg(32)) == "image/jpeg"
    assert sniff_image(b"\x89PNG\r\n\x1a\n" + bytes(8)) == "image/png"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"\x00\x00\x00\x18ftypheic\x00\x00") == "image/heic"
    assert sniff_image(b"\x00\x00\x00\x18ftypavif\x00\x00") == "image/avif"
    assert sniff_image(b"GIF89a" + bytes(10)) is None
    assert sniff_image(b"<!DOCTYPE html>") is None


async def test_a_public_url_is_fetched_through_the_checked_address(
    cdn: FakeCDN, http: aiohttp.ClientSession, blobs: FileBlobStore
) -> None:
    data = gradient_jpeg()
    cdn.put("a.jpg", data)
    size = await guarded(http).save_image(named(cdn, "a.jpg"), blobs, "out/a.jpg", max_bytes=1 << 20, max_pixels=PIXELS)
    assert size == len(data) and await blobs.get("out/a.jpg") == data
    assert cdn.seen[0].headers["Host"] == f"cdn.public.test:{cdn.port}"


async def test_loopback_is_refused_without_allow_private(cdn: FakeCDN, http: aiohttp.ClientSession) -> None:
    cdn.put("a.jpg", gradient_jpeg(64))
    with pytest.raises(DownloadError, match="private or reserved") as caught:
        await Downloader(http, allow_private=False, require_https=False).fetch(f"{cdn.url}/a.jpg", max_bytes=1 << 20)
    assert not caught.value.retryable and cdn.seen == []
    allowed = await Downloader(http, allow_private=True).fetch(f"{cdn.url}/a.jpg", max_bytes=1 << 20)
    assert allowed == cdn.files["a.jpg"]


async def test_cloud_metadata_address_is_refused(http: aiohttp.ClientSession) -> None:
    for url in ("http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/"):
        with pytest.raises(DownloadError) as caught:
            await Downloader(http, allow_private=False).fetch(url, max_bytes=1024)
        assert not caught.value.retryable


async def test_only_https_is_accepted_in_production(http: aiohttp.ClientSession) -> None:
    with pytest.raises(DownloadError, match="only https"):
        await Downloader(http, allow_private=False).fetch("http://example.com/a.jpg", max_bytes=1024)
    with pytest.raises(DownloadError, match="not a web address"):
        await Downloader(http, allow_private=True).fetch("file:///etc/passwd", max_bytes=1024)


async def test_a_name_that_resolves_to_a_private_address_is_refused(
    cdn: FakeCDN, http: aiohttp.ClientSession
) -> None:
    cdn.put("a.jpg", gradient_jpeg(64))
    with pytest.raises(DownloadError, match="resolves to a private address"):
        await guarded(http).fetch(named(cdn, "a.jpg", "internal.test"), max_bytes=1 << 20)
    assert cdn.seen == []


@pytest.mark.parametrize("target", ["http://internal.test:{port}/b.jpg", "http://169.254.169.254/latest/meta-data/"])
async def test_a_redirect_to_a_private_address_is_refused(
    cdn: FakeCDN, http: aiohttp.ClientSession, target: str
) -> None:
    cdn.put("b.jpg", gradient_jpeg(64))
    cdn.put("a.jpg", b"", fault="redirect:" + target.format(port=cdn.port))
    with pytest.raises(DownloadError, match="private") as caught:
        await guarded(http).fetch(named(cdn, "a.jpg"), max_bytes=1 << 20)
    assert not caught.value.retryable
    assert [s.path for s in cdn.seen] == ["/a.jpg"]  # the private target was never reached


async def test_redirects_are_followed_and_bounded(cdn: FakeCDN, http: aiohttp.ClientSession) -> None:
    data = gradient_jpeg(64)
    cdn.put("final.jpg", data)
    cdn.put("hop.jpg", b"", fault="redirect:/final.jpg")
    assert await guarded(http).fetch(named(cdn, "hop.jpg"), max_bytes=1 << 20) == data
    for n in range(5):
        cdn.put(f"loop{n}.jpg", b"", fault=f"redirect:/loop{n + 1}.jpg")
    with pytest.raises(DownloadError, match="redirected more than 3 times"):
        await guarded(http, max_redirects=3).fetch(named(cdn, "loop0.jpg"), max_bytes=1 << 20)


async def test_headers_go_to_the_original_host_only(cdn: FakeCDN, http: aiohttp.ClientSession) -> None:
    cdn.put("final.jpg", gradient_jpeg(64))
    cdn.put("same.jpg", b"", fault="redirect:/final.jpg")
    cdn.put("away.jpg", b"", fault=f"redirect:http://other.public.test:{cdn.port}/final.jpg")
    secret = {"Authorization": "Bearer xoxb-secret"}
    await guarded(http).fetch(named(cdn, "same.jpg"), max_bytes=1 << 20, headers=secret)
    assert [s.headers.get("Authorization") for s in cdn.seen] == ["Bearer xoxb-secret"] * 2
    cdn.seen.clear()
    await guarded(http).fetch(named(cdn, "away.jpg"), max_bytes=1 << 20, headers=secret)
    assert [s.headers.get("Authorization") for s in cdn.seen] == ["Bearer xoxb-secret", None]
    assert cdn.seen[1].headers["Host"] == f"other.public.test:{cdn.port}"


async def test_bytes_are_capped_by_length_and_while_streaming(
    cdn: FakeCDN, http: aiohttp.ClientSession, blobs: FileBlobStore, tmp_path: Path
) -> None:
    big = gradient_jpeg(512)
    downloader = Downloader(http, allow_private=True)
    cdn.put("declared.jpg", big)
    cdn.put("streamed.jpg", big, fault="stream")
    for name in ("declared.jpg", "streamed.jpg"):
        with pytest.raises(DownloadError, match="larger than") as caught:
            await downloader.save_image(
                f"{cdn.url}/{name}", blobs, f"out/{name}", max_bytes=len(big) - 1, max_pixels=PIXELS
            )
        assert not caught.value.retryable
    assert stored_files(tmp_path / "blobs") == []
    saved = await downloader.save_image(
        f"{cdn.url}/streamed.jpg", blobs, "out/ok.jpg", max_bytes=len(big), max_pixels=PIXELS
    )
    assert saved == len(big)


async def test_statuses_say_whether_to_retry(cdn: FakeCDN, http: aiohttp.ClientSession) -> None:
    downloader = Downloader(http, allow_private=True)
    cdn.put("gone.jpg", b"", fault="forbidden")
    cdn.put("broken.jpg", b"", fault="error")
    with pytest.raises(DownloadError, match="expired or was refused") as forbidden:
        await downloader.fetch(f"{cdn.url}/gone.jpg?X-Amz-Signature=s3cr3t", max_bytes=1 << 20)
    assert not forbidden.value.retryable and "s3cr3t" not in str(forbidden.value)
    with pytest.raises(DownloadError) as broken:
        await downloader.fetch(f"{cdn.url}/broken.jpg", max_bytes=1 << 20)
    assert broken.value.retryable
    with pytest.raises(DownloadError, match="not found") as missing:
        await downloader.fetch(f"{cdn.url}/nothing.jpg", max_bytes=1 << 20)
    assert not missing.value.retryable


async def test_connection_failures_and_timeouts_are_retryable(cdn: FakeCDN, http: aiohttp.ClientSession) -> None:
    downloader = Downloader(http, allow_private=True)
    cdn.put("slow.jpg", gradient_jpeg(64), fault="slow")
    cdn.slow_seconds = 0.5
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as impatient:
        with pytest.raises(DownloadError, match="timed out") as slow:
            await Downloader(impatient, allow_private=True).fetch(f"{cdn.url}/slow.jpg", max_bytes=1 << 20)
    assert slow.value.retryable
    with pytest.raises(DownloadError, match="Could not connect") as refused:
        await downloader.fetch("http://127.0.0.1:9/a.jpg", max_bytes=1 << 20)
    assert refused.value.retryable


async def test_a_body_that_is_not_an_image_leaves_no_file(
    cdn: FakeCDN, http: aiohttp.ClientSession, blobs: FileBlobStore, tmp_path: Path
) -> None:
    cdn.put("login.jpg", b"", fault="garbage")
    cdn.put("tiny.jpg", b"\x00\x01")
    downloader = Downloader(http, allow_private=True)
    for name in ("login.jpg", "tiny.jpg"):
        with pytest.raises(DownloadError, match="is not an image") as caught:
            await downloader.save_image(f"{cdn.url}/{name}", blobs, f"out/{name}", max_bytes=1 << 20, max_pixels=PIXELS)
        assert not caught.value.retryable
    assert stored_files(tmp_path / "blobs") == []
