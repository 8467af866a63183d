"""The job store under concurrency: coroutines sharing a connection, and writers sharing a file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bot.jobs import Job, JobChange, JobState
from bot.options import Options
from storage.sqlite import SqliteJobStore

HASH = "c" * 64


def new_job(n: int, owner: str = "u") -> Job:
    """A job row as the service would record it."""
    return Job(id=f"job{n:04d}", owner=owner, surface="test", thread={"t": n}, provider="runflow",
               options=Options(), photo_count=1, created_at=time.time())


async def test_a_duplicate_callback_does_not_roll_back_results_being_recorded(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    try:
        job = new_job(1)
        await store.add(job)
        await store.arm_callback(job.id, HASH)
        await store.update(job.id, JobChange(state=JobState.WAITING, remote_id="r1"))
        urls = [f"https://cdn.example/{n}.jpg" for n in range(60)]
        assert await store.accept_callback(HASH, "r1", urls)
        # Downloads record results while Runflow retries its callback: the refused retry's
        # rollback must not take the recorded results with it.
        await asyncio.gather(
            *(store.add_result(job.id, n, f"jobs/{job.id}/out/{n:02d}.jpg", 100) for n in range(60)),
            *(store.accept_callback(HASH, "r1", urls) for _ in range(10)),
        )
        assert sum(1 for r in await store.results(job.id) if r.blob_key) == 60
        stored = await store.get(job.id)
        assert stored is not None and stored.results_done == 60 and stored.state is JobState.FETCHING
    finally:
        await store.close()


async def test_two_stores_on_one_file_never_report_the_database_locked(tmp_path: Path) -> None:
    # Opened at the same moment on a file that does not exist yet: both want WAL and the schema.
    # Repeated, because the collision is a matter of timing.
    for n in range(25):
        pair = await asyncio.gather(*(SqliteJobStore.open(tmp_path / f"new-{n}.sqlite") for _ in range(2)))
        for store in pair:
            await store.close()
    path = tmp_path / "shared.sqlite"
    first, second = await asyncio.gather(SqliteJobStore.open(path), SqliteJobStore.open(path))
    try:

        async def writer(store: SqliteJobStore, base: int) -> None:
            for n in range(base, base + 60):
                job = new_job(n, owner=f"o{base}")
                await store.add(job)
                await store.update(job.id, JobChange(state=JobState.FETCHING))
                await store.add_result(job.id, 0, f"jobs/{job.id}/out/00.jpg", 10)
                await store.set_delivery(job.id, "part 1/1", "posted")
                await store.take_call("agentai", time.time(), [(10**6, 60.0)])

        await asyncio.gather(writer(first, 0), writer(second, 1000), writer(first, 2000), writer(second, 3000))
        assert await first.unfinished_count("o0") == 60 and await second.unfinished_count("o3000") == 60
    finally:
        await first.close()
        await second.close()
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM jobs").fetchone()
    assert rows == (240,)
