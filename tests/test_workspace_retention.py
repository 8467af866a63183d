"""A workspace's admins may keep photos and results shorter than the operator's settings, never longer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.blob_keys import photo_key
from bot.intake import Ask
from bot.jobs import ThreadAddress
from bot.ports import ChatSurface, JobStore
from bot.wiring.app import Core
from bot.workspace_admin import NotAdmin
from bot.workspace_retention import KeepError, KeepFor
from storage.sqlite import SqliteJobStore
from tests.conftest import CoreFactory, photo
from tests.test_cli import run_cli

SHORT, OTHER = "slack:T0SHORT", "slack:T0OTHER"


@dataclass
class Admin:
    """`bot.chat.AdminCheck` answered by the test."""

    yes: bool = True

    async def is_admin(self) -> bool:
        return self.yes


class _Photos:
    async def fetch(self) -> list[tuple[str, bytes]]:
        return [("me.jpg", photo().data)]


class _Status:
    async def open(self, photo_count: int, *, private: bool, intake_id: str | None = None) -> ThreadAddress:
        return {"thread": "t1"}


async def job_in(core: Core, workspace: str, owner: str) -> str:
    """One delivered job of `owner` in `workspace`, through the ordinary intake."""
    surface: ChatSurface = core.surfaces["test"]
    ask = Ask(owner=owner, values={}, provider="scripted", workspace=workspace)
    job = await core.intake.start(ask, _Photos(), _Status(), surface)
    await core.runner.run_until_idle()
    return job.id


async def test_a_shortened_retention_sweeps_a_job_the_operators_setting_would_keep(make_core: CoreFactory) -> None:
    core = await make_core(result_retention_days=30, photo_keep_hours=24)
    kept = await core.admin.save_retention(SHORT, KeepFor(0.0002, 0.00001), Admin(), "slack:T0SHORT:U1")
    assert kept == KeepFor(0.0002, 0.00001)  # 0.72 s of photos, 0.86 s of results
    short = await job_in(core, SHORT, "slack:T0SHORT:U1")
    other = await job_in(core, OTHER, "slack:T0OTHER:U2")
    await asyncio.sleep(1.0)

    await core.retention.sweep_expired(cutoff=time.time() - 30 * 86400)  # the operator's rule keeps both
    swept, left = await core.store.get(short), await core.store.get(other)
    assert swept is not None and swept.photos_purged and not await core.blobs.exists(f"jobs/{short}/out/00.jpg")
    assert left is not None and not left.photos_purged and await core.blobs.exists(f"jobs/{other}/out/00.jpg")
    assert await core.store.finished_before(time.time()) == [other]  # the short one counts as swept


async def test_a_workspace_that_keeps_no_photos_loses_them_when_the_job_ends(make_core: CoreFactory) -> None:
    core = await make_core(photo_keep_hours=24)
    await core.admin.save_retention(SHORT, KeepFor(photo_hours=0), Admin(), "slack:T0SHORT:U1")
    short = await job_in(core, SHORT, "slack:T0SHORT:U1")
    other = await job_in(core, OTHER, "slack:T0OTHER:U2")
    assert not await core.blobs.exists(photo_key(short, 0)) and await core.blobs.exists(photo_key(other, 0))


async def test_longer_than_the_operator_and_non_admins_are_refused(make_core: CoreFactory) -> None:
    core = await make_core(result_retention_days=30, photo_keep_hours=24)
    with pytest.raises(KeepError, match="Photos can be kept from 0 up to 24 hours"):
        await core.admin.save_retention(SHORT, KeepFor(photo_hours=25), Admin(), "u")
    with pytest.raises(KeepError, match="Results can be kept for more than 0 and up to 30 days"):
        await core.admin.save_retention(SHORT, KeepFor(result_days=0), Admin(), "u")
    with pytest.raises(NotAdmin):
        await core.admin.save_retention(SHORT, KeepFor(photo_hours=1), Admin(yes=False), "u")
    assert await core.store.workspace_keep(SHORT) is None
    # The operator's own value is no shortening: nothing is stored for it.
    assert await core.admin.save_retention(SHORT, KeepFor(24, 7), Admin(), "u") == KeepFor(24, 7)
    assert await core.store.workspace_keep(SHORT) == KeepFor(None, 7)


async def test_both_stores_find_a_workspaces_finished_jobs(store: JobStore) -> None:
    await store.save_workspace_keep(SHORT, KeepFor(2, None), "u")
    await store.save_workspace_keep(OTHER, KeepFor(None, 3), "u")
    assert await store.shortened_keeps() == {OTHER: KeepFor(None, 3), SHORT: KeepFor(2, None)}
    await store.save_workspace_keep(OTHER, KeepFor(), "u")
    assert await store.shortened_keeps() == {SHORT: KeepFor(2, None)}
    assert await store.finished_in_before(SHORT, time.time()) == []
    assert await store.photos_kept_in_before(SHORT, time.time()) == []


def test_check_prints_the_retention_in_force(tmp_path: Path) -> None:
    async def shorten() -> None:
        store = await SqliteJobStore.open(tmp_path / "data" / "headshot-bot.db")
        await store.save_workspace_keep(SHORT, KeepFor(2, None), "u")
        await store.close()

    asyncio.run(shorten())
    result = run_cli("check", cwd=tmp_path, env={"PHOTO_KEEP_HOURS": "12", "RESULT_RETENTION_DAYS": "14"})
    [line] = [line for line in result.stdout.splitlines() if line.startswith("keeping")]
    assert line.split(None, 3)[3] == (
        "photos 12 hours after their job ends, results 14 days (PHOTO_KEEP_HOURS, RESULT_RETENTION_DAYS); "
        "1 workspace keeps them shorter"
    )
