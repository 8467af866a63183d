"""Buttons under a delivered job's status on Slack: More like these, Another style, pressed as `block_actions`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.followups import NOT_YOURS
from bot.jobs import Job
from bot.options import Style
from bot.quotas import Limit, Period, QuotaPolicy, Scope
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, slack_bot
from tests.slack.fake_slack import FakeSlack

CHANNEL = "C0GENERAL"
OWNER = "slack:T0TEAM:U0USER"


def top_level(harness: SlackHarness, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in harness.fake.messages.get(channel, []) if "thread_ts" not in m]


def elements(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's interactive elements by `action_id`."""
    return {e["action_id"]: e for block in message.get("blocks", []) if block["type"] == "actions"
            for e in block["elements"]}


def press(harness: SlackHarness, status: dict[str, Any], channel: str = CHANNEL, *, user: str = "U0USER",
          style: str | None = None) -> dict[str, Any]:
    """The `block_actions` Slack sends when `user` presses a follow-up on the status message (as the fake has it)."""
    body = payload("block_actions_select" if style else "block_actions_button")
    body["user"] = {**body["user"], "id": user}
    body["container"] = {**body["container"], "message_ts": status["ts"], "channel_id": channel}
    body["channel"] = {"id": channel, "name": "general" if channel == CHANNEL else "directmessage"}
    body["message"] = status
    body["response_url"] = f"{harness.fake.url}/response/{len(harness.fake.responses) + 1}"
    action = body["actions"][0]
    if style:
        [option] = [o for o in elements(status)["headshot_style"]["options"] if o["value"].endswith(f":{style}")]
        action["selected_option"] = {"text": {**option["text"], "emoji": True}, "value": option["value"]}
        body["state"]["values"]["headshot_follow_ups"]["headshot_style"]["selected_option"] = action["selected_option"]
    else:
        action["value"] = elements(status)["headshot_more"]["value"]
    return body


