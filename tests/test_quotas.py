"""Quotas on the real core and real SQLite: boundaries, resets, refunds, races, restarts, separation."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.intake import Ask
from bot.jobs import JobState, ThreadAddress
from bot.ports import ProviderError
from bot.quota_guard import QuotaExceeded, QuotaGuard
from bot.quotas import Charge, ChargeTotal, Limit, Period, QuotaPolicy, Scope
from bot.request import Field
from bot.wiring.app import Core, build_core
from storage.sqlite import SqliteJobStore
from storage.sqlite.migrations import MIGRATIONS
from tests.conftest import make_settings
from tests.doubles import RecordingSurface, ScriptedProvider, images, jpeg

SLACK_USER = "u1"
TEAM = "team-1"


def at(text: str) -> float:
    """A UTC moment, "2026-11-21 18:50"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Clock:
    """A settable clock for the quotas."""

    def __init__(self, text: str) -> None:
        self.now = at(text)

    def set(self, text: str) -> None:
        self.now = at(text)

    def __call__(self) -> float:
        return self.now


def limit_core(core: Core, clock: Clock, *limits: Limit) -> Core:
    """The core with these limits in force, on this clock."""
    core.quotas.policy, core.quotas.clock = QuotaPolicy(limits), clock
    core.intake.max_jobs_per_user = 100  # the jobs are not run here: only the quotas should refuse
    return core


@dataclass
class Photos:
    """The adapter's part: photo bytes, counting each fetch."""

    fetched: int = 0

    async def fetch(self) -> list[tuple[str, bytes]]:
        self.fetched += 1
        return [("me.jpg", jpeg(512, 512))]


class Status:
    """The adapter's other part: the status message opens a "thread"."""

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        return {"t": 1}


async def ask(core: Core, *, count: int = 1, owner: str = SLACK_USER, workspace: str | None = TEAM,
              provider: str = "scripted", photos: Photos | None = None) -> str:
    """The core's whole intake sequence, as an adapter runs it; returns the job id."""
    request = Ask(owner=owner, values={"count": count}, provider=provider, workspace=workspace)
    job = await core.intake.start(request, photos or Photos(), Status(), RecordingSurface())
    return job.id


async def test_exactly_at_the_limit_passes_and_one_more_is_refused_with_the_sentence(core: Core) -> None:
    clock = Clock("2026-11-21 18:50")
    limit_core(core, clock, Limit("scripted", Scope.USER, Period.DAY, 8))
    await ask(core, count=4)
    await ask(core, count=4)
    with pytest.raises(QuotaExceeded) as refused:
        await ask(core, count=1)
    assert str(refused.value) == (
        "You have used 8 of your 8 Scripted headshots for today; the allowance resets at 00:00 UTC, in 5 h 10 min."
    )
    assert refused.value.provider == "scripted" and refused.value.scope is Scope.USER
    _options, _name, problems = await core.intake.check(SLACK_USER, 1, {"count": 1}, "scripted", TEAM)
    assert problems == [refused.value.problem]  # the read-only check before an acknowledgement says the same
    assert problems[0].field is Field.PROVIDER
    assert len(await core.store.jobs_for_owner(SLACK_USER)) == 2  # nothing recorded, nothing stored
    assert len(list((core.blobs.root / "jobs").iterdir())) == 2
    refusals = core.metrics.registry.get_sample_value(
        "headshot_quota_refusals_total", {"provider": "scripted", "scope": "user_day"}
    )
    assert refusals == 2


async def test_a_request_that_would_pass_the_limit_says_what_it_needs(core: Core) -> None:
    clock = Clock("2026-11-21 23:59:30")
    limit_core(core, clock, Limit("scripted", Scope.WORKSPACE, Period.MONTH, 6))
    await ask(core, count=3)
    with pytest.raises(QuotaExceeded) as refused:
        await ask(core, count=4, owner="u2")
    assert str(refused.value) == (
        "This workspace has used 3 of its 6 Scripted headshots for this month, and this request needs 4; "
        "the allowance resets on 1 December at 00:00 UTC, in 9 days."
    )
    await ask(core, count=4, workspace="team-2", owner="u3")  # another workspace has its own allowance
    limit_core(core, clock, Limit("scripted", Scope.USER, Period.DAY, 2))
    with pytest.raises(QuotaExceeded) as never:
        await ask(core, count=3, owner="u9")
    assert str(never.value) == (
        "A Scripted request counts 3 headshots, more than your whole allowance of 2 a day; "
        "please choose another provider."
    )


