"""Recording several stored results of a job at once, on both stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs import Job, JobChange, JobState, StoredResult
from bot.options import Options
from bot.ports import JobStore
from tests.conftest import StoreOpener

HASH = "e" * 64
A, B = "a" * 32, "b" * 32


def _job(job_id: str = A) -> Job:
    return Job(id=job_id, owner="u1", surface="test", thread={"t": 1}, provider="runflow", options=Options(),
               photo_count=1)


def _stored(job_id: str, index: int, size: int = 100, url: str | None = None, suffix: str = ".jpg") -> StoredResult:
    return StoredResult(job_id=job_id, index=index, url=url, blob_key=f"jobs/{job_id}/out/{index:02d}{suffix}",
                        size=size)


async def _waiting_with_urls(store: JobStore, count: int) -> list[str]:
    await store.add(_job())
    await store.arm_callback(A, HASH)
    await store.update(A, JobChange(state=JobState.WAITING, remote_id="r1"))
    urls = [f"https://cdn.example/{n}.jpg" for n in range(count)]
    assert await store.accept_callback(HASH, "r1", urls)
    return urls


async def test_a_batch_of_results_is_recorded_and_counted_at_once(store: JobStore) -> None:
    urls = await _waiting_with_urls(store, 6)
    assert await store.add_results(A, [_stored(A, n, size=10 + n, url=urls[n]) for n in (0, 2, 3)]) is True
    results = await store.results(A)
    assert [r.blob_key is not None for r in results] == [True, False, True, True, False, False]
    assert [r.size for r in results if r.blob_key] == [10, 12, 13]
    assert [r.url for r in results] == urls  # the provider's URLs stay until they are forgotten
    job = await store.get(A)
    assert job is not None and job.results_done == 3


async def test_a_result_recorded_again_in_a_batch_is_counted_once(store: JobStore) -> None:
    await _waiting_with_urls(store, 4)
    assert await store.add_result(A, 0, f"jobs/{A}/out/00.jpg", 100)
    assert await store.add_results(A, [_stored(A, 0, size=120, suffix=".png"), _stored(A, 1)])
    assert await store.add_results(A, [_stored(A, 1, size=130)])
    results = await store.results(A)
    assert [(r.blob_key, r.size) for r in results[:2]] == [(f"jobs/{A}/out/00.png", 120), (f"jobs/{A}/out/01.jpg", 130)]
    job = await store.get(A)
    assert job is not None and job.results_done == 2


async def test_a_batch_for_a_forgotten_job_records_nothing(store: JobStore) -> None:
    await store.add(_job())
    assert await store.forget_owner("u1") == [A]
    assert await store.add_results(A, [_stored(A, n) for n in range(3)]) is False
    assert await store.results(A) == []
    assert await store.add_results(B, [_stored(B, 0)]) is False  # never there at all


async def test_a_batch_with_a_result_that_is_not_stored_or_not_the_jobs_records_nothing(store: JobStore) -> None:
    await _waiting_with_urls(store, 3)
    unstored = StoredResult(job_id=A, index=1, url=None, blob_key=None)
    with pytest.raises(ValueError):
        await store.add_results(A, [_stored(A, 0), unstored])
    with pytest.raises(ValueError):
        await store.add_results(A, [_stored(A, 0), _stored(B, 1)])
    assert not any(r.blob_key for r in await store.results(A))
    job = await store.get(A)
    assert job is not None and job.results_done == 0


async def test_batches_from_two_processes_at_once_count_every_result(open_store: StoreOpener) -> None:
    first, second = await open_store(), await open_store()
    await _waiting_with_urls(first, 60)
    batches = [[_stored(A, n) for n in range(start, start + 5)] for start in range(0, 60, 5)]
    await asyncio.gather(
        *((first if number % 2 else second).add_results(A, batch) for number, batch in enumerate(batches)),
        *(second.add_result(A, n, f"jobs/{A}/out/{n:02d}.jpg", 100) for n in range(0, 60, 7)),
    )
    job = await first.get(A)
    assert job is not None and job.results_done == 60
    assert sum(1 for r in await second.results(A) if r.blob_key) == 60
