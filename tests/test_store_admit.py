"""`JobRecords.admit` on both stores: the job, its charge's confirmation and the end of its slot's
hold happen together or not at all; `add` only adds."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.ports import JobStore
from bot.quotas import Charge, ChargeTotal
from storage.sqlite import SqliteJobStore
from tests.test_store import A, _job

_REFUSE_SQLITE = {
    "confirm": "CREATE TRIGGER refuse BEFORE UPDATE ON quota_charges BEGIN SELECT RAISE(ABORT, 'refused'); END",
    "release": "CREATE TRIGGER refuse BEFORE DELETE ON job_holds BEGIN SELECT RAISE(ABORT, 'refused'); END",
}
_REFUSE_POSTGRES = {
    "confirm": "CREATE TRIGGER refuse BEFORE UPDATE ON quota_charges FOR EACH ROW EXECUTE FUNCTION refuse()",
    "release": "CREATE TRIGGER refuse BEFORE DELETE ON job_holds FOR EACH ROW EXECUTE FUNCTION refuse()",
}


async def _refuse(store: JobStore, tmp_path: Path, step: str) -> Callable[[], Awaitable[None]]:
    """Make the database refuse one step of `admit` (a trigger); returns how to stop refusing."""
    if isinstance(store, SqliteJobStore):
        db = sqlite3.connect(tmp_path / "headshot-bot.db")
        db.execute(_REFUSE_SQLITE[step])
        db.commit()

        async def allow_sqlite() -> None:
            db.execute("DROP TRIGGER refuse")
            db.commit()
            db.close()

        return allow_sqlite
    pool = store.pool  # type: ignore[attr-defined]
    await pool.execute(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
    )
    await pool.execute(_REFUSE_POSTGRES[step])

    async def allow_postgres() -> None:
        await pool.execute("DROP FUNCTION refuse() CASCADE")

    return allow_postgres


@pytest.mark.parametrize("step", ["confirm", "release"])
async def test_admit_records_the_job_confirms_its_charge_and_ends_its_hold_all_or_nothing(
    store: JobStore, tmp_path: Path, step: str
) -> None:
    now = time.time()
    assert await store.hold_charge(Charge(A, "studio", "u1", "w1", 2, now), [], now + 60) is None
    assert (await store.take_slot("u1", 3, 60, hold_id=A))[0] == A
    allow = await _refuse(store, tmp_path, step)
    with pytest.raises(Exception, match="refused"):
        await store.admit(_job(A, "u1"))
    assert await store.get(A) is None  # not recorded...
    assert await store.slots_in_use("u1") == 1  # ...its slot still held...
    assert await store.charge_totals(0, now + 120) == []  # ...and its charge still only held (lapsed by then)
    await allow()
    await store.admit(_job(A, "u1"))
    assert await store.get(A) is not None and await store.slots_in_use("u1") == 1  # the job counts, not its hold
    assert await store.charge_totals(0, now + 120) == [ChargeTotal("w1", "u1", "studio", 2)]  # confirmed: it stays


async def test_add_records_the_job_alone(store: JobStore) -> None:
    now = time.time()
    assert await store.hold_charge(Charge(A, "studio", "u1", "w1", 2, now), [], now + 60) is None
    assert (await store.take_slot("u1", 3, 60, hold_id=A))[0] == A
    await store.add(_job(A, "u1"))
    assert await store.slots_in_use("u1") == 2  # the job, and its hold still
    assert await store.charge_totals(0, now + 120) == []  # the charge is still only held
