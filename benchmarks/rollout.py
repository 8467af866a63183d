"""A team rollout at scale: a campaign's 2,000 invitations paced under Slack's limits, and the export
of 2,000 favourites.

Pacing: the campaign worker and the real Slack messenger (slack_sdk) against the fake Slack on
loopback, with every duration scaled by `SCALE` (1/100): the worker's gap between invitations is
1.2 s x SCALE (Slack's conversations.open allows 50 a minute, chat.postMessage about one a second),
and the fake answers 429 when the workspace posts faster than one message per 1 s x SCALE beyond a
burst of 3 (a token bucket: Slack allows short bursts; at this scale the bucket also absorbs the
machine's scheduling jitter, which the scaling magnifies a hundredfold). The floor is
2,000 x 1.2 s x SCALE; the figure is the time the worker took, and no 429 may have come back.

Export: 2,000 delivered jobs with one favourite each (about 0.2 MB a picture) written into a
DATA_DIR, then `headshot-bot serve` (Slack on, `users.info` answered by the fake) in its own process;
the client downloads `/export/{token}.zip` over loopback. Speed counts from the first byte (before
it, the server reads the favourites and names 2,000 people); memory is the server's peak resident
set during the download less its resident set before.
"""

from __future__ import annotations

import asyncio
import io
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
from bot.campaigns.model import Campaign, Invitee
from bot.campaigns.worker import CampaignWorker
from bot.gallery.tokens import new_token, token_hash
from bot.jobs import ExportLink, Favourite, Job, JobChange, JobState
from bot.options import Options
from bot.workspace_admin import WorkspaceKits
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from tests.images import astronaut_jpeg
from tests.servers import running
from tests.slack.fake_slack import TEAM, TOKEN, FakeSlack

SCALE = 0.01
SLACK_GAP_S = 1.2  # the worker's pace between invitations, unscaled
SLACK_LIMIT_S = 1.0  # what the fake enforces between a workspace's posts, unscaled
MAX_OVER_FLOOR = 1.2
MIN_MB_PER_S = 200.0
MAX_GROWTH_MB = 20.0
VARIANTS = 4


async def _pacing(people: int) -> Row:
    from adapters.slack.campaign_messages import SlackCampaignMessenger
    from adapters.slack.workspaces import OneWorkspace

    fake = FakeSlack(post_gap_s=SLACK_LIMIT_S * SCALE)
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        store = await SqliteJobStore.open(Path(tmp) / "headshot-bot.db")
        async with running(fake.app()) as url, aiohttp.ClientSession() as http:
            fake.url = url
            worker = CampaignWorker(store, WorkspaceKits(store))
            messenger = SlackCampaignMessenger(OneWorkspace(TOKEN, f"{url}/api/", http))
            messenger.min_interval_s = SLACK_GAP_S * SCALE
            worker.messengers["slack"] = messenger
            now = time.time()
            campaign = Campaign(
                uuid.uuid4().hex,
                f"slack:{TEAM}",
                "slack",
                "Headshot day",
                "bench",
                now,
                now + 7 * 86400,
                now + 6 * 86400,
            )
            await store.add_campaign(
                campaign,
                [Invitee(f"slack:{TEAM}:U{n:05d}", {"team": TEAM, "user": f"U{n:05d}"}) for n in range(people)],
            )
            started = time.perf_counter()
            await worker.run_until_idle()
            took = time.perf_counter() - started
        await store.close()
    sent = [c for c in fake.calls_to("chat.postMessage") if str(c.params["channel"]).startswith("D")]
    floor = people * SLACK_GAP_S * SCALE
    once = len(sent) == people and len({c.params["channel"] for c in sent}) == people
    return Row(
        "rollout invitations",
        f"{people} in {took:.1f} s, {fake.rate_limited} answered 429",
        f"floor {floor:.1f} s ({people} x {SLACK_GAP_S} s x {SCALE:g})",
        took / floor,
        f"<= {MAX_OVER_FLOOR:.2f}x",
        took <= floor * MAX_OVER_FLOOR and fake.rate_limited == 0 and once,
        f"clock scaled by {SCALE:g}; the fake allows one post per {SLACK_LIMIT_S} s x {SCALE:g}, bursts of 3",
    )


