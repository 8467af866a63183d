"""Photos are not kept longer than needed: inputs go when the job ends, results after retention, all on forget."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.catalog import ProviderCatalog
from bot.defaults import UserDefaults
from bot.downloads import Downloader
from bot.engine import JobEngine
from bot.intake import JobIntake
from bot.jobs import JobState
from bot.options import Options
from bot.photos import Photo, PhotoReader
from bot.ports import Button, Link, OutgoingFile
from bot.quota_guard import QuotaGuard
from bot.quotas import QuotaPolicy
from bot.results import ResultKeeper
from bot.slots import InProcessSlots
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from tests.doubles import ScriptedProvider, jpeg
from tests.faults.harness import BotProcess, Fakes, eventually
from tests.faults.test_backpressure import settings_submission


class UnreachableThread:
    """A chat surface whose thread is gone: every post fails."""

    name = "gone"
    max_files_per_post = 10
    max_bytes_per_post = 10**8

    async def set_status(self, thread: dict[str, Any], text: str, buttons: Sequence[Button] = ()) -> None:
        raise ConnectionError("channel archived")

    async def post(
        self, thread: dict[str, Any], text: str, files: list[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        raise ConnectionError("channel archived")

    async def was_posted(self, thread: dict[str, Any], key: str) -> bool:
        return False

    def post_limit(self, thread: dict[str, Any]) -> int | None:
        return None


async def test_photos_are_deleted_even_when_the_failure_cannot_be_told(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "db.sqlite")
    now = [time.time()]
    blobs = FileBlobStore(tmp_path / "blobs")
    catalog = ProviderCatalog({"scripted": ScriptedProvider()}, "scripted")
    downloader = Downloader(None, allow_private=True)  # type: ignore[arg-type]  # never downloads here
    engine = JobEngine(
        records=store, results=store, deliveries=store, charges=store, blobs=blobs, providers=catalog,
        surfaces={"gone": UnreachableThread()}, keeper=ResultKeeper(store, blobs, downloader),
        callback_url=None, callback_timeout=60, clock=lambda: now[0],
    )
    try:
        service = JobIntake(
            records=store, blobs=blobs, catalog=catalog, defaults=UserDefaults(store, catalog),
            slots=InProcessSlots(store), photos=PhotoReader(), on_accepted=lambda: None, can_take_callbacks=False,
            quotas=QuotaGuard(QuotaPolicy(), store), intakes=store,
        )
        request = service.build_request([Photo(jpeg(256, 256))], Options(), "scripted")
        job = await service.accept(request, owner="u", surface="gone", thread={"channel": "archived"})
        await engine.fail(job, "The provider refused the photos.")
        for _ in range(20):  # every retry of the failure notice fails; time moves past each backoff
            await engine.advance(job.id)
            now[0] += 1000
        stored = await store.get(job.id)
        assert stored is not None and stored.state is JobState.FAILED
        assert not (blobs.root / "jobs" / job.id / "in").exists(), "photos kept for a job nobody can be told about"
    finally:
        await store.close()


async def test_results_are_swept_after_the_retention_period(bot: BotProcess, fakes: Fakes) -> None:
    bot.env_overrides["RESULT_RETENTION_DAYS"] = "0.00002"  # about 1.7 seconds
    await bot.start()
    assert (await bot.request_job("agentai", count="2")).status == 200
    [status] = await bot.ended(timeout=60)
    [(job_id,)] = bot.rows("SELECT id FROM jobs")
    folder = bot.data_dir / "blobs" / "jobs" / job_id
    await eventually(lambda: not folder.exists(), 20, "the sweep to delete the results", poll=0.2)
    # The sweep deletes the files, then marks the row: the mark may land a moment after the folder goes.
    await eventually(lambda: bot.rows("SELECT state, purged FROM jobs") == [("delivered", 1)], 5,
                     "the row to be marked purged (it stays, for `status`)", poll=0.05)
    assert status["text"].startswith("✅")


async def test_forget_deletes_every_row_setting_and_file_of_the_caller(bot: BotProcess, fakes: Fakes) -> None:
    await bot.start()
    assert (await bot.interact(settings_submission("U0USER"))).status == 200
    assert (await bot.request_job("agentai", user="U0USER")).status == 200
    assert (await bot.request_job("agentai", user="U0OTHER")).status == 200
    await bot.ended(count=2, timeout=60)
    await eventually(lambda: len(bot.rows("SELECT owner FROM user_settings")) == 1, 20, "the settings to be saved")
    mine = [row[0] for row in bot.rows("SELECT id FROM jobs WHERE owner = 'slack:T0TEAM:U0USER'")]
    assert len(mine) == 1 and (bot.data_dir / "blobs" / "jobs" / mine[0]).exists()

    assert (await bot.command("forget")).status == 200
    await eventually(lambda: fakes.slack.responses, 20, "the answer to forget")
    assert fakes.slack.responses[-1]["text"] == "Deleted 1 job, your settings and your consent."
    owner = "slack:T0TEAM:U0USER"
    assert bot.rows("SELECT id FROM jobs WHERE owner = ?", (owner,)) == []
    assert bot.rows("SELECT owner FROM user_settings WHERE owner = ?", (owner,)) == []
    for table in ("results", "deliveries"):
        assert bot.rows(f"SELECT job_id FROM {table} WHERE job_id = ?", (mine[0],)) == []
    assert not (bot.data_dir / "blobs" / "jobs" / mine[0]).exists()
    # Someone else's job is untouched.
    assert len(bot.rows("SELECT id FROM jobs WHERE owner = 'slack:T0TEAM:U0OTHER'")) == 1
