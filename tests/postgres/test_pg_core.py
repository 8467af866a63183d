"""The core on PostgreSQL: a job from queue to thread, blobs in the database, nothing under DATA_DIR."""

from __future__ import annotations

from pathlib import Path

from bot.jobs import JobState
from bot.wiring.app import Core
from tests.conftest import submit
from tests.doubles import RecordingSurface, ScriptedProvider, images


async def test_a_job_runs_from_queue_to_thread_with_its_files_in_the_database(
    pg_core: Core, surface: RecordingSurface, scripted: ScriptedProvider, tmp_path: Path
) -> None:
    scripted.script = [images(25)]
    job_id = await submit(pg_core, count=4)
    await pg_core.runner.run_until_idle()
    job = await pg_core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED and job.results_done == 25
    assert len(surface.files) == 26  # and the contact sheet
    assert await pg_core.blobs.folders("jobs") == [job_id] and await pg_core.blobs.exists(f"jobs/{job_id}/out/00.jpg")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # nothing kept on disk

