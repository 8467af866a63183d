"""A pack's contact sheet is drawn while its status message is being updated, not after."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.blob_keys import contact_sheet_key
from bot.engine import callback_hash
from bot.jobs import Job, JobState
from bot.options import Options
from bot.ports import BlobStore, Button
from bot.wiring.app import Core, build_core
from tests.conftest import CoreFactory, make_settings
from tests.doubles import RecordingSurface
from tests.fakes import small_jpeg
from tests.fakes.cdn import FakeCDN

JOB = "d" * 32
TOKEN = "sheet-token"


@dataclass
class WatchingSurface(RecordingSurface):
    """Each status update waits (up to a second) for the job's contact sheet to be stored, and notes
    whether it was."""

    blobs: BlobStore | None = None
    sheet_during_update: list[bool] = field(default_factory=list)

    async def set_status(self, thread: dict[str, Any], text: str, buttons: Sequence[Button] = ()) -> None:
        assert self.blobs is not None
        deadline = time.perf_counter() + 1.0
        while not await self.blobs.exists(contact_sheet_key(JOB)) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        self.sheet_during_update.append(await self.blobs.exists(contact_sheet_key(JOB)))
        await super().set_status(thread, text, buttons)


async def _fetching(core: Core, urls: list[str]) -> None:
    await core.store.add(Job(
        id=JOB, owner="u1", surface="test", thread={"t": 1}, provider="scripted", options=Options(), photo_count=1,
        state=JobState.WAITING, remote_id="r1", callback_hash=callback_hash(TOKEN),
    ))
    assert await core.store.accept_callback(callback_hash(TOKEN), "r1", urls)


async def test_the_contact_sheet_is_drawn_while_the_status_says_the_images_are_coming(tmp_path: Path) -> None:
    surface = WatchingSurface()
    async with FakeCDN() as cdn:
        core = await build_core(make_settings(tmp_path), providers={}, surfaces={"test": surface})
        try:
            surface.blobs = core.blobs
            images = [small_jpeg(n) for n in range(25)]
            await _fetching(core, [cdn.put(f"pack/{n:02d}.jpg", data) for n, data in enumerate(images)])
            await core.runner.run_until_idle()
            job = await core.store.get(JOB)
            assert job is not None and job.state is JobState.DELIVERED
            assert surface.sheet_during_update[0] is True  # the update as the pack moved on to delivery
            assert "contact sheet" in surface.posts[0].key
            assert [data for name, data in surface.files if name.startswith("headshot-")] == images
        finally:
            await core.close()


async def test_a_pack_that_fits_one_post_gets_no_contact_sheet(
    make_core: CoreFactory, surface: RecordingSurface
) -> None:
    core = await make_core()
    async with FakeCDN() as cdn:
        await _fetching(core, [cdn.put(f"pack/{n:02d}.jpg", small_jpeg(n)) for n in range(10)])
        await core.runner.run_until_idle()
    job = await core.store.get(JOB)
    assert job is not None and job.state is JobState.DELIVERED
    assert not await core.blobs.exists(contact_sheet_key(JOB))
    assert [len(post.files) for post in surface.posts] == [10]
