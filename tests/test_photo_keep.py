"""Photos stay PHOTO_KEEP_HOURS after their job ends (for its buttons), then the sweep deletes them."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bot.blob_keys import photo_key
from bot.ports import ProviderError
from storage.sqlite import SqliteJobStore
from storage.sqlite.migrations import MIGRATIONS
from tests.conftest import CoreFactory, submit
from tests.doubles import ScriptedProvider


async def test_a_delivered_jobs_photos_are_kept_until_the_sweep_after_photo_keep_hours(make_core: CoreFactory) -> None:
    core = await make_core(photo_keep_hours=0.0002)  # 0.72 seconds
    job_id = await submit(core, photos=2)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and not job.photos_purged
    assert await core.blobs.exists(photo_key(job_id, 1))

    assert await core.retention.sweep_photos(cutoff=time.time() - 3600) == 0  # not yet
    await asyncio.sleep(0.8)
    await core.retention.sweep_expired(cutoff=0)  # the runner's hourly sweep: results stay, photos go
    job = await core.store.get(job_id)
    assert job is not None and job.photos_purged
    assert not await core.blobs.exists(photo_key(job_id, 0)) and not await core.blobs.exists(photo_key(job_id, 1))
    assert await core.blobs.exists(f"jobs/{job_id}/out/00.jpg")
    assert await core.retention.sweep_photos(cutoff=time.time()) == 0  # swept once


async def test_photo_keep_hours_zero_deletes_them_when_the_job_ends(make_core: CoreFactory) -> None:
    core = await make_core(photo_keep_hours=0)
    job_id = await submit(core)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.photos_purged and not await core.blobs.exists(photo_key(job_id, 0))


async def test_a_failed_jobs_photos_go_at_once(make_core: CoreFactory, scripted: ScriptedProvider) -> None:
    scripted.script = [ProviderError("The provider refused the photos.")]
    core = await make_core()
    job_id = await submit(core)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.photos_purged and not await core.blobs.exists(photo_key(job_id, 0))


async def test_jobs_that_ended_before_photos_were_kept_count_as_swept(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = sqlite3.connect(path)
    before = next(n for n, script in enumerate(MIGRATIONS) if "photos_purged" in script)
    for version, script in enumerate(MIGRATIONS[:before]):
        db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={version + 1};\nCOMMIT;")
    columns = "id, owner, surface, thread, provider, options, photo_count, state, created_at, updated_at"
    for job_id, state in (("a" * 32, "delivered"), ("b" * 32, "queued")):
        db.execute(f"INSERT INTO jobs ({columns}) VALUES (?, 'u', 'test', '{{}}', 'studio', '{{}}', 1, ?, 1, 1)",
                   (job_id, state))
    db.commit()
    db.close()
    store = await SqliteJobStore.open(path)
    try:
        old, running = await store.get("a" * 32), await store.get("b" * 32)
        assert old is not None and old.photos_purged
        assert running is not None and not running.photos_purged
    finally:
        await store.close()
