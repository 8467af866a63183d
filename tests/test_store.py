"""The SQLite job store: schema, state transitions, callbacks, owners."""

from __future__ import annotations

import time
from pathlib import Path

from bot.jobs import Job, JobChange, JobState, PendingIntake
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
    assert await store.update("a" * 32, JobChange(state=JobState.GENERATING), expect=[JobState.QUEUED])
    assert not await store.update("a" * 32, JobChange(state=JobState.GENERATING), expect=[JobState.QUEUED])
    await store.close()


async def test_result_urls_are_accepted_once_and_only_for_the_right_remote_id(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job())
    await store.arm_callback("a" * 32, HASH)
    await store.update("a" * 32, JobChange(state=JobState.WAITING, remote_id="r-1"))
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
    assert await store.add_result("a" * 32, 0, "jobs/a/out/00.jpg", 10) is True
    await store.save_user_defaults("u1", {"style": "casual"}, "studio")
    assert await store.forget_owner("u1") == ["a" * 32]
    assert await store.get("a" * 32) is None
    assert await store.results("a" * 32) == []
    # A result that lands after forget is not recorded (and raises nothing).
    assert await store.add_result("a" * 32, 1, "jobs/a/out/01.jpg", 10) is False
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


async def test_a_claimed_job_is_leased_to_one_worker_until_released_or_expired(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job("a" * 32))
    await store.add(_job("b" * 32))
    now = time.time()
    first = await store.claim("w1", now, 1, lease_s=30)
    assert [job.id for job in first] == ["a" * 32]
    assert [job.id for job in await store.claim("w2", now, 10, lease_s=30)] == ["b" * 32]
    assert await store.claim("w2", now, 10, lease_s=30) == []  # both are held
    await store.release("w2", "a" * 32)  # not w2's lease: nothing changes
    assert await store.claim("w2", now, 10, lease_s=30) == []
    await store.release("w1", "a" * 32)
    assert [job.id for job in await store.claim("w2", now, 10, lease_s=30)] == ["a" * 32]
    # A lease that ran out is claimed by another worker; renewing keeps it.
    await store.renew("w2", ["a" * 32], lease_s=30)
    assert await store.claim("w3", now + 20, 10, lease_s=30) == []
    assert [job.id for job in await store.claim("w3", now + 40, 10, lease_s=30)] == ["a" * 32, "b" * 32]
    await store.close()


