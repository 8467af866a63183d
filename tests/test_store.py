"""The SQLite job store: schema, state transitions, callbacks, owners."""

from __future__ import annotations

from pathlib import Path

from bot.jobs import Job, JobState
from bot.options import Options
from storage.jobs import SqliteJobStore
from storage.migrations import MIGRATIONS

HASH = "f" * 64


def _job(job_id: str = "a" * 32, owner: str = "u1") -> Job:
    return Job(id=job_id, owner=owner, surface="test", thread={"t": 1}, provider="studio",
               options=Options(count=2), photo_count=1)


async def test_schema_is_versioned_and_reopening_keeps_data(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job())
    await store.close()
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    async with store._db.execute("PRAGMA user_version") as cur:
        assert (await cur.fetchone())[0] == len(MIGRATIONS)
    async with store._db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    job = await store.get("a" * 32)
    assert job is not None and job.options.count == 2 and job.thread == {"t": 1}
    await store.close()


async def test_update_with_expected_state_happens_once(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job())
    assert await store.update("a" * 32, expect=[JobState.QUEUED], state=JobState.GENERATING)
    assert not await store.update("a" * 32, expect=[JobState.QUEUED], state=JobState.GENERATING)
    await store.close()


async def test_result_urls_are_accepted_once_and_only_for_the_right_remote_id(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job())
    await store.update("a" * 32, state=JobState.WAITING, remote_id="r-1", callback_hash=HASH)
    assert await store.accept_callback(HASH, "r-other", ["https://x/1"]) is None
    assert await store.accept_callback("0" * 64, "r-1", ["https://x/1"]) is None
    assert await store.accept_callback(HASH, "r-1", ["https://x/1", "https://x/2"]) is True
    assert await store.accept_callback(HASH, "r-1", ["https://x/1", "https://x/2"]) is False
    job = await store.get("a" * 32)
    assert job is not None and job.state is JobState.FETCHING and job.results_total == 2
    assert [r.url for r in await store.results("a" * 32)] == ["https://x/1", "https://x/2"]
    await store.close()


async def test_forget_owner_removes_jobs_results_and_settings(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job("a" * 32, "u1"))
    await store.add(_job("b" * 32, "u2"))
    await store.add_result("a" * 32, 0, "jobs/a/out/00.jpg", 10)
    await store.save_user_defaults("u1", {"style": "casual"}, "studio")
    assert await store.forget_owner("u1") == ["a" * 32]
    assert await store.get("a" * 32) is None
    assert await store.results("a" * 32) == []
    assert await store.user_defaults("u1") is None
    assert await store.get("b" * 32) is not None
    await store.close()


async def test_two_processes_writing_at_once_wait_instead_of_failing(tmp_path: Path) -> None:
    first = await SqliteJobStore.open(tmp_path / "db.sqlite")
    second = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await first._db.execute("BEGIN IMMEDIATE")
    await first._db.execute("UPDATE jobs SET state = 'x'")

    import asyncio

    pending = asyncio.create_task(second.add(_job()))
    await asyncio.sleep(0.3)
    assert not pending.done()  # waiting on the lock, not failing
    await first._db.commit()
    await pending
    assert await first.get("a" * 32) is not None
    await first.close()
    await second.close()
