"""Favourites on both stores: kept for stored results of the owner's own delivered jobs, newest
first, and ended with the results (the sweep), the owner (`forget`) or a job ended undelivered."""

from __future__ import annotations

from bot.jobs import Favourite, Job, JobChange, JobState
from bot.options import Options
from bot.ports import JobStore
from tests.conftest import CoreFactory, submit

A, B, C = "a" * 32, "b" * 32, "c" * 32


async def _delivered(store: JobStore, job_id: str, owner: str, results: int = 3) -> None:
    await store.add(Job(id=job_id, owner=owner, surface="test", thread={"t": 1}, provider="studio",
                        options=Options(count=results), photo_count=1))
    for index in range(results):
        await store.add_result(job_id, index, f"jobs/{job_id}/out/{index:02d}.jpg", 10)
    await store.update(job_id, JobChange(state=JobState.DELIVERED))


async def test_favourites_are_listed_newest_first_and_marking_again_changes_nothing(store: JobStore) -> None:
    await _delivered(store, A, "slack:T1:U1")
    await _delivered(store, B, "slack:T1:U1")
    await store.mark_favourite(Favourite("slack:T1:U1", A, 2, 100.0))
    await store.mark_favourite(Favourite("slack:T1:U1", B, 0, 300.0))
    await store.mark_favourite(Favourite("slack:T1:U1", A, 0, 200.0))
    await store.mark_favourite(Favourite("slack:T1:U1", A, 2, 400.0))  # again: the first time stays
    assert await store.favourites("slack:T1:U1") == [
        Favourite("slack:T1:U1", B, 0, 300.0), Favourite("slack:T1:U1", A, 0, 200.0),
        Favourite("slack:T1:U1", A, 2, 100.0),
    ]
    await store.unmark_favourite("slack:T1:U1", A, 0)
    await store.unmark_favourite("slack:T1:U1", A, 0)  # twice is harmless
    assert [(f.job_id, f.index) for f in await store.favourites("slack:T1:U1")] == [(B, 0), (A, 2)]
    assert await store.favourites("slack:T1:U2") == []


async def test_only_a_stored_result_of_the_owners_own_job_can_be_marked(store: JobStore) -> None:
    await _delivered(store, A, "slack:T1:U1", results=2)
    await store.mark_favourite(Favourite("slack:T1:U2", A, 0, 1.0))  # someone else's job
    await store.mark_favourite(Favourite("slack:T1:U1", A, 5, 1.0))  # no such result
    await store.mark_favourite(Favourite("slack:T1:U1", C, 0, 1.0))  # no such job
    assert await store.favourites("slack:T1:U2") == [] and await store.favourites("slack:T1:U1") == []


async def test_a_workspaces_favourites_are_found_by_owner_prefix(store: JobStore) -> None:
    await _delivered(store, A, "slack:T1:U1")
    await _delivered(store, B, "slack:T1:U2")
    await _delivered(store, C, "slack:T10:U1")  # another workspace whose id starts alike
    await store.mark_favourite(Favourite("slack:T1:U1", A, 1, 10.0))
    await store.mark_favourite(Favourite("slack:T1:U2", B, 0, 20.0))
    await store.mark_favourite(Favourite("slack:T10:U1", C, 0, 30.0))
    found = await store.favourites_with_owner_prefix("slack:T1:")
    assert [(f.owner, f.job_id, f.index) for f in found] == [("slack:T1:U2", B, 0), ("slack:T1:U1", A, 1)]
    assert await store.favourites_with_owner_prefix("discord:") == []


async def test_favourites_end_with_the_results_the_owner_or_a_job_ended_undelivered(store: JobStore) -> None:
    await _delivered(store, A, "u1")
    await _delivered(store, B, "u2")
    await _delivered(store, C, "u1")
    for owner, job_id in (("u1", A), ("u2", B), ("u1", C)):
        await store.mark_favourite(Favourite(owner, job_id, 0, 1.0))
    await store.mark_purged(A)  # the retention sweep took A's results
    assert [f.job_id for f in await store.favourites("u1")] == [C]
    await store.mark_favourite(Favourite("u1", A, 1, 2.0))  # nor can a swept job be marked again
    assert [f.job_id for f in await store.favourites("u1")] == [C]
    await store.update(C, JobChange(state=JobState.FAILED))  # ended without delivery (an uninstall)
    assert await store.favourites("u1") == []
    assert await store.forget_owner("u2") == [B]
    assert await store.favourites("u2") == [] and await store.favourites_with_owner_prefix("u") == []


async def test_the_core_ends_favourites_with_its_sweep_its_forget_and_an_uninstall(make_core: CoreFactory) -> None:
    core = await make_core()
    old, recent = await submit(core, count=2, owner="w:T1:U1"), await submit(core, owner="w:T1:U1")
    await core.runner.run_until_idle()
    for job_id in (old, recent):
        await core.store.mark_favourite(Favourite("w:T1:U1", job_id, 0, 1.0))
    await core.store.update(recent, JobChange(state=JobState.DELIVERED))  # ended later than `old`
    job = await core.store.get(old)
    assert job is not None
    assert await core.retention.sweep_expired(cutoff=job.updated_at + 0.001) == 1
    assert [f.job_id for f in await core.store.favourites("w:T1:U1")] == [recent]

    during = await submit(core, owner="w:T1:U2")  # a job the workspace's uninstall ends on its way
    await core.store.update(during, JobChange(state=JobState.DELIVERING))
    await core.store.add_result(during, 0, f"jobs/{during}/out/00.jpg", 10)
    await core.store.mark_favourite(Favourite("w:T1:U2", during, 0, 2.0))
    assert await core.service.end_jobs_quietly("w:T1:") == 1
    assert await core.store.favourites_with_owner_prefix("w:T1:") == [Favourite("w:T1:U1", recent, 0, 1.0)]

    assert await core.service.forget("w:T1:U1") == 2
    assert await core.store.favourites_with_owner_prefix("w:T1:") == []
