"""Completion callbacks that arrive together, on both stores: recorded together, each answered
exactly as if it had come alone (True once, False for a repeat, None for a stranger), and only
once its rows are committed."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs import Job, JobChange, JobState
from bot.options import Options
from bot.ports import JobStore
from tests.conftest import StoreOpener

JOBS = 120
PACK = 60


def _hash(n: int) -> str:
    return f"{n:064x}"


def _urls(n: int, count: int = PACK) -> list[str]:
    return [f"https://cdn.example/{n}/{i:02d}.jpg" for i in range(count)]


async def _waiting_jobs(store: JobStore, count: int, state: JobState = JobState.WAITING) -> None:
    for n in range(count):
        job_id = f"{n:032x}"
        await store.add(Job(id=job_id, owner=f"u{n}", surface="test", thread={"t": n}, provider="runflow",
                            options=Options(), photo_count=1))
        await store.arm_callback(job_id, _hash(n))
        remote = f"r-{n}" if state is JobState.WAITING else None
        await store.update(job_id, JobChange(state=state, remote_id=remote))


async def test_a_burst_of_callbacks_for_many_jobs_is_recorded_each_exactly_once(store: JobStore) -> None:
    await _waiting_jobs(store, JOBS)
    # Every job's callback twice, a stranger's and one with a wrong remote id, all at the same moment.
    calls = [store.accept_callback(_hash(n), f"r-{n}", _urls(n)) for n in range(JOBS)]
    calls += [store.accept_callback(_hash(n), f"r-{n}", _urls(n)) for n in range(JOBS)]
    calls += [store.accept_callback("e" * 64, "r-0", _urls(0)), store.accept_callback(_hash(1), "r-x", _urls(1))]
    answers = await asyncio.gather(*calls)
    assert answers[:JOBS] == [True] * JOBS
    assert answers[JOBS : 2 * JOBS] == [False] * JOBS
    assert answers[2 * JOBS :] == [None, None]
    for n in range(JOBS):
        job = await store.get(f"{n:032x}")
        assert job is not None and job.state is JobState.FETCHING and job.results_total == PACK
        assert [r.url for r in await store.results(job.id)] == _urls(n)


async def test_copies_in_one_burst_are_answered_as_if_they_came_one_after_another(store: JobStore) -> None:
    await _waiting_jobs(store, 2, state=JobState.GENERATING)  # the callbacks beat the submissions' records
    answers = await asyncio.gather(
        store.accept_callback(_hash(0), "r-a", _urls(0, 2)),
        store.accept_callback(_hash(0), "r-b", _urls(0, 3)),  # another remote id: the job has one by then
        store.accept_callback(_hash(0), "r-a", _urls(0, 2)),
        store.accept_callback(_hash(1), "r-c", _urls(1, 1)),
    )
    assert answers == [True, None, False, True]
    job = await store.get(f"{0:032x}")
    assert job is not None and job.remote_id == "r-a" and job.results_total == 2
    assert len(await store.results(job.id)) == 2


async def test_a_callback_the_store_cannot_take_costs_only_itself(store: JobStore) -> None:
    await _waiting_jobs(store, 10)
    broken = ["https://cdn.example/\ud800.jpg"]  # a lone surrogate: no database can store it as text
    answers = await asyncio.gather(
        *(store.accept_callback(_hash(n), f"r-{n}", broken if n == 4 else _urls(n)) for n in range(10)),
        return_exceptions=True,
    )
    assert isinstance(answers[4], Exception)
    assert answers[:4] + answers[5:] == [True] * 9
    untouched = await store.get(f"{4:032x}")
    assert untouched is not None and untouched.state is JobState.WAITING and not await store.results(untouched.id)
    for n in [*range(4), *range(5, 10)]:
        assert [r.url for r in await store.results(f"{n:032x}")] == _urls(n)
    assert await store.accept_callback(_hash(4), "r-4", _urls(4)) is True  # Runflow's retry is taken


async def test_callbacks_being_recorded_when_the_store_closes_are_answered_and_kept(
    open_store: StoreOpener,
) -> None:
    first = await open_store()
    await _waiting_jobs(first, 20)
    calls = [asyncio.create_task(first.accept_callback(_hash(n), f"r-{n}", _urls(n))) for n in range(20)]
    await asyncio.sleep(0)  # every call is waiting for its group
    await first.close()
    assert await asyncio.gather(*calls) == [True] * 20
    reopened = await open_store()
    for n in range(20):
        assert len(await reopened.results(f"{n:032x}")) == PACK


async def test_a_caller_that_gives_up_leaves_the_others_answered(store: JobStore) -> None:
    await _waiting_jobs(store, 6)
    impatient = asyncio.create_task(store.accept_callback(_hash(0), "r-0", _urls(0)))
    others = [asyncio.create_task(store.accept_callback(_hash(n), f"r-{n}", _urls(n))) for n in range(1, 6)]
    impatient.cancel()
    assert await asyncio.gather(*others) == [True] * 5
    with pytest.raises(asyncio.CancelledError):
        await impatient
    # Whether or not the given-up callback was recorded, its retry gets an exact answer.
    retry = await store.accept_callback(_hash(0), "r-0", _urls(0))
    job = await store.get(f"{0:032x}")
    assert job is not None and job.state is JobState.FETCHING and retry in (True, False)
    assert [r.url for r in await store.results(job.id)] == _urls(0)


async def test_a_job_that_already_has_results_still_takes_its_callback(store: JobStore) -> None:
    await _waiting_jobs(store, 3)
    assert await store.add_result(f"{1:032x}", 0, "jobs/1/out/00.jpg", 10)  # a row the callback will meet
    answers = await asyncio.gather(*(store.accept_callback(_hash(n), f"r-{n}", _urls(n)) for n in range(3)))
    assert answers == [True, True, True]
    for n in range(3):
        assert [r.url for r in await store.results(f"{n:032x}")] == _urls(n)
