"""Slack as `serve` runs it: answered on one loop, worked on behind the answers on a worker loop with a
core of its own; and what a full queue answers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from adapters.slack import SlackAdapter
from bot.wiring.behind import Behind, answering
from bot.work_queue import BUSY
from tests.conftest import make_settings
from tests.consent import agree, slack_people
from tests.servers import running
from tests.slack.conftest import SECRET, SlackHarness, portrait_jpeg, wait_for
from tests.slack.fake_slack import TOKEN, FakeSlack
from tests.slack.test_slack_requests import CHANNEL, top_level


@asynccontextmanager
async def two_loops(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[tuple[SlackHarness, Behind]]:
    config = make_settings(
        tmp_path, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_base_url=f"{fake.url}/api/"
    )
    behind = await Behind.open(config)
    try:
        core, adapters = await answering(config, behind)
        [adapter] = adapters
        assert isinstance(adapter, SlackAdapter)
        await agree(core, *slack_people())
        try:
            async with running(core.web_app([adapter.install_routes])) as url, aiohttp.ClientSession() as http:
                await behind.run(None)
                yield SlackHarness(fake, core, adapter, url, http, None), behind  # type: ignore[arg-type]
        finally:
            await adapter.stop()
            await core.close()
    finally:
        await behind.close()


async def test_a_submission_is_answered_here_and_made_into_headshots_behind(tmp_path: Path, fake: FakeSlack) -> None:
    async with two_loops(tmp_path, fake) as (harness, behind):
        [twin] = behind.adapters
        assert isinstance(twin, SlackAdapter)
        started_on: list[str] = []
        start_job = twin.listeners.slack.start_job

        async def watched(*args: Any, **kwargs: Any) -> None:
            started_on.append(threading.current_thread().name)
            await start_job(*args, **kwargs)

        twin.listeners.slack.start_job = watched  # type: ignore[method-assign]
        photo = fake.add_user_file("portrait.jpg", portrait_jpeg())
        answer = await harness.interact(harness.submission([photo], "studio"))
        assert answer.status == 200 and answer.text == ""
        await wait_for(lambda: top_level(harness) and top_level(harness)[0]["text"].startswith("✅"), 30)
        assert started_on == ["worker-loop"]
        replies = fake.thread(CHANNEL, top_level(harness)[0]["ts"])[1:]
        assert [r["text"].split(" · ")[0] for r in replies] == ["Headshot 1 of 1"]
        await harness.adapter.idle()
        # the request's note, written before the answer, is crossed off once it is a job
        assert await harness.core.store.open_intakes(older_than=time.time() + 60) == []


async def test_a_full_queue_answers_each_entry_point_with_a_sentence_and_takes_nothing_on(
    harness: SlackHarness,
) -> None:
    harness.adapter.listeners.tasks.capacity = 0
    photo = harness.fake.add_user_file("portrait.jpg", portrait_jpeg())
    answer = await harness.interact(harness.submission([photo], "studio"))
    assert answer.status == 200
    assert answer.json() == {"response_action": "errors", "errors": {"photos": BUSY.say(None)}}  # the modal stays
    command = await harness.command("")
    assert command.status == 200 and BUSY.say(None) in command.text
    await harness.settle()
    assert harness.fake.calls_to("views.open") == [] and top_level(harness) == []
    assert await harness.core.service.recent_jobs("slack:T0TEAM:U0USER") == []
    assert harness.fake.downloads == []


async def test_a_submission_is_written_down_before_it_is_answered(harness: SlackHarness) -> None:
    release = asyncio.Event()
    start_job = harness.adapter.listeners.slack.start_job

    async def held(*args: Any, **kwargs: Any) -> None:
        await release.wait()
        await start_job(*args, **kwargs)

    harness.adapter.listeners.slack.start_job = held  # type: ignore[method-assign]
    photo = harness.fake.add_user_file("portrait.jpg", portrait_jpeg())
    answer = await harness.interact(harness.submission([photo], "studio"))
    assert answer.status == 200
    [noted] = await harness.core.store.open_intakes(older_than=time.time() + 60)
    assert noted.owner == "slack:T0TEAM:U0USER" and noted.surface == "slack"
    release.set()
    await harness.settle()
    assert await harness.core.store.open_intakes(older_than=time.time() + 60) == []
    assert top_level(harness)[0]["text"].startswith("✅")
