"""Follow-up components on Discord's status messages: persistent, owner-only, through the same intake."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.followups import NOT_YOURS
from bot.jobs import Job
from bot.options import Style
from tests.discord.conftest import CHANNEL, OWNER, Harness, HarnessFactory
from tests.discord.fake_discord import EPHEMERAL

STRANGER = {"id": "1187000000000000999", "username": "eve", "global_name": "Eve", "discriminator": "0",
            "avatar": None, "public_flags": 0}


def components(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's components by `custom_id`."""
    return {c["custom_id"]: c for row in message["components"] for c in row["components"] if "custom_id" in c}


async def delivered(harness: Harness, *options: dict[str, Any]) -> tuple[dict[str, Any], Job]:
    """One `/headshot` run to the end; its status message as the fake keeps it, and its job."""
    await harness.send(harness.portrait_command(*options))
    await harness.run_jobs()
    [status] = harness.fake.channel_posts(CHANNEL)
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    assert status["content"].startswith("✅")
    return status, job


async def jobs(harness: Harness) -> list[Job]:
    return sorted(await harness.core.store.jobs_for_owner(OWNER), key=lambda j: j.created_at)


async def test_a_delivered_status_carries_a_button_and_a_style_menu_naming_the_job(harness: Harness) -> None:
    status, job = await delivered(harness, {"name": "style", "type": 3, "value": "casual"})
    found = components(status)
    more, menu = found[f"headshot:more:{job.id}"], found[f"headshot:style:{job.id}"]
    assert more["type"] == 2 and more["label"] == "More like these" and more["style"] == 1
    assert menu["type"] == 3 and menu["placeholder"] == "Another style"
    assert [o["value"] for o in menu["options"]] == [s.value for s in Style if s is not Style.CASUAL]


async def test_more_like_these_from_the_owner_is_deferred_and_delivers_in_the_same_thread(harness: Harness) -> None:
    fake = harness.fake
    status, first = await delivered(harness)
    pressed = harness.press(status, f"headshot:more:{first.id}")
    sent = time.monotonic()
    await harness.send(pressed)
    [callback] = [c for c in fake.callbacks if c["token"] == pressed["token"]]
    body = callback["body"]
    assert body["type"] == 5 and body["data"]["flags"] & EPHEMERAL and callback["at"] - sent < 3.0  # deferred in time
    assert fake.originals[pressed["token"]]["id"] in fake.deleted  # the job started: the "thinking" answer goes
    await harness.run_jobs()

    _, again = await jobs(harness)
    assert again.options == first.options and again.photo_count == 1 and again.provider == first.provider
    thread = fake.threads[status["id"]]["id"]
    assert again.thread["thread_id"] == thread and again.thread["status_channel_id"] == thread
    posts = fake.channel_posts(thread)
    new_status = next(p for p in posts if p["id"] == again.thread["status_message_id"])
    assert new_status["content"].startswith("✅")
    assert f"headshot:more:{again.id}" in components(new_status)  # buttons of its own
    assert sum(len(p["attachments"]) for p in posts) == 2
    assert len(fake.channel_posts(CHANNEL)) == 1 and fake.followups == []
    assert fake.originals[pressed["token"]]["content"] == ""  # nothing was said to the presser but the new status


async def test_someone_else_gets_an_ephemeral_sentence_and_nothing_starts(harness: Harness) -> None:
    fake = harness.fake
    status, job = await delivered(harness)
    for custom_id, values in ((f"headshot:more:{job.id}", None), (f"headshot:style:{job.id}", ["creative"])):
        pressed = harness.press(status, custom_id, values=values, user=STRANGER)
        await harness.send(pressed)
        [callback] = [c for c in fake.callbacks if c["token"] == pressed["token"]]
        assert callback["body"]["type"] == 5 and callback["body"]["data"]["flags"] & EPHEMERAL
        answer = fake.originals[pressed["token"]]
        assert answer["flags"] & EPHEMERAL and answer["content"] == str(NOT_YOURS)
    await harness.run_jobs()
    assert len(await jobs(harness)) == 1


async def test_the_style_menu_starts_a_job_in_the_picked_style(harness: Harness) -> None:
    status, job = await delivered(harness)
    await harness.send(harness.press(status, f"headshot:style:{job.id}", values=["editorial"]))
    await harness.run_jobs()
    first, again = await jobs(harness)
    assert again.options.style is Style.EDITORIAL and again.options.count == first.options.count
    thread = harness.fake.threads[status["id"]]["id"]
    new_status = next(p for p in harness.fake.channel_posts(thread) if p["id"] == again.thread["status_message_id"])
    assert "(Editorial, Studio white, 1:1)" in new_status["content"]


async def test_the_components_persist_across_a_client_restart(make_harness: HarnessFactory) -> None:
    before = await make_harness()
    status, job = await delivered(before)
    await before.adapter.stop()
    await before.core.close()

    after = await make_harness()  # a new client and core on the same data: nothing carried in memory
    assert after.adapter.client is not before.adapter.client
    await after.send(after.press(status, f"headshot:more:{job.id}"))
    await after.run_jobs()
    jobs_now = await after.core.store.jobs_for_owner(OWNER)
    assert len(jobs_now) == 2 and all(j.state.value == "delivered" for j in jobs_now)
    thread = after.fake.threads[status["id"]]["id"]
    assert sum(len(p["attachments"]) for p in after.fake.channel_posts(thread)) == 2


async def test_after_the_photos_are_swept_a_press_says_why_it_cannot_work(make_harness: HarnessFactory) -> None:
    harness = await make_harness(photo_keep_hours=0.0001)  # 0.36 seconds
    status, job = await delivered(harness)
    await asyncio.sleep(0.5)
    await harness.core.retention.sweep_expired(cutoff=0)
    pressed = harness.press(status, f"headshot:more:{job.id}")
    await harness.send(pressed)
    answer = harness.fake.originals[pressed["token"]]
    assert answer["flags"] & EPHEMERAL
    assert answer["content"] == (
        "This bot keeps photos only 0.36 seconds after their headshots are delivered, and these are gone, "
        "so this button can no longer work; run /headshot with your photos again."
    )
    assert len(await jobs(harness)) == 1


async def test_a_refusal_after_the_deferral_becomes_the_presser_s_answer(harness: Harness) -> None:
    fake = harness.fake
    status, job = await delivered(harness)
    harness.core.intake.max_jobs_per_user = 1
    pressed = harness.press(status, f"headshot:more:{job.id}")
    async with harness.core.intake.job_slot(OWNER):  # one of the owner's jobs is being started elsewhere
        await harness.send(pressed)
    answer = fake.originals[pressed["token"]]
    assert answer["flags"] & EPHEMERAL and "You already have 1 headshot job in progress" in answer["content"]
    assert answer["id"] not in fake.deleted and len(await jobs(harness)) == 1
