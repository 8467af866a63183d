"""Bringing a pack of 60 home: one round of downloads, results recorded in a few batches, failures left out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.blob_keys import result_key
from bot.downloads import Downloader
from bot.engine import callback_hash
from bot.jobs import Job, JobState, StoredResult
from bot.options import Options
from bot.results import JobGone, ResultKeeper, ResultRecorder
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from tests.fakes import small_jpeg
from tests.fakes.cdn import FakeCDN

TOKEN = "pack-token"
JOB = "c" * 32


@dataclass
class Counted:
    """Counts the batches a store is asked to record, then records them for real."""

    store: SqliteJobStore
    batches: list[int] = field(default_factory=list)

    async def add_results(self, job_id: str, results: Sequence[StoredResult]) -> bool:
        self.batches.append(len(results))
        return await self.store.add_results(job_id, results)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteJobStore]:
    opened = await SqliteJobStore.open(tmp_path / "jobs.db")
    yield opened
    await opened.close()


@pytest.fixture
async def cdn() -> AsyncIterator[FakeCDN]:
    async with FakeCDN() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
async def slow_cdn() -> AsyncIterator[tuple[FakeCDN, list[int]]]:
    """A CDN that answers after 0.2 s, and [its requests at once now, the most at once]."""
    cdn = FakeCDN()
    gauge = [0, 0]

    @web.middleware
    async def counted(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> object:
        gauge[0] += 1
        gauge[1] = max(gauge[1], gauge[0])
        try:
            await asyncio.sleep(0.2)
            return await handler(request)
        finally:
            gauge[0] -= 1

    cdn.app.middlewares.append(counted)
    async with cdn:
        yield cdn, gauge


async def fetching_job(store: SqliteJobStore, urls: list[str]) -> Job:
    """A Runflow job whose callback brought these URLs."""
    await store.add(Job(
        id=JOB, owner="u1", surface="test", thread={"t": 1}, provider="runflow", options=Options(), photo_count=1,
        state=JobState.WAITING, remote_id="r1", callback_hash=callback_hash(TOKEN),
    ))
    assert await store.accept_callback(callback_hash(TOKEN), "r1", urls)
    job = await store.get(JOB)
    assert job is not None and job.state is JobState.FETCHING
    return job


async def test_a_pack_of_60_is_fetched_in_one_round_and_recorded_in_a_few_batches(
    store: SqliteJobStore, slow_cdn: tuple[FakeCDN, list[int]], tmp_path: Path
) -> None:
    cdn, gauge = slow_cdn
    images = [small_jpeg(n) for n in range(60)]
    urls = [cdn.put(f"pack/{n:02d}.jpg", data) for n, data in enumerate(images)]
    job = await fetching_job(store, urls)
    blobs = FileBlobStore(tmp_path / "blobs")
    counted = Counted(store)
    async with aiohttp.ClientSession() as http:
        keeper = ResultKeeper(counted, blobs, Downloader(http, allow_private=True))  # type: ignore[arg-type]
        assert await keeper.fetch_results(job) == 60
    assert gauge[1] == 60  # every download of the pack in flight at once
    assert sum(counted.batches) == 60 and len(counted.batches) < 60
    assert [await blobs.get(result_key(JOB, n)) for n in range(60)] == images
    recorded = await store.get(JOB)
    assert recorded is not None and recorded.results_done == 60
    assert [r.url for r in await store.results(JOB)] == urls  # kept until the job moves on


async def test_failing_downloads_among_60_are_left_out_and_the_rest_recorded(
    store: SqliteJobStore, cdn: FakeCDN, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.results.asyncio.sleep", _no_pause)  # the retries' pauses, not the downloads
    images = [small_jpeg(n) for n in range(60)]
    faults = {12: "error", 33: "forbidden", 47: "garbage"}
    urls = [cdn.put(f"pack/{n:02d}.jpg", data, faults.get(n)) for n, data in enumerate(images)]
    job = await fetching_job(store, urls)
    blobs = FileBlobStore(tmp_path / "blobs")
    async with aiohttp.ClientSession() as http:
        keeper = ResultKeeper(store, blobs, Downloader(http, allow_private=True))
        assert await keeper.fetch_results(job) == 57
    assert sum(1 for seen in cdn.seen if seen.path == "/pack/12.jpg") == 3  # a server error is tried again
    stored = {r.index for r in await store.results(JOB) if r.blob_key}
    assert stored == set(range(60)) - set(faults)
    assert not any([await blobs.exists(result_key(JOB, n)) for n in faults])
    recorded = await store.get(JOB)
    assert recorded is not None and recorded.results_done == 57
    async with aiohttp.ClientSession() as http:  # a second pass fetches only what is missing
        keeper = ResultKeeper(store, blobs, Downloader(http, allow_private=True))
        seen = len(cdn.seen)
        assert await keeper.fetch_results(job) == 57
    assert len(cdn.seen) - seen == 3 + 1 + 1


async def _no_pause(_seconds: float) -> None:
    return None


async def test_a_job_forgotten_while_its_pack_lands_records_nothing(
    store: SqliteJobStore, slow_cdn: tuple[FakeCDN, list[int]], tmp_path: Path
) -> None:
    cdn, _gauge = slow_cdn
    urls = [cdn.put(f"pack/{n:02d}.jpg", small_jpeg(n)) for n in range(60)]
    job = await fetching_job(store, urls)
    blobs = FileBlobStore(tmp_path / "blobs")
    async with aiohttp.ClientSession() as http:
        keeper = ResultKeeper(store, blobs, Downloader(http, allow_private=True))
        fetching = asyncio.create_task(keeper.fetch_results(job))
        await asyncio.sleep(0.1)
        assert await store.forget_owner("u1") == [JOB]
        with pytest.raises(JobGone):
            await fetching
    assert await store.results(JOB) == []


@dataclass
class Refusing:
    """A result log that is down: every batch fails."""

    batches: list[list[int]] = field(default_factory=list)

    async def add_results(self, job_id: str, results: Sequence[StoredResult]) -> bool:
        self.batches.append([r.index for r in results])
        await asyncio.sleep(0.01)
        raise ConnectionError("the store is away")


async def test_a_failed_batch_reaches_every_result_in_it_and_the_next_batch_tries_again() -> None:
    log = Refusing()
    recorder = ResultRecorder(log, JOB)  # type: ignore[arg-type]
    outcomes = await asyncio.gather(
        *(recorder.record(StoredResult(JOB, n, None, f"jobs/{JOB}/out/{n:02d}.jpg", 10)) for n in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert log.batches == [[0], [1, 2, 3, 4]]  # what lands while a batch is written goes into the next


async def test_results_recorded_one_after_another_each_wait_for_their_own_batch(store: SqliteJobStore) -> None:
    await fetching_job(store, [f"https://cdn.example/{n}.jpg" for n in range(3)])
    recorder = ResultRecorder(store, JOB)
    for n in range(3):
        await recorder.record(StoredResult(JOB, n, None, f"jobs/{JOB}/out/{n:02d}.jpg", 10))
        job = await store.get(JOB)
        assert job is not None and job.results_done == n + 1  # recorded by the time record returns
    assert await store.forget_owner("u1") == [JOB]
    with pytest.raises(JobGone):
        await recorder.record(StoredResult(JOB, 0, None, f"jobs/{JOB}/out/00.jpg", 10))