async def test_the_allowance_comes_back_at_midnight_and_at_the_turn_of_the_month(core: Core) -> None:
    clock = Clock("2026-01-31 23:59:59")
    limit_core(
        core, clock, Limit("scripted", Scope.USER, Period.DAY, 2), Limit("scripted", Scope.WORKSPACE, Period.MONTH, 3)
    )
    await ask(core, count=2)
    with pytest.raises(QuotaExceeded) as today:
        await ask(core)
    assert "resets at 00:00 UTC, in less than a minute" in str(today.value)
    clock.set("2026-02-01 00:00:00")
    await ask(core, count=2)  # a new day and a new month
    await ask(core, count=1, owner="u2")
    with pytest.raises(QuotaExceeded) as month:
        await ask(core, owner="u3")
    assert "This workspace has used 3 of its 3" in str(month.value) and "on 1 March" in str(month.value)
    clock.set("2026-02-28 23:59:59")
    with pytest.raises(QuotaExceeded):
        await ask(core, owner="u3")
    clock.set("2026-03-01 00:00:00")
    await ask(core, owner="u3")


async def test_a_failed_job_gives_everything_back(core: Core, scripted: ScriptedProvider) -> None:
    clock = Clock("2026-11-21 12:00")
    limit_core(core, clock, Limit("scripted", Scope.USER, Period.DAY, 4))
    scripted.script = [ProviderError("The provider refused the photo.")]
    job_id = await ask(core, count=4)
    assert (await core.intake.check(SLACK_USER, 1, {"count": 1}, "scripted", TEAM))[2]
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert [u.used for u in await core.quotas.uses(SLACK_USER, TEAM, ["scripted"])] == [0]
    await ask(core, count=4)


async def test_a_job_that_delivers_fewer_images_counts_what_it_delivered(
    core: Core, scripted: ScriptedProvider
) -> None:
    clock = Clock("2026-11-21 12:00")
    limit_core(core, clock, Limit("scripted", Scope.USER, Period.DAY, 4))
    scripted.script = [images(1)]  # asked for 4, made 1
    await ask(core, count=4)
    await core.runner.run_until_idle()
    (use,) = await core.quotas.uses(SLACK_USER, TEAM, ["scripted"])
    assert (use.used, use.left) == (1, 3)
    await ask(core, count=3)


async def test_the_images_are_held_before_any_photo_is_fetched_and_given_back_if_no_job_comes(core: Core) -> None:
    clock = Clock("2026-11-21 12:00")
    limit_core(core, clock, Limit("scripted", Scope.USER, Period.DAY, 2))

    class FailingPhotos(Photos):
        async def fetch(self) -> list[tuple[str, bytes]]:
            second = Photos()
            with pytest.raises(QuotaExceeded):  # held while the first request fetches its photos
                await ask(core, count=1, photos=second)
            assert second.fetched == 0  # the refused request fetched nothing
            raise UserError("I couldn't download me.jpg.")

    with pytest.raises(UserError, match="couldn't download"):
        await ask(core, count=2, photos=FailingPhotos())
    await ask(core, count=2)


async def test_a_hold_whose_process_died_lapses(core: Core) -> None:
    clock = Clock("2026-11-21 12:00")
    limit_core(core, clock, Limit("scripted", Scope.USER, Period.DAY, 2))
    await core.quotas.hold("f" * 32, "scripted", "Scripted", SLACK_USER, TEAM, 2)  # never accepted, never released
    with pytest.raises(QuotaExceeded):
        await ask(core)
    clock.now += core.quotas.hold_seconds + 1
    await ask(core, count=1)
    assert await core.store.drop_charges_before(clock.now - 40 * 86400, clock.now) == 1  # the sweep takes it back
    await ask(core, count=1)
    with pytest.raises(QuotaExceeded, match="You have used 2 of your 2"):
        await ask(core, count=1)


async def test_ten_simultaneous_requests_for_the_last_slot_let_exactly_one_through(tmp_path: Path) -> None:
    """Five requests on each of two connections to one database file, all at once."""
    limits = QuotaPolicy((Limit("studio", Scope.WORKSPACE, Period.DAY, 5),))
    settings = make_settings(tmp_path, max_jobs_per_user=100, quotas=limits)
    first = await build_core(settings)
    second = await build_core(settings)
    try:
        await ask(first, count=4, provider="studio")
        outcomes = await asyncio.gather(
            *(ask(core, owner=f"u{n}", provider="studio") for n in range(5) for core in (first, second)),
            return_exceptions=True,
        )
        passed = [o for o in outcomes if isinstance(o, str)]
        refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
        others = [o for o in outcomes if not isinstance(o, str | QuotaExceeded)]
        assert not others, others
        assert len(passed) == 1 and len(refused) == 9, outcomes
        assert all(str(r).startswith("This workspace has used 5 of its 5 Studio headshots for today") for r in refused)
    finally:
        await first.close()
        await second.close()


async def test_use_is_kept_across_a_restart_and_a_forget(tmp_path: Path) -> None:
    limits = QuotaPolicy((Limit("studio", Scope.USER, Period.MONTH, 3),))
    settings = make_settings(tmp_path, max_jobs_per_user=100, quotas=limits)
    core = await build_core(settings)
    await ask(core, count=3, provider="studio")
    await core.close()
    core = await build_core(settings)
    try:
        with pytest.raises(QuotaExceeded, match="You have used 3 of your 3 Studio headshots for this month"):
            await ask(core, provider="studio")
        await core.service.forget(SLACK_USER)  # forgetting a user does not give their allowance back
        with pytest.raises(QuotaExceeded):
            await ask(core, provider="studio")
    finally:
        await core.close()


