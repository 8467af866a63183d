"""Nothing lost, nothing twice: `serve` SIGKILLed at every fault point, then restarted on the same DATA_DIR."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from tests.faults.harness import (
    PACK,
    BotProcess,
    Fakes,
    assert_each_once,
    callback_body,
    eventually,
    post_callback,
    wait_submissions,
)

CRASHES = [
    ("studio", "before-provider"),
    ("studio", "after-provider"),
    ("agentai", "before-provider"),
    ("agentai", "after-provider"),
    ("agentai", "after-post"),
    ("runflow", "before-provider"),
    ("runflow", "after-provider"),
    ("runflow", "after-callback"),
    ("runflow", "mid-download:30"),
    ("runflow", "after-post:3"),
    ("runflow", "after-delivery"),
]


@pytest.mark.parametrize(("provider", "point"), CRASHES, ids=[f"{p}-{f}" for p, f in CRASHES])
async def test_a_job_killed_anywhere_ends_right_in_its_thread(
    bot: BotProcess, fakes: Fakes, provider: str, point: str
) -> None:
    bot.env_overrides["PHOTO_KEEP_HOURS"] = "0"  # so the photos must be gone when the job ends
    await bot.start(fault=point)
    answer = await bot.request_job(provider, count="4" if provider == "agentai" else "1")
    assert answer.status == 200 and answer.elapsed < 3

    async def crash_and_restart() -> None:
        await bot.died()
        await bot.start()

    if provider == "runflow":
        if point in ("before-provider", "after-provider"):
            await crash_and_restart()
        # Killed after the provider took the job, the bot submits again (with a fresh callback secret).
        sub = await wait_submissions(fakes, 2 if point == "after-provider" else 1)
        body = callback_body(sub, fakes.pack_urls())
        first = await post_callback(sub.callback_url, body)
        if point == "after-callback":
            assert first is None, "the callback should have died with the server"
        else:
            assert first == (200, {"status": "accepted"})
        if point not in ("before-provider", "after-provider"):
            await crash_and_restart()
        # Runflow retries a callback that got no answer; a retry must change nothing.
        assert await post_callback(sub.callback_url, body) == (200, {"status": "duplicate"})
    else:
        await crash_and_restart()

    [status] = await bot.ended(timeout=90)
    expected: list[bytes] | int = {
        "runflow": fakes.pack, "agentai": fakes.agentai.expected_images(4), "studio": 1,
    }[provider]
    assert_each_once(bot, status, expected, sheet=provider == "runflow")
    [(job_id, state, done)] = bot.rows("SELECT id, state, results_done FROM jobs")
    assert state == "delivered" and done == (PACK if provider == "runflow" else len(expected) if isinstance(
        expected, list) else 1)
    assert not (bot.data_dir / "blobs" / "jobs" / job_id / "in").exists(), "input photos outlived the job"
    await asyncio.sleep(0.3)  # nothing more may arrive after the end
    assert_each_once(bot, bot.statuses()[0], expected, sheet=provider == "runflow")


INTERRUPTED = "❌ I was restarted before your headshots could start, so nothing was made; please try again."


async def test_killed_before_its_status_message_a_request_is_answered_at_the_restart(
    bot: BotProcess, fakes: Fakes
) -> None:
    await bot.start(fault="intake-read")  # the photos are in hand; no status message, no job yet
    with contextlib.suppress(aiohttp.ClientError):  # the acknowledgement may die with the process
        await bot.request_job("studio")
    await bot.died()
    assert bot.statuses() == [] and fakes.slack.ephemerals == []
    await bot.start()
    await eventually(lambda: fakes.slack.ephemerals, 20, "the person to be told")
    [told] = fakes.slack.ephemerals
    assert told["text"] == INTERRUPTED and told["user"] == "U0USER"
    await eventually(lambda: bot.rows("SELECT COUNT(*) FROM intakes") == [(0,)], 10, "the request crossed off")
    assert bot.rows("SELECT COUNT(*) FROM jobs") == [(0,)]


async def test_killed_while_its_request_waits_behind_the_answer_the_person_is_told_at_the_restart(
    bot: BotProcess, fakes: Fakes
) -> None:
    await bot.start(fault="answered")  # written down and answered; the worker loop had not begun on it
    with contextlib.suppress(aiohttp.ClientError):  # the answer's bytes may die with the process
        await bot.request_job("studio")
    await bot.died()
    assert bot.statuses() == [] and fakes.slack.ephemerals == []
    assert len(bot.rows("SELECT id FROM intakes")) == 1  # the note written before the answer
    await bot.start()
    await eventually(lambda: fakes.slack.ephemerals, 20, "the person to be told")
    [told] = fakes.slack.ephemerals
    assert told["text"] == INTERRUPTED and told["user"] == "U0USER"
    await eventually(lambda: bot.rows("SELECT COUNT(*) FROM intakes") == [(0,)], 10, "the request crossed off")
    assert bot.rows("SELECT COUNT(*) FROM jobs") == [(0,)]


async def test_killed_after_its_status_message_a_request_does_not_say_starting_forever(
    bot: BotProcess, fakes: Fakes
) -> None:
    await bot.start(fault="intake-opened")  # "⏳ starting" is posted; the job row is not written
    with contextlib.suppress(aiohttp.ClientError):
        await bot.request_job("studio")
    await bot.died()
    [status] = bot.statuses()
    assert status["text"].startswith("⏳")
    await bot.start()
    await eventually(lambda: bot.statuses()[0]["text"] == INTERRUPTED, 20, "the status to say what happened")
    await eventually(lambda: bot.rows("SELECT COUNT(*) FROM intakes") == [(0,)], 10, "the request crossed off")
    assert fakes.slack.ephemerals == []
    await asyncio.sleep(0.3)
    assert [s["text"] for s in bot.statuses()] == [INTERRUPTED]  # told once


async def test_killed_between_posting_the_status_and_writing_it_down_the_status_still_ends(
    bot: BotProcess, fakes: Fakes
) -> None:
    await bot.start(fault="status-posted")  # chat.postMessage answered; its ts is not written down
    with contextlib.suppress(aiohttp.ClientError):
        await bot.request_job("studio")
    await bot.died()
    [status] = bot.statuses()
    assert status["text"].startswith("⏳ Got 1 photo")
    [(intake_id, thread)] = bot.rows("SELECT id, thread FROM intakes")
    assert thread is None
    assert status["metadata"] == {"event_type": "headshot_intake", "event_payload": {"intake": intake_id}}
    await bot.start()
    await eventually(lambda: bot.statuses()[0]["text"] == INTERRUPTED, 20, "the status to say what happened")
    await eventually(lambda: bot.rows("SELECT COUNT(*) FROM intakes") == [(0,)], 10, "the request crossed off")
    [lookup] = fakes.slack.calls_to("conversations.history")
    assert lookup.params["include_all_metadata"] in ("1", "true", True)
    assert fakes.slack.ephemerals == [] and bot.rows("SELECT COUNT(*) FROM jobs") == [(0,)]
    await asyncio.sleep(0.3)
    assert [s["text"] for s in bot.statuses()] == [INTERRUPTED]  # told once
