"""The consent log and the data exports' store roles, once for both stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

from bot.consent.records import ConsentRecord, DataExportLink, PendingRequest, ShownTerms
from bot.jobs import Job
from bot.options import Options
from bot.ports import JobStore
from bot.quotas import Charge

TERMS = ShownTerms("2025-06-02", ("agentai", "studio"), 24.0, 30.0, "What I keep: … “quoted” text, ünïcode")
OWNER, OTHER = "slack:T0:U1", "slack:T0:U2"


def pending(pending_id: str, owner: str = OWNER, at: float | None = None) -> PendingRequest:
    resume = {"kind": "job", "files": [{"id": "F1", "url_private": "https://files/x"}], "note": None, "n": 2}
    return PendingRequest(pending_id, owner, "slack", resume, TERMS, time.time() if at is None else at)


async def test_agreements_read_back_newest_first(store: JobStore) -> None:
    assert await store.latest_consent(OWNER) is None
    older = ConsentRecord(OWNER, TERMS, 1000.0)
    newer = ConsentRecord(OWNER, ShownTerms("2099-01-01", ("studio",), 0.0, 7.5, "new words"), 2000.0)
    await store.record_consent(older)
    await store.record_consent(newer)
    await store.record_consent(ConsentRecord(OTHER, TERMS, 3000.0))
    assert await store.latest_consent(OWNER) == newer
    assert await store.consent_records(OWNER) == [newer, older]


async def test_a_held_request_reads_back_and_ends_exactly_once(store: JobStore) -> None:
    held = pending("a" * 32)
    await store.add_pending_request(held, drop_before=0)
    assert await store.pending_request(held.id) == held
    assert await store.pending_requests(OWNER) == [held] and await store.pending_requests(OTHER) == []
    ends = await asyncio.gather(*(store.end_pending_request(held.id) for _ in range(5)))
    assert sorted(ends) == [False, False, False, False, True]
    assert await store.pending_request(held.id) is None


async def test_adding_a_held_request_drops_the_stale_ones(store: JobStore) -> None:
    await store.add_pending_request(pending("a" * 32, at=100.0), drop_before=0)
    await store.add_pending_request(pending("b" * 32, at=5000.0), drop_before=1000.0)
    assert [p.id for p in await store.pending_requests(OWNER)] == ["b" * 32]


async def test_an_export_link_lasts_until_it_expires(store: JobStore) -> None:
    now = time.time()
    link = DataExportLink(OWNER, "f" * 64, now, now + 60)
    await store.add_data_export_link(link)
    assert await store.data_export_link("f" * 64, now) == link
    assert await store.data_export_link("f" * 64, now + 61) is None
    assert await store.data_export_link("e" * 64, now) is None
    await store.add_data_export_link(DataExportLink(OWNER, "d" * 64, now - 100, now - 1))
    assert await store.data_export_link("d" * 64, now - 50) is not None
    # a new link sweeps the expired ones
    await store.add_data_export_link(DataExportLink(OTHER, "c" * 64, now, now + 60))
    assert await store.data_export_link("d" * 64, now - 50) is None


async def test_charges_of_an_owner_oldest_first(store: JobStore) -> None:
    assert await store.charges_of(OWNER) == []
    second = Charge("b" * 32, "studio", OWNER, "slack:T0", 2, 2000.0)
    first = Charge("a" * 32, "agentai", OWNER, "slack:T0", 4, 1000.0)
    for charge in (second, first, Charge("c" * 32, "studio", OTHER, "slack:T0", 1, 1500.0)):
        assert await store.hold_charge(charge, [], until=time.time() + 60) is None
    assert await store.charges_of(OWNER) == [first, second]


async def test_forgetting_an_owner_deletes_agreements_held_requests_and_links(store: JobStore) -> None:
    now = time.time()
    for owner in (OWNER, OTHER):
        await store.record_consent(ConsentRecord(owner, TERMS, now))
        await store.add_pending_request(pending(("a" if owner == OWNER else "b") * 32, owner), drop_before=0)
        await store.add_data_export_link(DataExportLink(owner, ("1" if owner == OWNER else "2") * 64, now, now + 60))
    await store.add(
        Job(id="c" * 32, owner=OWNER, surface="test", thread={}, provider="studio", options=Options(), photo_count=1)
    )
    assert await store.forget_owner(OWNER) == ["c" * 32]
    assert await store.consent_records(OWNER) == [] and await store.pending_requests(OWNER) == []
    assert await store.data_export_link("1" * 64, now) is None
    assert len(await store.consent_records(OTHER)) == 1 and len(await store.pending_requests(OTHER)) == 1
    assert await store.data_export_link("2" * 64, now) is not None