def _picture(variant: int) -> bytes:
    """A 1024 x 1024 headshot-sized JPEG with grain, about 0.2 MB."""
    with Image.open(io.BytesIO(astronaut_jpeg())) as opened:
        square = ImageOps.fit(opened.convert("RGB"), (1024, 1024), Image.Resampling.BICUBIC)
    grain = np.random.default_rng(variant).normal(0, 6, (1024, 1024, 3))
    pixels = np.clip(np.asarray(square, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


async def _prepare_export(data: Path, people: int) -> tuple[str, int]:
    """Delivered jobs with one favourite each and an export link; returns its token and the pictures' bytes."""
    pictures = [_picture(n) for n in range(VARIANTS)]
    store, blobs = await SqliteJobStore.open(data / "headshot-bot.db"), FileBlobStore(data / "blobs")
    total = 0
    try:
        for n in range(people):
            owner = f"slack:{TEAM}:U{n:05d}"
            job = Job(
                id=uuid.uuid4().hex,
                owner=owner,
                surface="slack",
                thread={},
                provider="studio",
                options=Options(),
                photo_count=1,
                state=JobState.DELIVERING,
                workspace=f"slack:{TEAM}",
            )
            await store.add(job)
            picture = pictures[n % VARIANTS]
            await blobs.put(result_key(job.id, 0), picture)
            await store.add_result(job.id, 0, result_key(job.id, 0), len(picture))
            await store.update(job.id, JobChange(state=JobState.DELIVERED))
            await store.mark_favourite(Favourite(owner, job.id, 0, time.time()))
            total += len(picture)
        token = new_token()
        await store.add_export_link(
            ExportLink(
                token_hash(token),
                f"slack:{TEAM}",
                f"slack:{TEAM}:",
                "slack",
                f"slack:{TEAM}:UADMIN",
                time.time() + 86400,
            ),
            time.time(),
        )
    finally:
        await store.close()
    return token, total


async def _download(url: str) -> tuple[int, float, float]:
    """Bytes, seconds to the first byte, seconds from the first byte to the last."""
    size = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200, response.status
        first: float | None = None
        while chunk := await response.content.read(1024 * 1024):
            first = first if first is not None else time.perf_counter()
            size += len(chunk)
    ended = time.perf_counter()
    first = first or ended
    return size, first - started, ended - first


async def _export(people: int, rounds: int) -> list[Row]:
    fake = FakeSlack()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        data = Path(tmp)
        token, pictures_bytes = await _prepare_export(data, people)
        async with running(fake.app()) as slack_url:
            fake.url = slack_url
            port = free_port()
            base = f"http://{LOOPBACK}:{port}"
            env = serve_env(
                data,
                port,
                SLACK_BOT_TOKEN=TOKEN,
                SLACK_SIGNING_SECRET="bench-signing-secret",
                SLACK_API_BASE_URL=f"{slack_url}/api/",
            )
            process = start_serve(data, env, data / "serve.log")
            try:
                await wait_healthy(base, process, 30.0)
                speeds, waits, growth = [], [], []
                for _ in range(rounds):
                    before_kb = proc_status_kb(process.pid, "VmRSS")
                    Path(f"/proc/{process.pid}/clear_refs").write_text("5")
                    size, wait, streaming = await _download(f"{base}/export/{token}.zip")
                    growth.append((proc_status_kb(process.pid, "VmHWM") - before_kb) / 1024)
                    speeds.append(size / 1e6 / streaming)
                    waits.append(wait)
            finally:
                stop_serve(process)
    speed, wait, grew = statistics.median(speeds), statistics.median(waits), max(growth)
    note = f"{people} x {pictures_bytes / people / 1e6:.2f} MB, median of {rounds}; serve in its own process"
    return [
        Row(
            "export zip speed",
            f"{speed:.0f} MB/s ({size / 1e6:.0f} MB zip)",
            f"limit {MIN_MB_PER_S:.0f} MB/s; first byte after {wait:.2f} s",
            speed / MIN_MB_PER_S,
            ">= 1.00x",
            speed >= MIN_MB_PER_S,
            note + f"; {len(fake.calls_to('users.info'))} users.info in all",
        ),
        Row(
            "export zip memory",
            f"peak RSS +{grew:.1f} MB while streaming",
            f"limit {MAX_GROWTH_MB:.0f} MB",
            grew / MAX_GROWTH_MB,
            f"<= {MAX_GROWTH_MB:.0f} MB",
            grew <= MAX_GROWTH_MB,
            "largest growth of the rounds, names and favourites read included",
        ),
    ]


async def run(quick: bool) -> list[Row]:
    """Pace a campaign's invitations, then download the favourites' export."""
    people = 500 if quick else 2000
    rows = [await _pacing(people)]
    rows += await _export(people, 2 if quick else 3)
    await asyncio.sleep(0)
    return rows
