"""Private delivery on Discord: `/headshot private:True` (or the saved default) answers ephemerally, delivers by DM."""

from __future__ import annotations

from typing import Any

from tests.discord.conftest import CHANNEL, OWNER, USER_ID, Harness
from tests.discord.fake_discord import EPHEMERAL, LOADING
from tests.discord.test_discord_follow_ups import components

PRIVATE = {"name": "private", "type": 5, "value": True}


def original(harness: Harness, command: dict[str, Any]) -> dict[str, Any]:
    """The command's own answer (its "original response"), as the fake keeps it."""
    return harness.fake.originals[command["token"]]


async def test_private_answers_ephemerally_and_sends_status_results_and_buttons_to_the_dm(harness: Harness) -> None:
    fake = harness.fake
    command = harness.portrait_command(PRIVATE)
    await harness.send(command)
    deferred = fake.callbacks[0]["body"]
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    answer = original(harness, command)
    assert answer["flags"] & EPHEMERAL and not answer["flags"] & LOADING
    assert answer["content"] == "🔒 Your headshots are on their way to our direct messages."
    await harness.run_jobs()

    assert fake.channel_posts(CHANNEL) == [] and fake.threads == {}  # nothing public, no thread
    dm = fake.dms[USER_ID]
    status, result = fake.channel_posts(dm)
    assert status["content"].startswith("✅") and "done: 1 in the thread" in status["content"]
    assert result["message_reference"]["message_id"] == status["id"] and len(result["attachments"]) == 1
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    assert job.options.private and f"headshot:more:{job.id}" in components(status)

    # More like these, pressed in the DM, stays in the DM.
    await harness.send(harness.press(status, f"headshot:more:{job.id}"))
    await harness.run_jobs()
    posts = fake.channel_posts(dm)
    assert len(posts) == 4 and posts[2]["content"].startswith("✅") and len(posts[3]["attachments"]) == 1
    assert fake.channel_posts(CHANNEL) == []


async def test_dms_closed_to_server_members_is_told_ephemerally_and_nothing_is_posted(harness: Harness) -> None:
    fake = harness.fake
    fake.dms_closed.add(USER_ID)
    command = harness.portrait_command(PRIVATE)
    await harness.send(command)
    await harness.run_jobs()

    assert fake.channel_posts(CHANNEL) == [] and fake.channel_posts(fake.dms[USER_ID]) == []
    [told] = fake.followups
    assert told["message"]["flags"] & EPHEMERAL
    assert told["message"]["content"].startswith("I can't send you direct messages")
    assert "posted nothing here" in told["message"]["content"]
    assert await harness.core.store.jobs_for_owner(OWNER) == []


async def test_a_saved_default_makes_private_the_standing_choice(harness: Harness) -> None:
    fake = harness.fake
    await harness.send(harness.command([PRIVATE], name="headshot-settings"))
    saved = fake.callbacks[-1]["body"]["data"]
    assert saved["flags"] & EPHEMERAL and "results sent to you privately" in saved["content"]

    command = harness.portrait_command()  # no option: the saved default holds
    await harness.send(command)
    await harness.run_jobs()
    assert fake.callbacks[-1]["body"]["data"]["flags"] & EPHEMERAL
    assert fake.channel_posts(CHANNEL) == [] and len(fake.channel_posts(fake.dms[USER_ID])) == 2

    await harness.send(harness.portrait_command({**PRIVATE, "value": False}))  # this once, here
    await harness.run_jobs()
    [status] = fake.channel_posts(CHANNEL)
    assert status["content"].startswith("✅") and fake.threads
