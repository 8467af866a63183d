"""Runflow: the submission format, its refusals, and a whole pack arriving through the real web server."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest
from aiohttp import web

from bot.blob_keys import result_key
from bot.intake import Ask, JobIntake, Reservation
from bot.jobs import JobState
from bot.options import Options
from bot.photos import Photo
from bot.ports import GenerationInput, ProviderError
from bot.providers.runflow import RunflowProvider
from bot.quota_guard import QuotaGuard
from bot.quotas import Limit, Period, QuotaPolicy, Scope
from bot.runner import JobRunner
from bot.wiring.app import build_core
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from tests.conftest import make_settings
from tests.doubles import RecordingSurface
from tests.fakes import Reply, gradient_jpeg, small_jpeg
from tests.fakes.cdn import FakeCDN
from tests.fakes.runflow import FakeRunflow, Submission, post_json
from tests.images import png_bomb_header

KEY = "runflow-test-key"
T = TypeVar("T")


def photos(n: int) -> list[Photo]:
    return [Photo(gradient_jpeg(512, seed=k)) for k in range(n)]


def task(n: int = 2, callback_url: str | None = "https://bot.example/webhooks/runflow/tok") -> GenerationInput:
    return GenerationInput(job_id="job-1", photos=photos(n), options=Options(), callback_url=callback_url)


@pytest.fixture
async def fake() -> AsyncIterator[FakeRunflow]:
    async with FakeRunflow(KEY) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
async def provider(fake: FakeRunflow) -> AsyncIterator[RunflowProvider]:
    async with aiohttp.ClientSession() as http:
        yield RunflowProvider(KEY, fake.url + "/", http, retry_base_delay=0.01)


async def test_the_submission_has_the_documented_multipart_format(fake: FakeRunflow, provider: RunflowProvider) -> None:
    job = task(3)
    submitted = await provider.generate(job)
    received = fake.submissions[0]
    assert submitted.remote_id == received.headshots_id and submitted.raw and received.headshots_id in submitted.raw
    assert received.api_key == KEY and received.callback_url == job.callback_url
    assert [(p.name, p.filename, p.content_type) for p in received.images] == [
        ("images", f"photo-{n}.jpg", "image/jpeg") for n in (1, 2, 3)
    ]
    assert [p.data for p in received.images] == [p.data for p in job.photos]


async def test_refusals_carry_runflows_message(fake: FakeRunflow, provider: RunflowProvider) -> None:
    fake.script = [
        Reply(422, {"code": "validation_error", "message": "Validation failed",
                    "errors": [{"field": "images", "message": "Image 2 has no detectable face"}]}),
        Reply(402, {"code": "insufficient_credits", "message": "Not enough credits for 60 headshots", "errors": []}),
        Reply(409, {"code": "conflict", "message": "A job with these photos is already running"}),
        Reply(200, {"success": False, "data": None}),
    ]
    expected = [
        "Runflow refused the photos (HTTP 422): Validation failed (Image 2 has no detectable face)",
        "Runflow says the account is out of credits: Not enough credits for 60 headshots",
        "Runflow refused the photos (HTTP 409): A job with these photos is already running",
        "Runflow did not accept the job",
    ]
    for sentence in expected:
        with pytest.raises(ProviderError) as caught:
            await provider.generate(task())
        assert str(caught.value).startswith(sentence) and not caught.value.retryable
        assert caught.value.raw
    assert fake.attempts == 4


async def test_a_wrong_key_is_refused_without_echoing_it(fake: FakeRunflow) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(ProviderError) as caught:
            await RunflowProvider("rf-wrong-secret", fake.url, http).generate(task())
    assert str(caught.value) == "Runflow refused the API key (Invalid API key)."
    assert "rf-wrong-secret" not in str(caught.value) and not caught.value.retryable


async def test_outages_are_retried_a_few_times(fake: FakeRunflow, provider: RunflowProvider) -> None:
    fake.script = [Reply(503, {"code": "unavailable", "message": "Try later"}), Reply(429, "slow down")]
    await provider.generate(task())
    assert fake.attempts == 3 and len(fake.submissions) == 1
    fake.script = [Reply(503, "down")] * 3
    with pytest.raises(ProviderError, match=r"HTTP 503\); the job will be tried again") as caught:
        await provider.generate(task())
    assert caught.value.retryable and fake.attempts == 6
    async with aiohttp.ClientSession() as http:
        with pytest.raises(ProviderError, match="could not be reached") as unreachable:
            await RunflowProvider(KEY, "http://127.0.0.1:9", http, retry_base_delay=0.01).generate(task())
    assert unreachable.value.retryable


async def test_a_job_without_a_callback_address_is_refused(provider: RunflowProvider) -> None:
    with pytest.raises(ProviderError, match="callback"):
        await provider.generate(task(callback_url=None))


async def test_the_quality_check_warns_about_poor_photos_only(fake: FakeRunflow, provider: RunflowProvider) -> None:
    fake.score_replies = [
        {"quality_score": 0.42, "brightness": 0.2, "sharpness": 0.7, "tips": ["Use brighter light", "Face the camera"]},
        {"quality_score": 0.91, "brightness": 0.6, "sharpness": 0.9, "tips": []},
    ]
    warnings = await provider.score(photos(2))
    assert [(w.index, w.score) for w in warnings] == [(0, 0.42)]
    assert str(warnings[0].sentence()) == (
        "Photo 1 looks poor for headshots (quality 0.42): Use brighter light; Face the camera"
    )
    assert [p.name for p in fake.scored] == ["image", "image"]
    fake.script = [Reply(500, "broken")]
    assert await provider.score(photos(1)) == []


# The whole path: service → runner → Runflow fake → callback into the real web server → CDN → thread.


@dataclass
class World:
    store: SqliteJobStore
    blobs: FileBlobStore
    runner: JobRunner
    service: JobIntake
    surface: RecordingSurface
    runflow: FakeRunflow
    cdn: FakeCDN
    quotas: QuotaGuard


@asynccontextmanager
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeRunflow(KEY) as runflow, FakeCDN() as cdn, aiohttp.ClientSession() as http:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        surface = RecordingSurface()
        core = await build_core(
            make_settings(tmp_path, runflow_callback_timeout_s=600),
            providers={"runflow": RunflowProvider(KEY, runflow.url, http, retry_base_delay=0.01)},
            surfaces={"test": surface},
            callback_base=f"http://127.0.0.1:{listener.getsockname()[1]}",
        )
        site_runner = web.AppRunner(core.web_app(), access_log=None)
        await site_runner.setup()
        await web.SockSite(site_runner, listener).start()
        try:
            yield World(core.store, core.blobs, core.runner, core.intake, surface, runflow, cdn, core.quotas)
        finally:
            await core.runner.stop()
            await site_runner.cleanup()
            await core.close()


async def eventually(probe: Callable[[], T | None], what: str) -> T:
    for _ in range(200):
        found = probe()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def submit_and_wait(
    w: World, reservation: Reservation | None = None
) -> tuple[str, Submission, asyncio.Task[None]]:
    request = w.service.build_request(photos(2), Options(), "runflow")
    job = await w.service.accept(request, owner="u1", surface="test", thread={"thread": "t1"}, reservation=reservation)
    work = asyncio.create_task(w.runner.run_until_idle(include_waiting=True))
    submission = await eventually(lambda: w.runflow.submissions[0] if w.runflow.submissions else None, "submit")
    for _ in range(200):
        stored = await w.store.get(job.id)
        if stored is not None and stored.state is JobState.WAITING:
            break
        await asyncio.sleep(0.02)
    return job.id, submission, work


def pack(cdn: FakeCDN, faults: dict[int, str] | None = None, size: int = 60) -> tuple[list[bytes], list[str]]:
    images = [small_jpeg(n) for n in range(size)]
    urls = [
        cdn.put(f"headshots/out_{n + 1:03d}.jpg", data, (faults or {}).get(n)) + "?X-Amz-Expires=86400"
        for n, data in enumerate(images)
    ]
    return images, urls


async def test_poor_photos_get_advice_in_the_thread_while_the_pack_is_made(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.runflow.score_replies = [{"quality_score": 0.31, "tips": ["Use brighter light"]}, None]
        job_id, _submission, work = await submit_and_wait(w)
        # The advice is posted just after the job is recorded as waiting.
        await eventually(lambda: [p for p in w.surface.posts if "advice" in p.key], "the advice")
        work.cancel()
        advice = [p.text for p in w.surface.posts if "advice" in p.key]
        assert len(advice) == 1 and "Photo 1" in advice[0] and "Use brighter light" in advice[0]
        job = await w.store.get(job_id)
        assert job is not None and job.state is JobState.WAITING


async def test_a_pack_of_60_arrives_by_callback(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        images, urls = pack(w.cdn)
        job_id, submission, work = await submit_and_wait(w)
        assert len(submission.images) == 2 and submission.api_key == KEY
        before = await w.store.get(job_id)
        assert before is not None and before.state is JobState.WAITING

        prefix, _, token = submission.callback_url.rpartition("/")
        body = {"event": "headshots.completed", "headshots_id": submission.headshots_id, "image_urls": urls}
        assert (await post_json(f"{prefix}/{'A' * len(token)}", body))[0] == 404
        status, _ = await w.runflow.complete(submission, urls, headshots_id=str(uuid.uuid4()))
        assert status == 404
        assert await w.store.get(job_id) == before and await w.store.results(job_id) == []

        assert await w.runflow.complete(submission, urls) == (200, {"status": "accepted"})
        await asyncio.wait_for(work, 20)
        job = await w.store.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED and job.results_done == 60
        assert [await w.blobs.get(result_key(job_id, n)) for n in range(60)] == images
        posted = [data for name, data in w.surface.files if name.startswith("headshot-")]
        assert posted == images
        posts = len(w.surface.posts)

        assert await w.runflow.complete(submission, urls) == (200, {"status": "duplicate"})
        await w.runner.run_until_idle()
        again = await w.store.get(job_id)
        assert again is not None and again.state is JobState.DELIVERED and len(w.surface.posts) == posts


async def test_a_pack_that_delivers_55_of_60_counts_55_against_the_quotas(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.quotas.policy = QuotaPolicy((Limit("runflow", Scope.USER, Period.MONTH, 120),))
        _images, urls = pack(w.cdn, {n: "forbidden" for n in range(5)})
        async with w.service.reserve(Ask("u1", {}), Options(), "runflow") as reservation:
            job_id, submission, work = await submit_and_wait(w, reservation)
        assert [u.used for u in await w.quotas.uses("u1", "u1", ["runflow"])] == [60]
        assert (await w.runflow.complete(submission, urls))[0] == 200
        await asyncio.wait_for(work, 20)
        job = await w.store.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED and job.results_done == 55
        [use] = await w.quotas.uses("u1", "u1", ["runflow"])
        assert (use.used, use.left) == (55, 65)


async def test_expired_or_garbled_links_leave_the_rest_delivered(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        images, urls = pack(w.cdn, {7: "forbidden", 41: "garbage"})
        job_id, submission, work = await submit_and_wait(w)
        assert (await w.runflow.complete(submission, urls))[0] == 200
        await asyncio.wait_for(work, 20)
        job = await w.store.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED and job.results_done == 58
        posted = [data for name, data in w.surface.files if name.startswith("headshot-")]
        assert posted == [data for n, data in enumerate(images) if n not in (7, 41)]
        last = w.surface.posts[-1].text
        assert "(2 of 60 could not be downloaded from the provider or were not usable images)" in last
        assert not await w.blobs.exists(result_key(job_id, 7)) and not await w.blobs.exists(result_key(job_id, 41))


async def test_a_decompression_bomb_in_a_pack_costs_only_itself(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        images, urls = pack(w.cdn, size=12)
        w.cdn.put("headshots/out_005.jpg", png_bomb_header())  # 900 megapixels in about 100 kB
        job_id, submission, work = await submit_and_wait(w)
        assert (await w.runflow.complete(submission, urls))[0] == 200
        await asyncio.wait_for(work, 20)
        job = await w.store.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED and job.results_done == 11
        posted = [data for name, data in w.surface.files if name.startswith("headshot-")]
        assert posted == [data for n, data in enumerate(images) if n != 4]
        assert "contact sheet" in w.surface.posts[0].key
        last = w.surface.posts[-1].text
        assert "(1 of 12 could not be downloaded from the provider or were not usable images)" in last
        assert not await w.blobs.exists(result_key(job_id, 4))


@pytest.mark.parametrize("sent", [150, 400])
async def test_a_callback_with_more_than_the_pack_brings_only_the_pack(
    tmp_path: Path, sent: int, caplog: pytest.LogCaptureFixture
) -> None:
    async with world(tmp_path) as w:
        images, urls = pack(w.cdn, size=sent)
        job_id, submission, work = await submit_and_wait(w)
        with caplog.at_level(logging.WARNING):
            assert await w.runflow.complete(submission, urls) == (200, {"status": "accepted"})
        await asyncio.wait_for(work, 20)
        job = await w.store.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED
        assert (job.results_total, job.results_done) == (60, 60)
        assert len(w.cdn.seen) == 60 and len(await w.store.results(job_id)) == 60
        assert not await w.blobs.exists(result_key(job_id, 60))
        posted = [data for name, data in w.surface.files if name.startswith("headshot-")]
        assert posted == images[:60]
        [told] = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
        assert f"{sent} images for a pack of 60; {sent - 60} left out" in told
        assert "http" not in told and "out_" not in told  # no URL: they are signed links