async def test_users_workspaces_and_direct_messages_are_counted_apart(core: Core) -> None:
    clock = Clock("2026-11-21 12:00")
    limit_core(
        core, clock, Limit("scripted", Scope.USER, Period.DAY, 2), Limit("scripted", Scope.WORKSPACE, Period.DAY, 3)
    )
    await ask(core, count=2, owner="alice", workspace="team-1")
    with pytest.raises(QuotaExceeded, match="You have used 2 of your 2"):
        await ask(core, owner="alice", workspace="team-2")  # a user's own limit follows them
    await ask(core, owner="bob", workspace="team-1")
    with pytest.raises(QuotaExceeded, match="This workspace has used 3 of its 3"):
        await ask(core, owner="carol", workspace="team-1")
    await ask(core, count=2, owner="carol", workspace="team-2")
    await ask(core, count=2, owner="dave", workspace=None)  # a direct message: dave's own workspace
    await ask(core, count=1, owner="erin", workspace=None)
    jobs = await core.store.jobs_for_owner("dave")
    assert jobs[0].workspace == "dave"
    found = await core.quotas.uses("carol", "team-2", ["scripted"])
    uses = {(u.window.limit.scope, u.window.key): u.used for u in found}
    assert uses == {(Scope.USER, "carol"): 2, (Scope.WORKSPACE, "team-2"): 2}


async def test_unlimited_providers_are_charged_too_so_the_operator_sees_their_use(core: Core) -> None:
    clock = Clock("2026-11-21 12:00")
    limit_core(core, clock, Limit("studio", Scope.USER, Period.DAY, 1))
    await ask(core, count=3)
    rows = await core.quotas.report()
    assert {(r.who, r.provider, r.period.value, r.used, r.limit) for r in rows} == {
        ("workspace", "scripted", "day", 3, None), ("workspace", "scripted", "month", 3, None),
        (SLACK_USER, "scripted", "day", 3, None), (SLACK_USER, "scripted", "month", 3, None),
    }


async def test_the_store_keeps_one_charge_per_job_and_settles_it_at_most_to_what_was_held(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    try:
        charge = Charge("a" * 32, "p", "u", "w", 2, at("2026-11-21 12:00"))
        assert await store.hold_charge(charge, [], charge.at + 60) is None
        with pytest.raises(sqlite3.IntegrityError):
            await store.hold_charge(charge, [], charge.at + 60)
        await store.settle_charge(charge.job_id, 5)
        totals = await store.charge_totals(0, charge.at)
        assert totals == [ChargeTotal("w", "u", "p", 2)]
        assert await store.charge_totals(0, charge.at + 61) == []  # a lapsed hold counts no more
        assert await store.ping()
    finally:
        await store.close()


async def test_counts_are_filled_from_the_charges_a_database_already_has(tmp_path: Path) -> None:
    """A database from before the running counts: its charges of this month are counted after the upgrade."""
    path = tmp_path / "db.sqlite"
    old = sqlite3.connect(path)
    before = next(n for n, script in enumerate(MIGRATIONS) if "CREATE TABLE quota_counts" in script)
    for number, script in enumerate(MIGRATIONS[:before], start=1):
        old.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    now = at("2026-11-21 12:00")
    rows = [
        ("a" * 32, "u", "w", at("2026-11-21 01:00"), 3, None), ("b" * 32, "u", "w", at("2026-11-02 09:00"), 2, None),
        ("c" * 32, "v", "w", at("2026-11-21 02:00"), 4, None), ("d" * 32, "u", "w", at("2026-10-31 23:00"), 5, None),
    ]
    old.executemany("INSERT INTO quota_charges VALUES (?, 'studio', ?, ?, ?, ?, ?)", rows)
    old.commit()
    old.close()
    store = await SqliteJobStore.open(path)
    try:
        guard = QuotaGuard(QuotaPolicy((
            Limit("studio", Scope.USER, Period.DAY, 100), Limit("studio", Scope.USER, Period.MONTH, 100),
            Limit("studio", Scope.WORKSPACE, Period.DAY, 100), Limit("studio", Scope.WORKSPACE, Period.MONTH, 100),
        )), store, clock=lambda: now)
        uses = {(u.window.limit.scope, u.window.limit.period): u.used for u in await guard.uses("u", "w", ["studio"])}
        assert uses == {(Scope.USER, Period.DAY): 3, (Scope.USER, Period.MONTH): 5,
                        (Scope.WORKSPACE, Period.DAY): 7, (Scope.WORKSPACE, Period.MONTH): 9}
    finally:
        await store.close()
