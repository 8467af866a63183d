"""The job engine and runner: states, retries, failures, delivery exactly once."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from PIL import Image

from bot.contact_sheet import render_contact_sheet
from bot.delivery import STARTED
from bot.jobs import JobChange, JobState
from bot.ports import Generated, GenerationInput, ProviderError, ResultImage, Submitted
from bot.wiring.app import Core
from tests.conftest import CoreFactory, submit
from tests.doubles import RecordingSurface, ScriptedProvider, images, jpeg
from tests.images import flat_png, png_bomb_header


async def test_a_job_runs_from_queue_to_thread(core: Core, surface: RecordingSurface) -> None:
    job_id = await submit(core, count=3)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED and job.results_done == 3
    assert len(surface.files) == 3 and len({data for _, data in surface.files}) == 3
    assert "generating" in " ".join(surface.statuses) and "done" in surface.statuses[-1]
    assert await core.blobs.exists(f"jobs/{job_id}/in/0.jpg")  # kept a while for the follow-up buttons


async def test_retryable_provider_errors_are_retried_then_succeed(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    scripted.script = [ProviderError("busy", retryable=True, retry_after=0.01), images(1)]
    job_id = await submit(core)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    assert len(scripted.calls) == 2


async def test_a_refusal_is_told_in_the_thread_once(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    scripted.script = [ProviderError("Scripted refused the photo: too dark.", raw='{"error": "dark"}')]
    job_id = await submit(core)
    await core.runner.run_until_idle()
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FAILED and job.detail == '{"error": "dark"}'
    failures = [p for p in surface.posts if "too dark" in p.text]
    assert len(failures) == 1 and "failed" in surface.statuses[-1]


async def test_a_chat_outage_is_retried_without_duplicates(core: Core, surface: RecordingSurface) -> None:
    surface.fail_posts = 1
    job_id = await submit(core, count=2)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    assert len(surface.files) == 2


async def test_a_pack_gets_a_contact_sheet_and_batches(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    scripted.script = [images(25)]
    await submit(core)
    await core.runner.run_until_idle()
    assert "contact sheet" in surface.posts[0].key and len(surface.posts[0].files) == 1
    assert [len(p.files) for p in surface.posts[1:]] == [10, 10, 5]
    assert "Headshots 21-25 of 25" in surface.posts[-1].text


async def test_a_decompression_bomb_among_the_results_is_left_out_and_said_so(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    good = [jpeg(shade=n) for n in range(3)]
    answer = [ResultImage(data=good[0]), ResultImage(data=png_bomb_header(), mime_type="image/png"),
              ResultImage(data=good[1]), ResultImage(data=flat_png(7000, 7000), mime_type="image/png"),
              ResultImage(data=good[2])]
    scripted.script = [Generated(images=answer, remote_id="run-b")]
    job_id = await submit(core, count=4)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED and job.results_done == 3
    assert [data for _, data in surface.files] == good
    assert "(2 of 5 could not be downloaded from the provider or were not usable images)" in surface.posts[-1].text


async def test_a_result_with_only_bombs_fails_with_a_sentence(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    scripted.script = [Generated(images=[ResultImage(data=png_bomb_header(), mime_type="image/png")])]
    job_id = await submit(core)
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert job.error == "None of the images Scripted made could be used."


def test_the_contact_sheet_survives_a_decompression_bomb(tmp_path: Path) -> None:
    paths = []
    for n, data in enumerate([jpeg(200, 200, 1), png_bomb_header(), jpeg(200, 200, 2)]):
        paths.append(tmp_path / f"{n}.img")
        paths[-1].write_bytes(data)
    sheet = Image.open(io.BytesIO(render_contact_sheet(paths)))
    assert sheet.size[0] > 3 * 200
    assert sheet.getpixel((8 + 208 + 100, 8 + 100)) == (230, 230, 230)  # the bomb's cell is blank


async def test_a_piece_left_started_is_not_posted_again_if_the_thread_has_it(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    job_id = await submit(core, count=1)
    job = await core.store.get(job_id)
    assert job is not None
    key = f"job {job.short_id} · part 1/1"
    # As if the process died after the post and before recording it:
    await core.store.set_delivery(job_id, key, STARTED)
    await surface.post(job.thread, f"Headshot 1 of 1 · {key}", [], key)
    await core.runner.run_until_idle()
    assert len([p for p in surface.posts if key in p.text]) == 1


async def test_per_user_limit_is_a_clear_refusal(core: Core) -> None:
    await submit(core, owner="busy")
    await submit(core, owner="busy")
    try:
        async with core.intake.job_slot("busy"):
            pass
    except ValueError as exc:
        assert "2 headshot jobs in progress" in str(exc)
    else:
        raise AssertionError("a third job was allowed")


async def test_request_validation_speaks_to_the_user(core: Core) -> None:
    from bot.options import Options
    from tests.conftest import photo

    try:
        core.intake.build_request([photo(n) for n in range(4)], Options(), "scripted")
    except ValueError as exc:
        assert str(exc) == "Scripted takes at most 3 photos; you sent 4."
    else:
        raise AssertionError("four photos were accepted")


async def test_retention_sweep_deletes_old_results_and_forget_deletes_everything(
    core: Core, surface: RecordingSurface
) -> None:
    old = await submit(core, owner="a")
    await core.runner.run_until_idle()
    assert await core.blobs.exists(f"jobs/{old}/out/00.jpg")
    assert await core.retention.sweep_expired(cutoff=0) == 0
    import time

    assert await core.retention.sweep_expired(cutoff=time.time() + 1) == 1
    assert not await core.blobs.exists(f"jobs/{old}/out/00.jpg")
    assert await core.service.forget("a") == 1
    assert await core.store.get(old) is None


async def test_a_callback_that_never_comes_fails_the_job_after_the_deadline(
    make_core: CoreFactory, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    from bot.ports import Submitted

    scripted.capabilities = scripted.capabilities.__class__(**{**scripted.capabilities.__dict__, "asynchronous": True})
    scripted.script = [Submitted(remote_id="remote-1")]
    core = await make_core(runflow_callback_timeout_s=0.2)
    job_id = await submit(core)
    await core.runner.run_until_idle(include_waiting=True)
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert "did not deliver" in (job.error or "")
    assert scripted.calls[0].callback_url and "/webhooks/runflow/" in scripted.calls[0].callback_url


async def test_the_sweep_removes_orphaned_folders_and_stale_temporaries(core: Core) -> None:
    import os

    kept = await submit(core, owner="a")
    await core.runner.run_until_idle()
    orphan = core.blobs.root / "jobs" / ("f" * 32) / "out"
    orphan.mkdir(parents=True)
    (orphan / "00.jpg").write_bytes(b"left behind by a job forgotten mid-run")
    stale = core.blobs.root / "jobs" / kept / "out" / ".tmp-killed"
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))
    await core.retention.sweep_expired(cutoff=0)
    assert not orphan.parent.exists() and not stale.exists()
    assert await core.blobs.exists(f"jobs/{kept}/out/00.jpg")


async def test_requests_at_the_same_moment_cannot_pass_the_per_user_limit_together(core: Core) -> None:
    import asyncio

    from bot.errors import UserError

    gate = asyncio.Event()
    outcomes: list[str] = []

    async def start() -> None:
        try:
            async with core.intake.job_slot("same"):
                await gate.wait()  # still downloading photos, not yet recorded
                outcomes.append("started")
        except UserError:
            outcomes.append("refused")

    tasks = [asyncio.create_task(start()) for _ in range(5)]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(*tasks)
    assert sorted(outcomes) == ["refused"] * 3 + ["started"] * 2


async def test_a_job_whose_provider_is_gone_after_a_restart_fails_clearly(
    core: Core, make_core: CoreFactory, surface: RecordingSurface
) -> None:
    job_id = await submit(core)
    await core.store.update(job_id, JobChange(state=JobState.GENERATING))  # as if killed mid-call
    core = await make_core(providers={})  # restarted without that provider
    await core.runner.run_until_idle()
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert "not configured on this bot any more" in surface.posts[-1].text


async def test_forget_while_a_job_generates_leaves_nothing_and_no_traceback(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    called, release = asyncio.Event(), asyncio.Event()
    answer = scripted.generate

    async def slow_generate(task: GenerationInput) -> Generated | Submitted:
        called.set()
        await release.wait()  # the provider is making the headshots...
        return await answer(task)

    scripted.generate = slow_generate  # type: ignore[method-assign]
    job_id = await submit(core, count=3, owner="u-forget")
    work = asyncio.create_task(core.runner.run_until_idle())
    await asyncio.wait_for(called.wait(), 10)
    assert await core.service.forget("u-forget") == 1  # ...when the person asks to be forgotten
    release.set()
    await asyncio.wait_for(work, 20)

    assert await core.store.get(job_id) is None
    assert not (tmp_path / "blobs" / "jobs" / job_id).exists(), "results written after forget stayed on disk"
    assert surface.posts == []
    troubles = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert troubles == [], [r.getMessage() for r in troubles]
