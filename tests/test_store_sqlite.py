"""What only the SQLite store does: its file format, writers in two processes, leases dropped at open.

The behaviour both stores share is tested once for both, in tests/test_store.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from bot.jobs import Job
from bot.options import Options
from storage.sqlite import SqliteJobStore
from storage.sqlite.migrations import MIGRATIONS

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


async def test_reopening_the_file_drops_the_leases_of_the_process_that_held_it(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job())
    assert await store.claim("gone", time.time(), 1, lease_s=3600)
    await store.close()
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    assert [job.id for job in await store.claim("new", time.time(), 1, lease_s=30)] == ["a" * 32]
    await store.close()


async def test_a_command_beside_serve_leaves_its_leases(tmp_path: Path) -> None:
    serving = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await serving.add(_job())
    assert await serving.claim("serve", time.time(), 1, lease_s=3600)
    beside = await SqliteJobStore.open(tmp_path / "db.sqlite", serving=False)  # check, usage, generate
    assert await serving.renew("serve", ["a" * 32], lease_s=3600) == {"a" * 32}
    assert await beside.claim("other", time.time(), 1, lease_s=30) == []
    await beside.close()
    await serving.close()
async def test_a_write_cancelled_while_it_begins_leaves_no_transaction_open(tmp_path: Path) -> None:
    """A write given up by its caller (a timed-out `seen_once`, say) while its BEGIN runs on aiosqlite's
    thread must not leave that transaction open for the next writer of the shared connection."""
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    try:
        for write in (lambda: store.seen_once("event", 60), lambda: store.set_delivery("a" * 32, "k", "started")):
            task = asyncio.create_task(write())
            await asyncio.sleep(0)  # it is now waiting for its BEGIN IMMEDIATE
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await store.add(_job())  # the next write begins a transaction of its own
            assert await store.get("a" * 32) is not None
            await store.forget_owner("u1")
    finally:
        await store.close()
