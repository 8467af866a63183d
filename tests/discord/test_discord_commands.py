"""`/headshot`, "Make headshots" and the personal commands, end to end against the fake Discord."""

from __future__ import annotations

import time

from adapters.discord.surface import MAX_FILES_PER_MESSAGE
from bot.jobs import JobState
from tests.discord.conftest import CHANNEL, OWNER, Harness, payload, permissions
from tests.discord.fake_discord import EPHEMERAL
from tests.discord.shapes import TOKEN
from tests.images import astronaut_jpeg


def option(name: str, value: object) -> dict[str, object]:
    kinds = {int: 4, str: 3}
    return {"name": name, "type": kinds[type(value)], "value": value}


async def jobs(harness: Harness) -> list[str]:
    return await harness.core.service.recent_jobs(OWNER)


async def test_headshot_defers_at_once_then_delivers_into_a_thread(harness: Harness) -> None:
    fake = harness.fake
    command = harness.portrait_command(option("style", "executive"), option("background", "office"),
                                       option("count", 2))
    sent = time.monotonic()
    await harness.send(command)

    callback = fake.first("POST", f"/api/v10/interactions/{command['id']}")
    assert callback.at - sent < 3.0
    deferred = fake.callbacks[0]["body"]
    assert deferred["type"] == 5 and not (deferred.get("data") or {}).get("flags", 0) & EPHEMERAL
    assert callback.at < fake.first("GET", "/attachments/").at  # deferred before downloading
    status = fake.channel_posts(CHANNEL)
    assert len(status) == 1 and not status[0]["flags"] & EPHEMERAL
    thread = fake.threads[status[0]["id"]]
    assert thread["name"] == "Headshots for Ada"

    await harness.run_jobs()
    posts = fake.channel_posts(thread["id"])
    assert [len(p["attachments"]) for p in posts] == [2]
    assert all(len(p["attachments"]) <= MAX_FILES_PER_MESSAGE for p in posts)
    assert all(u.size < 10 * 1024 * 1024 for u in fake.uploads)
    assert "Headshots 1-2 of 2" in posts[0]["content"] and "job " in posts[0]["content"]
    assert status[0]["content"].startswith("✅ 2 headshots with Studio (Executive, Office")
    assert "done: 2 in the thread" in status[0]["content"]
    channel_calls = [s for s in fake.seen if s.path.startswith("/api/v10/channels/")]
    assert channel_calls and all(s.auth == f"Bot {TOKEN}" for s in channel_calls)


async def test_in_a_dm_results_are_replies_and_the_status_says_why(harness: Harness) -> None:
    fake = harness.fake
    command = payload("headshot_command_dm")
    attachment = fake.add_file(command["channel"]["id"], "selfie.jpg", astronaut_jpeg(), "image/jpeg")
    command["data"]["resolved"]["attachments"] = {attachment["id"]: attachment}
    command["data"]["options"][0]["value"] = attachment["id"]
    await harness.send(command)
    await harness.run_jobs()

    dm = command["channel"]["id"]
    assert fake.threads == {}
    status, result = fake.channel_posts(dm)
    assert "Direct messages have no threads" in status["content"] and status["content"].startswith("✅")
    assert result["message_reference"]["message_id"] == status["id"]
    assert len(result["attachments"]) == 1


async def test_inside_a_thread_results_are_replies_in_that_thread(harness: Harness) -> None:
    fake = harness.fake
    command = harness.portrait_command()
    command["channel"] = payload("thread_channel")
    command["channel_id"] = command["channel"]["id"]
    await harness.send(command)
    await harness.run_jobs()

    assert fake.threads == {}
    status, result = fake.channel_posts(command["channel"]["id"])
    assert "already a thread" in status["content"]
    assert result["message_reference"]["message_id"] == status["id"] and result["attachments"]


async def test_without_create_public_threads_the_permission_is_named(harness: Harness) -> None:
    fake = harness.fake
    await harness.send(harness.portrait_command(app_permissions=permissions(create_public_threads=True)))
    await harness.run_jobs()

    assert fake.threads == {}
    status, result = fake.channel_posts(CHANNEL)
    assert "missing the Create Public Threads permission" in status["content"]
    assert result["message_reference"]["message_id"] == status["id"]


async def test_a_thread_refused_by_discord_falls_back_to_replies(harness: Harness) -> None:
    fake = harness.fake
    fake.forbid.add("thread")
    await harness.send(harness.portrait_command())
    await harness.run_jobs()

    status, result = fake.channel_posts(CHANNEL)
    assert "Create Public Threads" in status["content"] and status["content"].startswith("✅")
    assert result["attachments"]


async def test_missing_attach_files_is_refused_at_once_and_named(harness: Harness) -> None:
    fake = harness.fake
    await harness.send(harness.portrait_command(app_permissions=permissions(attach_files=True)))

    (callback,) = fake.callbacks
    assert callback["body"]["type"] == 4 and callback["body"]["data"]["flags"] & EPHEMERAL
    assert "missing the Attach Files permission" in callback["body"]["data"]["content"]
    assert fake.channel_posts(CHANNEL) == [] and await jobs(harness) == []