async def delivered(harness: SlackHarness, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one studio job from the modal to the end; returns its status message."""
    photo = harness.fake.add_user_file("portrait.jpg", portrait_jpeg())
    await harness.interact(body or harness.submission([photo], "studio", style="executive"))
    await harness.settle()
    [status] = top_level(harness)
    assert status["text"].startswith("✅")
    return status


async def jobs(harness: SlackHarness) -> list[Job]:
    return await harness.core.store.jobs_for_owner(OWNER)


async def test_a_delivered_status_carries_more_like_these_and_the_other_styles(harness: SlackHarness) -> None:
    status = await delivered(harness)
    [job] = await jobs(harness)
    found = elements(status)
    assert found["headshot_more"]["type"] == "button" and found["headshot_more"]["value"] == job.id
    assert found["headshot_more"]["text"]["text"] == "More like these"
    menu = found["headshot_style"]
    assert menu["type"] == "static_select" and menu["placeholder"]["text"] == "Another style"
    assert [o["value"] for o in menu["options"]] == [f"{job.id}:{s.value}" for s in Style if s is not Style.EXECUTIVE]
    assert status["blocks"][0]["text"]["text"] == status["text"]  # the same words above the buttons


async def test_more_like_these_from_the_owner_makes_a_new_job_in_the_same_thread(harness: SlackHarness) -> None:
    status = await delivered(harness)
    answer = await harness.interact(press(harness, status))
    assert answer.status == 200 and answer.text == "" and answer.elapsed < 3
    await harness.settle()

    first, again = sorted(await jobs(harness), key=lambda j: j.created_at)
    assert again.options == first.options and again.provider == first.provider and again.photo_count == 1
    assert again.thread["thread_ts"] == status["ts"] and again.thread["status_ts"] != status["ts"]
    replies = harness.fake.thread(CHANNEL, status["ts"])[1:]
    new_status = next(r for r in replies if r["ts"] == again.thread["status_ts"])
    assert new_status["text"].startswith("✅") and "(Executive, Studio white, 1:1)" in new_status["text"]
    assert elements(new_status)["headshot_more"]["value"] == again.id  # the new job has buttons of its own
    assert sum(len(r.get("files", [])) for r in replies) == 2  # each job's headshot, both in the one thread
    assert len(top_level(harness)) == 1 and harness.fake.responses == []


async def test_someone_else_pressing_is_told_only_to_them_and_nothing_starts(harness: SlackHarness) -> None:
    status = await delivered(harness)
    assert (await harness.interact(press(harness, status, user="U0OTHER"))).status == 200
    await harness.interact(press(harness, status, user="U0OTHER", style="casual"))
    await harness.settle()
    assert [r["text"] for r in harness.fake.responses] == [str(NOT_YOURS), str(NOT_YOURS)]
    assert all(r["response_type"] == "ephemeral" and r["replace_original"] is False for r in harness.fake.responses)
    assert len(await jobs(harness)) == 1 and len(harness.fake.thread(CHANNEL, status["ts"])) == 2


async def test_the_style_menu_starts_a_job_in_the_picked_style(harness: SlackHarness) -> None:
    status = await delivered(harness)
    assert (await harness.interact(press(harness, status, style="creative"))).status == 200
    await harness.settle()
    first, again = sorted(await jobs(harness), key=lambda j: j.created_at)
    assert again.options.style is Style.CREATIVE and again.options.background == first.options.background
    new_status = next(m for m in harness.fake.messages[CHANNEL] if m["ts"] == again.thread["status_ts"])
    assert "(Creative, Studio white, 1:1)" in new_status["text"] and new_status["text"].startswith("✅")


async def test_the_buttons_work_after_a_restart(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(tmp_path, fake) as before:
        status = await delivered(before)
    async with slack_bot(tmp_path, fake) as after:  # a new process on the same data: nothing kept in memory
        assert (await after.interact(press(after, status))).status == 200
        await after.settle()
        assert len(await jobs(after)) == 2
        assert sum(len(r.get("files", [])) for r in fake.thread(CHANNEL, status["ts"])) == 2


async def test_with_photo_keep_hours_zero_a_press_says_why_it_cannot_work(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(tmp_path, fake, photo_keep_hours=0) as harness:
        status = await delivered(harness)
        assert "headshot_more" in elements(status)  # offered all the same, to say why when pressed
        await harness.interact(press(harness, status))
        await harness.settle()
        [told] = fake.responses
        assert told["response_type"] == "ephemeral"
        assert told["text"] == (
            "This bot deletes photos as soon as their headshots are delivered, so this button can no longer work; "
            "run /headshot with your photos again."
        )
        assert len(await jobs(harness)) == 1


async def test_after_forget_a_press_says_the_headshots_are_gone(harness: SlackHarness) -> None:
    status = await delivered(harness)
    assert await harness.core.service.forget(OWNER) == 1
    await harness.interact(press(harness, status))
    await harness.settle()
    assert "no longer stored" in harness.fake.responses[0]["text"] and await jobs(harness) == []


async def test_a_malformed_press_is_refused_and_starts_nothing(harness: SlackHarness) -> None:
    status = await delivered(harness)
    body = press(harness, status)
    del body["actions"][0]["value"]
    answer = await harness.interact(body)
    assert answer.status == 400
    await harness.settle()
    assert len(await jobs(harness)) == 1 and harness.fake.responses == []


async def test_a_press_meets_the_same_quota_as_any_request(tmp_path: Path, fake: FakeSlack) -> None:
    limits = QuotaPolicy((Limit("studio", Scope.WORKSPACE, Period.DAY, 1),))
    async with slack_bot(tmp_path, fake, quotas=limits) as harness:
        status = await delivered(harness)  # the workspace's one studio headshot for today
        await harness.interact(press(harness, status))
        await harness.settle()
        [told] = fake.responses
        assert told["response_type"] == "ephemeral"
        assert told["text"].startswith("This workspace has used 1 of its 1 Studio headshots for today")
        assert len(await jobs(harness)) == 1 and len(fake.thread(CHANNEL, status["ts"])) == 2


async def test_a_press_meets_the_same_per_user_limit_as_any_request(harness: SlackHarness) -> None:
    status = await delivered(harness)
    harness.core.intake.max_jobs_per_user = 1
    async with harness.core.intake.job_slot(OWNER):  # one of the owner's jobs is being started elsewhere
        await harness.interact(press(harness, status))
        await harness.settle()
    [told] = harness.fake.responses
    assert "You already have 1 headshot job in progress" in told["text"] and len(await jobs(harness)) == 1
