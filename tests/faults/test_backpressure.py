"""Backpressure: bursts are acknowledged in time, queued work lives in SQLite, the per-user limit speaks."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.faults.harness import BotProcess, Fakes, Reply, eventually, wait_submissions
from tests.slack.conftest import payload

BURST = 200
SLACK_DEADLINE = 3.0


def settings_submission(user: str) -> dict[str, Any]:
    """A submitted `/headshot settings` modal."""
    body = payload("view_submission")
    body["user"] = {**body["user"], "id": user}
    body["view"]["callback_id"] = "headshot_settings"
    del body["view"]["state"]["values"]["photos"]
    return body


async def test_a_burst_of_200_commands_and_submissions_is_acknowledged_within_3_seconds(
    bot: BotProcess, fakes: Fakes
) -> None:
    await bot.start()
    # A connection per request, as Slack's many senders would have: no queueing on our side.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as burst:
        bot.http, own = burst, bot.http
        try:
            texts = ["", "help", "status", "settings"]
            sends = [bot.command(texts[n % 4], user=f"U0B{n:03d}") for n in range(BURST)]
            sends += [bot.interact(settings_submission(f"U0S{n:03d}")) for n in range(50)]
            answers: list[Reply] = await asyncio.gather(*sends)
        finally:
            bot.http = own
    assert [a.status for a in answers] == [200] * len(answers)
    slowest = max(a.elapsed for a in answers)
    assert slowest < SLACK_DEADLINE, f"slowest acknowledgement took {slowest:.2f}s"
    # The work after the acknowledgements happened too: every modal opened, every setting saved.
    await eventually(lambda: len(fakes.slack.calls_to("views.open")) == BURST // 2, 30, "the modals to open")
    await eventually(lambda: len(bot.rows("SELECT owner FROM user_settings")) == 50, 30, "the settings to be saved")


async def test_queued_jobs_wait_in_sqlite_and_all_complete_after_a_kill(bot: BotProcess, fakes: Fakes) -> None:
    bot.env_overrides["JOB_CONCURRENCY"] = "1"  # one at a time: the rest must wait in the store
    await bot.start()
    users = [f"U0Q{n:02d}" for n in range(6)]
    for user in users:
        assert (await bot.request_job("studio", user=user)).status == 200
    await eventually(lambda: len(bot.rows("SELECT id FROM jobs")) == len(users), 30, "every job to be recorded")
    waiting = bot.rows("SELECT id FROM jobs WHERE state = 'queued'")
    bot.kill()
    assert len(waiting) >= 3, "the jobs should have been queued in the store"
    await bot.start()
    statuses = await bot.ended(count=len(users), timeout=90)
    assert all(s["text"].startswith("✅") and "done: 1 in the thread" in s["text"] for s in statuses)
    assert bot.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state") == [("delivered", len(users))]


async def test_the_per_user_limit_is_a_clear_error_in_the_modal(bot: BotProcess, fakes: Fakes) -> None:
    await bot.start()
    for number in (1, 2):  # Runflow jobs stay unfinished until their callback
        assert (await bot.request_job("runflow")).status == 200
        await wait_submissions(fakes, number)
    answer = await bot.request_job("runflow")
    assert answer.status == 200
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"photos": "You already have 2 headshot jobs in progress; please wait for one to finish "
                             "(the limit is 2)."},
    }
    assert len(bot.rows("SELECT id FROM jobs")) == 2
    # Someone else is not affected by this user's limit.
    other = await bot.request_job("runflow", user="U0OTHER")
    assert other.status == 200 and not other.text
