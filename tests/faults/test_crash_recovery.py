"""Nothing lost, nothing twice: `serve` SIGKILLed at every fault point, then restarted on the same DATA_DIR."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.harness import (
    PACK,
    BotProcess,
    Fakes,
    assert_each_once,
    callback_body,
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