async def test_a_file_that_is_not_an_image_is_refused_ephemerally_and_nothing_public_stays(harness: Harness) -> None:
    fake = harness.fake
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" * 20
    await harness.send(harness.command(files=[("me.jpg", pdf, "image/jpeg")]))

    assert fake.callbacks[0]["body"]["type"] == 5
    assert fake.deleted and fake.channel_posts(CHANNEL) == []
    (followup,) = fake.followups
    assert followup["message"]["flags"] & EPHEMERAL
    assert "me.jpg is not an image (it looks like a PDF document)" in followup["message"]["content"]
    assert await jobs(harness) == []


async def test_a_photo_over_the_size_limit_is_refused_before_any_download(harness: Harness) -> None:
    fake = harness.fake
    command = harness.portrait_command()
    (attachment,) = command["data"]["resolved"]["attachments"].values()
    attachment["size"] = 30 * 1024 * 1024
    await harness.send(command)

    (callback,) = fake.callbacks
    assert "me.jpg is 30.0 MB; photos can be at most 10.0 MB." == callback["body"]["data"]["content"]
    assert not any(s.path.startswith("/attachments/") for s in fake.seen)


async def test_make_headshots_uses_saved_defaults_and_the_messages_own_thread(harness: Harness) -> None:
    fake = harness.fake
    settings = harness.command([option("style", "editorial"), option("count", 3)], name="headshot-settings")
    await harness.send(settings)
    saved = fake.callbacks[0]["body"]["data"]["content"]
    assert "Saved. Your defaults: Studio, Editorial, Studio white, Own clothes, 3 headshots" in saved

    menu = payload("make_headshots_message_command")
    target = menu["data"]["resolved"]["messages"][menu["data"]["target_id"]]
    target["attachments"] = [fake.add_file(CHANNEL, "IMG_2041.jpg", astronaut_jpeg(), "image/jpeg")]
    await harness.send(menu)
    await harness.run_jobs()

    thread = fake.threads[target["id"]]  # started on the user's message, not on the status
    (posted,) = fake.channel_posts(thread["id"])
    assert len(posted["attachments"]) == 3
    (job,) = await harness.core.store.jobs_for_owner(OWNER, 5)
    assert job.options.style.value == "editorial" and job.state is JobState.DELIVERED
    assert job.thread["thread_id"] == target["id"]


async def test_make_headshots_on_a_message_without_photos_is_refused_ephemerally(harness: Harness) -> None:
    fake = harness.fake
    menu = payload("make_headshots_message_command")
    target = menu["data"]["resolved"]["messages"][menu["data"]["target_id"]]
    target["attachments"] = [fake.add_file(CHANNEL, "notes.txt", b"hello", "text/plain; charset=utf-8")]
    await harness.send(menu)

    (callback,) = fake.callbacks
    assert callback["body"]["data"]["flags"] & EPHEMERAL
    assert "no photos attached" in callback["body"]["data"]["content"]
    assert fake.threads == {} and await jobs(harness) == []


async def test_status_settings_and_forget(harness: Harness) -> None:
    fake = harness.fake
    await harness.send(harness.command(name="headshot-status"))
    assert "You have no headshot jobs" in fake.callbacks[-1]["body"]["data"]["content"]

    await harness.send(harness.command(name="headshot-settings"))
    shown = fake.callbacks[-1]["body"]["data"]["content"]
    assert shown.startswith("Your defaults: Studio, Professional, Studio white, Own clothes, 1 headshot")

    await harness.send(harness.portrait_command())
    await harness.run_jobs()
    await harness.send(harness.command(name="headshot-status"))
    listing = fake.callbacks[-1]["body"]["data"]
    assert listing["flags"] & EPHEMERAL and "✅ 1 headshot with Studio" in listing["content"]

    await harness.send(harness.command(name="headshot-forget"))
    forgot = fake.callbacks[-1]["body"]["data"]
    assert forgot["flags"] & EPHEMERAL and "I deleted 1 job" in forgot["content"]
    assert await jobs(harness) == []


async def test_nothing_the_bot_sends_can_mention_anyone(harness: Harness) -> None:
    fake = harness.fake
    command = harness.portrait_command(option("prompt", "@everyone <@&1187000000000000999> look"))
    await harness.send(command)
    await harness.run_jobs()
    pdf = b"%PDF-1.7\n" * 50
    await harness.send(harness.command(files=[("@everyone <@&1187000000000000999>.jpg", pdf, "image/jpeg")]))
    await harness.send(harness.command(name="headshot-status"))

    assert len(fake.mention_rules) >= 6  # defer, status edits, thread post, refusal, status answer
    for path, rules in fake.mention_rules:
        assert rules is not None and rules["parse"] == [], path
        assert not (rules.get("users") or rules.get("roles") or rules.get("replied_user")), path
    refusal = fake.followups[-1]["message"]["content"]
    assert "@everyone" in refusal and len(refusal) <= 2000


async def test_make_headshots_keeps_an_attachment_discord_gave_no_type_and_lets_the_bytes_decide(
    harness: Harness,
) -> None:
    fake = harness.fake
    menu = payload("make_headshots_message_command")
    target = menu["data"]["resolved"]["messages"][menu["data"]["target_id"]]
    untyped = fake.add_file(CHANNEL, "portrait", astronaut_jpeg(), "image/jpeg")
    del untyped["content_type"]  # optional in Discord's attachment object; this name has no ending either
    target["attachments"] = [untyped]
    await harness.send(menu)
    await harness.run_jobs()
    (job,) = await harness.core.store.jobs_for_owner(OWNER, 5)
    assert job.state is JobState.DELIVERED
