"""A 60 x 1.5 MB pack's gallery on a real `headshot-bot serve`: the zip's speed and memory, the page's weight.

The pack is written into the store and published (thumbnails, manifest, a link) before `serve`
starts on the same DATA_DIR; the client is this process, over loopback. The zip's baseline is
the same 60 images fetched one after another through the gallery's image route. Memory is the
server's peak resident set during each download (its VmHWM, reset through /proc/<pid>/clear_refs
just before) less its resident set before.
"""

from __future__ import annotations

import io
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import numpy as np
from PIL import Image, ImageOps

from benchmarks.common import LOOPBACK, free_port, proc_status_kb, serve_env, start_serve, stop_serve, wait_healthy
from benchmarks.table import Row
from bot.blob_keys import result_key
from bot.gallery.publish import Galleries
from bot.jobs import Job, JobChange, JobState
from bot.options import Options
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from tests.images import astronaut_jpeg, grace_hopper_jpeg

IMAGES = 60
VARIANTS = 6
MIN_MB_PER_S = 200.0
MAX_GROWTH_MB = 20.0
MAX_PAGE_MB = 3.0
_READ = 1024 * 1024


def pack_image(variant: int) -> bytes:
    """A 2000 x 2500 portrait with film grain, about 1.5 MB as a JPEG (a provider's full-size result)."""
    source = astronaut_jpeg() if variant % 2 else grace_hopper_jpeg()
    with Image.open(io.BytesIO(source)) as opened:
        portrait = ImageOps.fit(opened.convert("RGB"), (2000, 2500), Image.Resampling.BICUBIC, centering=(0.5, 0.3))
    grain = np.random.default_rng(variant).normal(0, 9, (2500, 2000, 3))
    pixels = np.clip(np.asarray(portrait, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


async def _prepare(data: Path, images: list[bytes], public: str) -> tuple[str, float]:
    """A delivered job with `images` as its results and a published gallery; returns its token and
    how long publishing (60 thumbnails) took."""
    store = await SqliteJobStore.open(data / "headshot-bot.db")
    blobs = FileBlobStore(data / "blobs")
    try:
        job = Job(id=uuid.uuid4().hex, owner="bench:1", surface="slack", thread={}, provider="runflow",
                  options=Options(), photo_count=1, state=JobState.DELIVERING, created_at=time.time())
        await store.add(job)
        for index, data_ in enumerate(images):
            key = result_key(job.id, index)
            await blobs.put(key, data_)
            await store.add_result(job.id, index, key, len(data_))
        galleries = Galleries(store, blobs, base_url=public, retention_seconds=86400)
        started = time.perf_counter()
        link = await galleries.publish(job)
        took = time.perf_counter() - started
        assert link is not None
        await store.update(job.id, JobChange(state=JobState.DELIVERED))
    finally:
        await store.close()
    return link.url.rsplit("/", 1)[1], took


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


async def _drain(http: aiohttp.ClientSession, url: str) -> int:
    size = 0
    async with http.get(url) as response:
        assert response.status == 200, (url, response.status)
        while chunk := await response.content.read(_READ):
            size += len(chunk)
    return size


async def run(quick: bool) -> list[Row]:
    """Publish a pack, start `serve`, weigh the page, then time the zip against the images one by one."""
    rounds = 2 if quick else 3
    variants = [pack_image(n) for n in range(VARIANTS)]
    images = [variants[n % VARIANTS] for n in range(IMAGES)]
    pack_mb = sum(len(i) for i in images) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-gallery-") as tmp:
        data = Path(tmp)
        port = free_port()
        base = f"http://{LOOPBACK}:{port}"
        token, publish_s = await _prepare(data, images, base)
        process = start_serve(data, serve_env(data, port), data / "serve.log")
        try:
            await wait_healthy(base, process, 20.0)
            gallery = f"{base}/g/{token}"
            async with aiohttp.ClientSession() as http:
                async with http.get(gallery) as response:
                    page = await response.read()
                thumbs = re.findall(rb'<img src="([^"]+)"', page)
                weight = len(page) + sum([await _drain(http, f"{base}/g/{src.decode()}") for src in thumbs])
                plain, zipped, growth = [], [], []
                for _ in range(rounds):
                    started = time.perf_counter()
                    for number in range(1, IMAGES + 1):
                        await _drain(http, f"{gallery}/{number}")
                    plain.append(pack_mb / (time.perf_counter() - started))
                    before_kb = proc_status_kb(process.pid, "VmRSS")
                    exact = _reset_peak(process.pid)
                    hwm_before = proc_status_kb(process.pid, "VmHWM")
                    started = time.perf_counter()
                    size = await _drain(http, f"{gallery}/headshots.zip")
                    zipped.append(size / 1e6 / (time.perf_counter() - started))
                    peak_kb = proc_status_kb(process.pid, "VmHWM")
                    growth.append((peak_kb - (before_kb if exact else hwm_before)) / 1024)
        finally:
            stop_serve(process)
    speed, bare, grew = statistics.median(zipped), statistics.median(plain), max(growth)
    note = f"{IMAGES} x {pack_mb / IMAGES:.1f} MB, median of {rounds}; loopback, serve in its own process"
    return [
        Row("gallery zip speed", f"{speed:.0f} MB/s ({size / 1e6:.0f} MB zip)",
            f"limit {MIN_MB_PER_S:.0f} MB/s; images one by one {bare:.0f} MB/s", speed / MIN_MB_PER_S,
            ">= 1.00x", speed >= MIN_MB_PER_S, note),
        Row("gallery zip memory", f"peak RSS +{grew:.1f} MB while streaming",
            f"limit {MAX_GROWTH_MB:.0f} MB", grew / MAX_GROWTH_MB, f"<= {MAX_GROWTH_MB:.0f} MB",
            grew <= MAX_GROWTH_MB, "largest growth of the rounds" + ("" if exact else " (VmHWM not resettable)")),
        Row("gallery page weight", f"{weight / 1e6:.2f} MB (page + {len(thumbs)} thumbnails)",
            f"limit {MAX_PAGE_MB:.0f} MB", weight / 1e6 / MAX_PAGE_MB, f"<= {MAX_PAGE_MB:.0f} MB",
            weight / 1e6 <= MAX_PAGE_MB and len(thumbs) == IMAGES,
            f"thumbnails made once at delivery in {publish_s:.1f} s"),
    ]
