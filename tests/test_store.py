"""The store ports, once for both stores (SQLite and PostgreSQL), so that the two cannot drift.

Two stores opened on one database stand for two processes sharing it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.jobs import Job, JobChange, JobState, PendingIntake
from bot.options import Options
from bot.ports import JobStore
from bot.quotas import Charge, ChargeTotal, Limit, Period, Scope, Window, window
from storage.sqlite import SqliteJobStore
from tests.conftest import StoreOpener

HASH = "f" * 64
A, B = "a" * 32, "b" * 32


def _job(job_id: str = A, owner: str = "u1") -> Job:
    return Job(id=job_id, owner=owner, surface="test", thread={"t": 1, "nested": {"ts": "1.2"}}, provider="studio",
               options=Options(count=2), photo_count=1)


async def test_a_job_reads_back_as_it_was_recorded(store: JobStore) -> None:
    await store.add(_job())
    job = await store.get(A)
    assert job is not None and job.options.count == 2 and job.thread == {"t": 1, "nested": {"ts": "1.2"}}
    assert job.state is JobState.QUEUED and job.created_at > 0 and await store.get(B) is None


async def test_update_with_expected_state_happens_once(store: JobStore) -> None:
    await store.add(_job())
    assert await store.update(A, JobChange(state=JobState.GENERATING), expect=[JobState.QUEUED])
    assert not await store.update(A, JobChange(state=JobState.GENERATING), expect=[JobState.QUEUED])
    assert await store.update(A, JobChange(attempts=3, error="x", detail="raw"))
    job = await store.get(A)
    assert job is not None and (job.state, job.attempts, job.error, job.detail) == (JobState.GENERATING, 3, "x", "raw")
    assert not await store.update(B, JobChange(attempts=1))


async def test_result_urls_are_accepted_once_and_only_for_the_right_remote_id(store: JobStore) -> None:
    await store.add(_job())
    await store.arm_callback(A, HASH)
    await store.update(A, JobChange(state=JobState.WAITING, remote_id="r-1"))
    assert await store.accept_callback(HASH, "r-other", ["https://x/1"]) is None
    assert await store.accept_callback("0" * 64, "r-1", ["https://x/1"]) is None
    assert await store.accept_callback(HASH, "r-1", ["https://x/1", "https://x/2"]) is True
    assert await store.accept_callback(HASH, "r-1", ["https://x/1", "https://x/2"]) is False
    job = await store.get(A)
    assert job is not None and job.state is JobState.FETCHING and job.results_total == 2
    assert [r.url for r in await store.results(A)] == ["https://x/1", "https://x/2"]


async def test_a_callback_may_beat_the_record_of_its_submission(store: JobStore) -> None:
    await store.add(_job())
    await store.arm_callback(A, HASH)
    await store.update(A, JobChange(state=JobState.GENERATING))
    assert await store.accept_callback(HASH, "r-1", ["https://x/1"]) is True
    job = await store.get(A)
    assert job is not None and job.state is JobState.FETCHING and job.remote_id == "r-1"


async def test_copies_of_one_callback_at_once_are_one_accepted_and_the_rest_duplicates(
    open_store: StoreOpener,
) -> None:
    first, second = await open_store(), await open_store()
    await first.add(_job())
    await first.arm_callback(A, HASH)
    await first.update(A, JobChange(state=JobState.GENERATING))  # the callback beats the submission's record
    answers = await asyncio.gather(*(s.accept_callback(HASH, "r-1", ["https://x/1"]) for s in [first, second] * 4))
    assert sorted(answers, key=str) == [False] * 7 + [True]


async def test_results_are_counted_even_while_a_duplicate_callback_is_refused(store: JobStore) -> None:
    await store.add(_job())
    await store.arm_callback(A, HASH)
    await store.update(A, JobChange(state=JobState.WAITING, remote_id="r1"))
    urls = [f"https://cdn.example/{n}.jpg" for n in range(60)]
    assert await store.accept_callback(HASH, "r1", urls)
    await asyncio.gather(
        *(store.add_result(A, n, f"jobs/{A}/out/{n:02d}.jpg", 100) for n in range(60)),
        *(store.accept_callback(HASH, "r1", urls) for _ in range(10)),
    )
    await store.add_result(A, 0, f"jobs/{A}/out/00.png", 120)  # stored again: counted once
    results = await store.results(A)
    assert sum(1 for r in results if r.blob_key) == 60 and results[0].blob_key == f"jobs/{A}/out/00.png"
    job = await store.get(A)
    assert job is not None and job.results_done == 60
    await store.forget_result_urls(A)
    assert all(r.url is None for r in await store.results(A))


async def test_delivery_keys_and_defaults_are_remembered(store: JobStore) -> None:
    await store.add(_job())
    assert await store.delivery_state(A, "part 1/2") is None
    await store.set_delivery(A, "part 1/2", "started")
    await store.set_delivery(A, "part 1/2", "posted")
    assert await store.delivery_state(A, "part 1/2") == "posted"
    assert await store.user_defaults("u1") is None
    await store.save_user_defaults("u1", {"style": "casual", "count": 3}, None)
    await store.save_user_defaults("u1", {"style": "executive", "count": 2}, "studio")
    assert await store.user_defaults("u1") == ({"style": "executive", "count": 2}, "studio")


async def test_owners_see_their_jobs_newest_first_and_forget_removes_everything(store: JobStore) -> None:
    for n, owner in enumerate(["u1", "u2", "u1"]):
        job = _job(str(n) * 32, owner)
        job.created_at = 1000.0 + n
        await store.add(job)
    assert await store.add_result("0" * 32, 0, "jobs/0/out/00.jpg", 10) is True
    await store.save_user_defaults("u1", {"style": "casual"}, "studio")
    assert [job.id for job in await store.jobs_for_owner("u1")] == ["2" * 32, "0" * 32]
    assert await store.unfinished_count("u1") == 2
    await store.update("2" * 32, JobChange(state=JobState.DELIVERED))
    assert await store.unfinished_count("u1") == 1
    assert sorted(await store.forget_owner("u1")) == ["0" * 32, "2" * 32]
    assert await store.get("0" * 32) is None and await store.results("0" * 32) == []
    # A result that lands after forget is not recorded (and raises nothing).
    assert await store.add_result("0" * 32, 1, "jobs/0/out/01.jpg", 10) is False
    assert await store.results("0" * 32) == []
    assert await store.user_defaults("u1") is None and await store.get("1" * 32) is not None
    assert await store.existing_ids(["0" * 32, "1" * 32, "9" * 32]) == {"1" * 32}


async def test_finished_jobs_are_offered_to_the_sweep_once(store: JobStore) -> None:
    await store.add(_job(A))
    await store.add(_job(B))
    await store.update(A, JobChange(state=JobState.DELIVERED))
    cutoff = time.time() + 1
    assert await store.finished_before(cutoff) == [A]
    await store.mark_purged(A)
    assert await store.finished_before(cutoff) == []
    assert await store.get(A) is not None  # the row stays for `status`


async def test_photos_kept_after_a_job_are_offered_to_the_sweep_once(store: JobStore) -> None:
    await store.add(_job(A))
    await store.add(_job(B))
    await store.update(A, JobChange(state=JobState.DELIVERED))
    cutoff = time.time() + 1
    assert await store.photos_kept_before(cutoff) == [A]
    await store.mark_photos_purged(A)
    job = await store.get(A)
    assert await store.photos_kept_before(cutoff) == [] and job is not None and job.photos_purged
    assert await store.finished_before(cutoff) == [A]  # its results are still kept


async def test_a_claimed_job_is_leased_to_one_worker_until_released_or_expired(store: JobStore) -> None:
    await store.add(_job(A))
    await store.add(_job(B))
    now = time.time()
    assert [job.id for job in await store.claim("w1", now, 1, lease_s=30)] == [A]
    assert [job.id for job in await store.claim("w2", now, 10, lease_s=30)] == [B]
    assert await store.claim("w2", now, 10, lease_s=30) == []  # both are held
    await store.release("w2", A)  # not w2's lease: nothing changes
    assert await store.claim("w2", now, 10, lease_s=30) == []
    await store.release("w1", A)
    assert [job.id for job in await store.claim("w2", now, 10, lease_s=30)] == [A]
    # A lease that ran out is claimed by another worker; renewing keeps it.
    assert await store.renew("w2", [A, B], lease_s=30) == {A, B}
    assert await store.renew("w1", [A], lease_s=30) == set()  # released: w1 holds nothing
    assert await store.claim("w3", now + 20, 10, lease_s=30) == []
    assert [job.id for job in await store.claim("w3", now + 40, 10, lease_s=30)] == [A, B]
    assert await store.renew("w2", [A], lease_s=30) == set()  # taken over: w2 must stop on it


async def test_only_due_jobs_are_claimed(store: JobStore) -> None:
    now = time.time()
    await store.add(_job(A))
    await store.add(_job(B))
    await store.update(A, JobChange(not_before=now + 60))
    await store.update(B, JobChange(state=JobState.WAITING, deadline=now + 3600))
    assert await store.claim("w", now, 10, lease_s=30) == []
    assert [job.id for job in await store.claim("w", now + 61, 10, lease_s=30)] == [A]
    assert {job.id for job in await store.claim("w", now + 3601, 10, lease_s=30)} == {A, B}  # A's lease ran out


async def test_next_due_waits_for_leases_and_has_waiting_answers(store: JobStore) -> None:
    assert await store.next_due() is None and not await store.has_waiting()
    await store.add(_job())
    assert (await store.next_due() or 1) <= time.time()
    now = time.time()
    await store.claim("w1", now, 1, lease_s=30)
    assert (await store.next_due() or 0) >= now + 29  # held: nobody else may take it before the lease ends
    await store.update(A, JobChange(state=JobState.WAITING, deadline=now + 3600))
    await store.release("w1", A)
    assert await store.has_waiting() and await store.next_due() == now + 3600


async def test_workers_claiming_at_once_never_share_a_job(store: JobStore) -> None:
    ids = [f"{n:032d}" for n in range(40)]
    for job_id in ids:
        await store.add(_job(job_id))
    now = time.time()
    batches = await asyncio.gather(*(store.claim(f"w{n}", now, 3, lease_s=30) for n in range(20)))
    claimed = [job.id for batch in batches for job in batch]
    assert len(claimed) == len(set(claimed)) == 40


async def test_provider_calls_are_limited_across_processes(open_store: StoreOpener) -> None:
    first, second = await open_store(), await open_store()
    limits = [(3, 60.0), (5, 3600.0)]
    now = 1_000_000.0
    waits = await asyncio.gather(*(s.take_call("agentai", now + n * 0.001, limits) for n, s in
                                   enumerate([first, second] * 3)))
    assert sorted(waits)[:3] == [0, 0, 0] and all(w > 59 for w in sorted(waits)[3:])
    assert await first.take_call("runflow", now, limits) == 0  # each provider has its own budget
    assert await second.take_call("agentai", now + 61, limits) == 0
    assert await first.take_call("agentai", now + 62, limits) == 0
    wait = await first.take_call("agentai", now + 63, limits)  # 5 an hour, counted by both
    assert 3500 < wait <= 3600
    assert len(await second.calls_since("agentai", now - 1)) == 5


async def test_the_last_job_slot_goes_to_one_request_on_any_process(open_store: StoreOpener) -> None:
    first, second = await open_store(), await open_store()
    await first.add(_job(A, "u1"))
    held = await asyncio.gather(*(s.take_slot("u1", 3, 60) for s in [first, second] * 4))
    taken = [hold for hold, _busy in held if hold is not None]
    assert len(taken) == 2 and sorted(busy for _hold, busy in held)[:2] == [1, 2]
    assert (await first.take_slot("u2", 3, 60))[0] is not None  # another owner is not affected
    await second.give_back_slot(taken[0])
    assert (await first.take_slot("u1", 3, 60))[0] is not None
    assert await first.take_slot("u1", 3, 60) == (None, 3)


async def test_admitting_the_job_ends_the_hold_taken_for_it(store: JobStore) -> None:
    hold, busy = await store.take_slot("u1", 2, 60, hold_id=A)
    assert (hold, busy) == (A, 0) and await store.slots_in_use("u1") == 1
    await store.admit(_job(A, "u1"))  # the job counts now, and its hold not as well
    assert await store.slots_in_use("u1") == 1 and (await store.take_slot("u1", 2, 60))[0] is not None


async def test_a_hold_left_by_a_dead_process_runs_out(store: JobStore) -> None:
    assert (await store.take_slot("u1", 1, hold_s=0.2))[0] is not None
    assert (await store.take_slot("u1", 1, hold_s=0.2))[0] is None
    await asyncio.sleep(0.3)
    assert (await store.take_slot("u1", 1, hold_s=60))[0] is not None


async def test_an_event_key_is_seen_once_on_any_process_until_it_expires(open_store: StoreOpener) -> None:
    first, second = await open_store(), await open_store()
    sightings = await asyncio.gather(*(s.seen_once("C1:1712.0001", 0.3) for s in [first, second] * 3))
    assert sorted(sightings) == [False] * 5 + [True]
    assert await second.seen_once("C1:1712.0002", 0.3)
    await asyncio.sleep(0.4)
    assert await first.seen_once("C1:1712.0001", 60)


async def test_ping_answers(store: JobStore) -> None:
    assert await store.ping()


async def test_installations_are_kept_per_workspace_replaced_and_deleted(open_store: StoreOpener) -> None:
    store = await open_store()
    await store.save_installation("slack:team:T1", b"\x01sealed-one")
    await store.save_installation("slack:team:T2", b"\x01sealed-two")
    await store.save_installation("slack:team:T1", b"\x01sealed-one-again")
    assert await store.installation("slack:team:T1") == b"\x01sealed-one-again"
    assert await store.installations() == [
        ("slack:team:T1", b"\x01sealed-one-again"), ("slack:team:T2", b"\x01sealed-two")
    ]
    assert await store.delete_installation("slack:team:T1")
    assert not await store.delete_installation("slack:team:T1")
    restarted = await open_store()  # another process, or a restart, sees the rest
    assert await restarted.installation("slack:team:T1") is None
    assert await restarted.installation("slack:team:T2") == b"\x01sealed-two"


async def test_a_state_is_consumed_once_and_not_after_it_expires(open_store: StoreOpener) -> None:
    first, second = await open_store(), await open_store()
    now = time.time()
    await first.issue_state("a" * 64, now + 600)
    await first.issue_state("b" * 64, now + 1)
    consumed = await asyncio.gather(*(s.consume_state("a" * 64, now) for s in [first, second] * 2))
    assert sorted(consumed) == [False, False, False, True]  # once, whichever process asks
    assert not await second.consume_state("b" * 64, now + 2)
    assert not await second.consume_state("c" * 64, now)


async def test_unfinished_jobs_are_found_by_the_start_of_their_owner_key(store: JobStore) -> None:
    await store.add(_job("1" * 32, owner="slack:T1:U1"))
    await store.add(_job("2" * 32, owner="slack:T1:U2"))
    await store.add(_job("3" * 32, owner="slack:T10:U1"))
    await store.add(_job("4" * 32, owner="slack:T1:U3"))
    await store.update("4" * 32, JobChange(state=JobState.DELIVERED))
    assert sorted(await store.unfinished_with_owner_prefix("slack:T1:")) == ["1" * 32, "2" * 32]
    assert await store.unfinished_with_owner_prefix("slack:T1%") == []
    assert await store.unfinished_with_owner_prefix("slack:T1_") == []


async def test_jobs_are_counted_by_state_in_one_query(store: JobStore) -> None:
    assert await store.count_by_state() == {}
    for n in range(3):
        await store.add(_job(f"{n:032x}"))
    await store.update(f"{0:032x}", JobChange(state=JobState.DELIVERED))
    assert await store.count_by_state() == {"queued": 2, "delivered": 1}


async def test_quota_holds_from_two_processes_cannot_both_take_the_last_images(open_store: StoreOpener) -> None:
    first, second = await open_store(), await open_store()
    now = time.time()
    user = Window(Limit("agentai", Scope.USER, Period.DAY, 4), "u1", *window(Period.DAY, now))
    team = Window(Limit("agentai", Scope.WORKSPACE, Period.MONTH, 10), "w1", *window(Period.MONTH, now))
    charges = [Charge(f"{n:032d}", "agentai", "u1", "w1", 2, now) for n in range(6)]
    answers = await asyncio.gather(*(s.hold_charge(c, [user, team], now + 60)
                                     for s, c in zip([first, second] * 3, charges, strict=True)))
    assert sorted(answers, key=str) == [(0, 4)] * 4 + [None] * 2  # 4 of 4 held: the user's window refuses
    assert await second.charged([user, team], now) == [4, 4]
    held = [c for c, answer in zip(charges, answers, strict=True) if answer is None]
    await first.release_charge(held[0].job_id)  # its request gave up: the images come back
    await first.admit(_job(held[1].job_id, "u1"))  # admitted: the hold becomes a charge
    await second.settle_charge(held[1].job_id, 1)  # it delivered one image
    assert await first.charged([user, team], now + 120) == [1, 1]  # lapsed holds count no more
    assert await first.charge_totals(0, now + 120) == [ChargeTotal("w1", "u1", "agentai", 1)]
    assert await second.drop_charges_before(now + 1, now + 120) == 1
    assert await first.charge_totals(0, now + 120) == []


async def test_gallery_links_are_found_by_hash_and_end_with_their_job(store: JobStore) -> None:
    await store.add(_job(A, owner="u1"))
    await store.add(_job(B, owner="u2"))
    await store.add_gallery_link(A, "1" * 64, 100.0)
    await store.add_gallery_link(A, "2" * 64, 200.0)  # a resumed delivery adds a second link
    await store.add_gallery_link(B, "3" * 64, 300.0)
    found = await store.gallery_link("2" * 64)
    assert found is not None and (found.job_id, found.token_hash, found.created_at) == (A, "2" * 64, 200.0)
    assert await store.gallery_link("4" * 64) is None
    await store.mark_purged(A)  # the sweep took the results: both links end
    assert await store.gallery_link("1" * 64) is None and await store.gallery_link("2" * 64) is None
    assert await store.forget_owner("u2") == [B]  # forgetting deletes the rest
    assert await store.gallery_link("3" * 64) is None


async def test_the_intake_log_keeps_requests_until_they_are_crossed_off(store: JobStore) -> None:
    first = PendingIntake("i" * 32, "u1", "slack", {"channel": "C1", "user": "U1"}, created_at=100.0)
    second = PendingIntake("j" * 32, "u2", "discord", {"token": "t"}, created_at=200.0)
    await store.begin_intake(first)
    await store.begin_intake(second)
    await store.intake_opened(first.id, {"channel": "C1", "status_ts": "1.2"})
    assert [i.id for i in await store.open_intakes(older_than=150.0)] == [first.id]
    await store.end_intake(first.id)
    await store.begin_intake(first)
    await store.intake_opened(first.id, {"channel": "C1", "status_ts": "1.2"})
    [opened, waiting] = await store.open_intakes(older_than=1e12)
    assert opened.thread == {"channel": "C1", "status_ts": "1.2"} and opened.reply == first.reply
    assert waiting.thread is None and waiting.surface == "discord"
    await store.end_intake(first.id)
    await store.forget_owner("u2")  # forget takes the requests in flight too
    assert await store.open_intakes(older_than=1e12) == []


async def test_a_request_left_open_is_handed_to_one_replica_to_answer(open_store: StoreOpener) -> None:
    if isinstance(await open_store(), SqliteJobStore):
        pytest.skip("one process serves a SQLite file: nobody else looks for its open requests")
    first, second = await open_store(), await open_store()
    for n in range(5):
        await first.begin_intake(PendingIntake(f"{n:032d}", "u1", "slack", {"channel": "C1"}, created_at=100.0 + n))
    handed = await asyncio.gather(first.open_intakes(older_than=1e12), second.open_intakes(older_than=1e12))
    ids = [i.id for found in handed for i in found]
    assert sorted(ids) == [f"{n:032d}" for n in range(5)]  # each once, to one of them

