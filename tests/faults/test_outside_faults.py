"""Others' faults are survived: provider outages, expiring result links, a full disk."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
from aiohttp import web

from bot.jobs import JobState
from bot.options import Options
from bot.photos import Photo
from bot.ports import Submitted
from bot.providers.agentai import AgentAIProvider
from bot.runner import JobRunner
from bot.wiring.app import Core, build_core
from tests.conftest import make_settings, submit
from tests.doubles import RecordingSurface, ScriptedProvider
from tests.fakes import Reply, small_jpeg
from tests.fakes.agentai import FakeAgentAI
from tests.fakes.cdn import FakeCDN
from tests.faults.harness import (
    AGENTAI_KEY,
    REPO,
    BotProcess,
    Fakes,
    callback_body,
    post_callback,
    wait_submissions,
)
from tests.images import astronaut_jpeg


class ResettingAgentAI(FakeAgentAI):
    """agent.ai whose first `resets` requests lose their connection before any answer."""

    def __init__(self) -> None:
        super().__init__(AGENTAI_KEY)
        self.resets = 0

    async def _action(self, request: web.Request) -> web.StreamResponse:
        if self.resets > 0:
            self.resets -= 1
            await request.read()
            assert request.transport is not None
            request.transport.abort()  # a TCP reset, as a load balancer dropping us would
            return web.Response()
        return await super()._action(request)


@pytest.fixture
async def agentai_core(tmp_path: Path) -> AsyncIterator[tuple[Core, ResettingAgentAI, RecordingSurface]]:
    async with ResettingAgentAI() as fake:
        surface = RecordingSurface()
        settings = make_settings(tmp_path, agentai_api_key=AGENTAI_KEY, agentai_base_url=fake.url)
        core = await build_core(settings, surfaces={"test": surface})
        provider = cast(AgentAIProvider, core.catalog.get("agentai"))
        provider.retry_base_delay = 0.01
        provider.timeout_factor = 0.01  # a one-image request may take about a second here
        try:
            yield core, cast(ResettingAgentAI, fake), surface
        finally:
            await core.close()


async def run_job(core: Core) -> str:
    """Accept one agent.ai job for one photo and run it to its end; returns its id."""
    request = core.intake.build_request([Photo(astronaut_jpeg())], Options(count=1), "agentai")
    job = await core.intake.accept(request, owner="u1", surface="test", thread={"t": 1})
    await core.runner.run_until_idle()
    return job.id


async def test_provider_resets_5xx_and_timeouts_are_retried_until_it_works(
    agentai_core: tuple[Core, ResettingAgentAI, RecordingSurface],
) -> None:
    core, fake, surface = agentai_core
    fake.resets = 1
    fake.script = [Reply(503, "upstream connect error"), Reply(200, {"status": 200}, delay=3.0)]
    job_id = await run_job(core)
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED, job
    assert len(surface.files) == 1 and fake.resets == 0 and len(fake.requests) == 3  # a reset leaves no record
    assert (core.blobs.root / "jobs" / job_id / "in").exists() and not job.photos_purged  # kept for its buttons


async def test_a_provider_that_stays_down_ends_as_a_clear_failure(
    agentai_core: tuple[Core, ResettingAgentAI, RecordingSurface],
) -> None:
    core, fake, surface = agentai_core
    fake.script = [Reply(503, "down", headers={"Retry-After": "0"}) for _ in range(12)]
    job_id = await run_job(core)
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    [post] = surface.posts
    assert post.text.startswith("❌ agent.ai stayed unavailable through 4 tries; please try again later.")
    assert "tried again" not in post.text, "a failed job must not promise another try"


async def test_expired_result_links_cost_only_their_images(bot: BotProcess, fakes: Fakes) -> None:
    await bot.start()
    assert (await bot.request_job("runflow", user="U0HALF")).status == 200
    sub = await wait_submissions(fakes, 1)
    # The links of the second half have expired by the time they are fetched (S3 answers 403).
    urls = fakes.pack_urls(lambda n: "forbidden" if n >= 30 else None)
    assert await post_callback(sub.callback_url, callback_body(sub, urls)) == (200, {"status": "accepted"})
    [half] = await bot.ended(timeout=60)
    assert half["text"].startswith("✅") and "done: 30 in the thread" in half["text"]
    replies = bot.replies(half)
    assert sum(len(r.get("files", [])) for r in replies) == 30 + 1  # and the contact sheet
    last_batch = [r for r in replies if r.get("files")][-1]  # the gallery's link comes after it
    assert "(30 of 60 could not be downloaded from the provider or were not usable images)" in last_batch["text"]

    assert (await bot.request_job("runflow", user="U0NONE")).status == 200
    sub = await wait_submissions(fakes, 2)
    urls = fakes.pack_urls(lambda _n: "forbidden")
    await post_callback(sub.callback_url, callback_body(sub, urls))
    _, none = await bot.ended(count=2, timeout=60)
    assert none["text"].startswith("❌") and "None of the provider's images could be downloaded" in none["text"]
    assert any("None of the provider's images could be downloaded" in r["text"] for r in bot.replies(none))


FULL_DISK_WRITER = textwrap.dedent(
    """
    import asyncio, resource, signal, sys
    from pathlib import Path
    from bot.ports import BlobError
    from storage.sqlite.blobs import FileBlobStore

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    blobs = FileBlobStore(Path(sys.argv[1]))

    async def chunks():
        for _ in range(32):
            yield b"\\xff" * 8192

    async def main():
        for name, write in [
            ("put", lambda: blobs.put("jobs/j/out/00.jpg", b"\\xff" * 200_000)),
            ("put_stream", lambda: blobs.put_stream("jobs/j/out/01.jpg", chunks(), 10**7)),
        ]:
            try:
                await write()
            except BlobError as exc:
                print(name, "BlobError", exc)
            else:
                print(name, "written")

    asyncio.run(main())
    """
)


def test_a_full_disk_fails_clearly_and_leaves_no_partial_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_WRITER, str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ", 2)[:2] for line in lines] == [["put", "BlobError"], ["put_stream", "BlobError"]]
    assert all("File too large" in line for line in lines), lines
    left = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
    assert left == [], f"partial or temporary files left behind: {json.dumps(left)}"


async def test_a_store_that_cannot_write_backs_off_and_the_job_resumes(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider, caplog: pytest.LogCaptureFixture
) -> None:
    # Stands in for a full disk: SQLite still reads, every write it tries fails (as with ENOSPC),
    # and the blob store still writes, so only recording a step's outcome is impossible.
    scripted.capabilities = replace(scripted.capabilities, asynchronous=True)
    scripted.script = [Submitted(remote_id="remote-1")]
    job_id = await submit(core)
    await core.runner.run_until_idle()
    token = (scripted.calls[0].callback_url or "").rsplit("/", 1)[1]
    async with FakeCDN() as cdn:
        cdn.slow_seconds = 0.5
        images = [small_jpeg(n) for n in range(60)]
        urls = [cdn.put(f"pack/{n:02d}.jpg", data, "slow") for n, data in enumerate(images)]
        assert await core.engine.accept_callback(token, "remote-1", urls)
        runner = JobRunner(core.store, core.engine, concurrency=4, lease_seconds=1.0)
        database = core.store._db  # the store's own connection: the one whose writes must fail
        work = asyncio.create_task(runner.run())
        try:
            await asyncio.sleep(0.2)  # the downloads are under way
            await database.execute("PRAGMA query_only = 1")
            caplog.clear()
            await asyncio.sleep(4.0)
            during = len(cdn.seen)
            complaints = [r for r in caplog.records if r.levelno >= logging.WARNING]
            survived = not work.done()
            await database.execute("PRAGMA query_only = 0")
            for _ in range(300):
                job = await core.store.get(job_id)
                if job is not None and job.finished:
                    break
                await asyncio.sleep(0.1)
        finally:
            await runner.stop()
            work.cancel()
    assert survived, "the runner must survive a failing store"
    assert during <= 120, f"{during} CDN requests while the store could not write"
    assert len(complaints) <= 3, [r.getMessage() for r in complaints]
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED and job.results_done == 60
    posted = [data for name, data in surface.files if name.startswith("headshot-")]
    assert sorted(posted) == sorted(images)