async def test_next_due_waits_for_leases_and_has_waiting_answers_without_loading_jobs(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    assert await store.next_due() is None and not await store.has_waiting()
    await store.add(_job())
    assert (await store.next_due() or 1) <= time.time()
    now = time.time()
    await store.claim("w1", now, 1, lease_s=30)
    assert (await store.next_due() or 0) >= now + 29  # held: nobody else may take it before the lease ends
    await store.update("a" * 32, JobChange(state=JobState.WAITING, deadline=now + 3600))
    await store.release("w1", "a" * 32)
    assert await store.has_waiting() and await store.next_due() == now + 3600
    await store.close()


async def test_reopening_the_file_drops_the_leases_of_the_process_that_held_it(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job())
    assert await store.claim("gone", time.time(), 1, lease_s=3600)
    await store.close()
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    assert [job.id for job in await store.claim("new", time.time(), 1, lease_s=30)] == ["a" * 32]
    await store.close()


async def test_installations_are_kept_per_workspace_replaced_and_deleted(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.save_installation("slack:team:T1", b"\x01sealed-one")
    await store.save_installation("slack:team:T2", b"\x01sealed-two")
    await store.save_installation("slack:team:T1", b"\x01sealed-one-again")
    assert await store.installation("slack:team:T1") == b"\x01sealed-one-again"
    assert await store.installations() == [
        ("slack:team:T1", b"\x01sealed-one-again"), ("slack:team:T2", b"\x01sealed-two")
    ]
    assert await store.delete_installation("slack:team:T1")
    assert not await store.delete_installation("slack:team:T1")
    await store.close()
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")  # a restart keeps the rest
    assert await store.installation("slack:team:T1") is None
    assert await store.installation("slack:team:T2") == b"\x01sealed-two"
    await store.close()


async def test_a_state_is_consumed_once_and_not_after_it_expires(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    now = time.time()
    await store.issue_state("a" * 64, now + 600)
    await store.issue_state("b" * 64, now + 1)
    assert await store.consume_state("a" * 64, now)
    assert not await store.consume_state("a" * 64, now)
    assert not await store.consume_state("b" * 64, now + 2)
    assert not await store.consume_state("c" * 64, now)
    await store.close()


async def test_unfinished_jobs_are_found_by_the_start_of_their_owner_key(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job("1" * 32, owner="slack:T1:U1"))
    await store.add(_job("2" * 32, owner="slack:T1:U2"))
    await store.add(_job("3" * 32, owner="slack:T10:U1"))
    await store.add(_job("4" * 32, owner="slack:T1:U3"))
    await store.update("4" * 32, JobChange(state=JobState.DELIVERED))
    assert sorted(await store.unfinished_with_owner_prefix("slack:T1:")) == ["1" * 32, "2" * 32]
    assert await store.unfinished_with_owner_prefix("slack:T1%") == []
    await store.close()


async def test_jobs_are_counted_by_state_in_one_query(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    assert await store.count_by_state() == {}
    for n in range(3):
        await store.add(_job(f"{n:032x}"))
    await store.update(f"{0:032x}", JobChange(state=JobState.DELIVERED))
    assert await store.count_by_state() == {"queued": 2, "delivered": 1}
    await store.close()


async def test_gallery_links_are_found_by_hash_and_end_with_their_job(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    await store.add(_job("a" * 32, owner="u1"))
    await store.add(_job("b" * 32, owner="u2"))
    await store.add_gallery_link("a" * 32, "1" * 64, 100.0)
    await store.add_gallery_link("a" * 32, "2" * 64, 200.0)  # a resumed delivery adds a second link
    await store.add_gallery_link("b" * 32, "3" * 64, 300.0)
    found = await store.gallery_link("2" * 64)
    assert found is not None and (found.job_id, found.token_hash, found.created_at) == ("a" * 32, "2" * 64, 200.0)
    assert await store.gallery_link("4" * 64) is None
    await store.mark_purged("a" * 32)  # the sweep took the results: both links end
    assert await store.gallery_link("1" * 64) is None and await store.gallery_link("2" * 64) is None
    assert await store.forget_owner("u2") == ["b" * 32]  # forgetting deletes the rest
    assert await store.gallery_link("3" * 64) is None
    async with store._db.execute("SELECT COUNT(*) FROM gallery_links") as cur:
        assert (await cur.fetchone())[0] == 0
    await store.close()


async def test_the_intake_log_keeps_requests_until_they_are_crossed_off(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    try:
        first = PendingIntake("i" * 32, "u1", "slack", {"channel": "C1", "user": "U1"}, created_at=100.0)
        second = PendingIntake("j" * 32, "u2", "discord", {"token": "t"}, created_at=200.0)
        await store.begin_intake(first)
        await store.begin_intake(second)
        await store.intake_opened(first.id, {"channel": "C1", "status_ts": "1.2"})
        assert [i.id for i in await store.open_intakes(older_than=150.0)] == [first.id]
        [opened, waiting] = await store.open_intakes(older_than=1e12)
        assert opened.thread == {"channel": "C1", "status_ts": "1.2"} and opened.reply == first.reply
        assert waiting.thread is None and waiting.surface == "discord"
        await store.end_intake(first.id)
        await store.forget_owner("u2")  # forget takes the requests in flight too
        assert await store.open_intakes(older_than=1e12) == []
    finally:
        await store.close()
