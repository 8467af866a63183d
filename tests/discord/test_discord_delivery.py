"""Delivery with the bot token: late results, a 60-image pack, crash recovery, 429, 5xx, 403, sizes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.delivery import POSTED, STARTED, deliver_results
from bot.jobs import JobState
from bot.ports import OutgoingFile, Provider
from storage.sqlite.blobs import FileBlobStore
from tests.discord.conftest import CHANNEL, OWNER, Harness, PackProvider
from tests.discord.shapes import TOKEN
from tests.doubles import jpeg


def option(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


async def start_job(harness: Harness, *options: dict[str, Any]) -> str:
    """Run `/headshot` and return the id of the thread it started."""
    await harness.send(harness.portrait_command(*options))
    (status,) = harness.fake.channel_posts(CHANNEL)
    return str(harness.fake.threads[status["id"]]["id"])


async def test_results_after_the_interaction_token_expired_go_out_with_the_bot_token(harness: Harness) -> None:
    fake = harness.fake
    thread_id = await start_job(harness)
    fake.tokens_expired = True  # 15 minutes later (or hours, for a callback provider)
    mark = len(fake.seen)
    await harness.run_jobs()

    later = fake.seen[mark:]
    assert later and not any("/webhooks/" in s.path or "/interactions/" in s.path for s in later)
    assert all(s.auth == f"Bot {TOKEN}" for s in later)
    (posted,) = fake.channel_posts(thread_id)
    assert posted["attachments"]
    (status,) = fake.channel_posts(CHANNEL)
    assert status["content"].startswith("✅")


@pytest.fixture
def extra_providers() -> dict[str, Provider]:
    return {"pack": PackProvider()}


async def test_a_pack_of_sixty_gets_a_contact_sheet_then_batches_each_once(harness: Harness) -> None:
    fake = harness.fake
    thread_id = await start_job(harness, option("provider", "pack"))
    await harness.run_jobs()

    posts = fake.channel_posts(thread_id)
    assert len(posts) == 7
    assert posts[0]["content"].startswith("All 60 headshots at a glance")
    assert [a["filename"] for a in posts[0]["attachments"]] == ["contact-sheet.jpg"]
    assert [len(p["attachments"]) for p in posts[1:]] == [10] * 6
    names = [a["filename"] for p in posts[1:] for a in p["attachments"]]
    assert names == [f"headshot-{n:02d}.jpg" for n in range(1, 61)]
    keys = Counter(p["content"].rsplit(" · ", 2)[-1] for p in posts)
    assert all(count == 1 for count in keys.values())
    assert "Headshots 51-60 of 60" in posts[-1]["content"] and "part 6/6" in posts[-1]["content"]


async def test_after_a_crash_was_posted_finds_pieces_already_in_the_thread(harness: Harness) -> None:
    fake = harness.fake
    thread_id = await start_job(harness, option("provider", "pack"))
    await harness.run_jobs()
    (job,) = await harness.core.store.jobs_for_owner(OWNER, 1)
    assert job.state is JobState.DELIVERED
    posts = fake.channel_posts(thread_id)

    # Died after posting part 3 but before recording it; died before part 4 reached Discord.
    store = harness.core.store
    part3, part4 = f"job {job.short_id} · part 3/6", f"job {job.short_id} · part 4/6"
    await store.set_delivery(job.id, part3, STARTED)
    await store.set_delivery(job.id, part4, STARTED)
    fake.messages[thread_id] = [p for p in fake.messages[thread_id] if part4 not in p["content"]]
    mark = len(fake.uploads)

    await deliver_results(store, store, harness.core.blobs, harness.surface, job)

    again = fake.uploads[mark:]
    assert [u.filename for u in again] == [f"headshot-{n}.jpg" for n in range(31, 41)]
    assert sum(part3 in p["content"] for p in fake.channel_posts(thread_id)) == 1
    assert await store.delivery_state(job.id, part3) == POSTED
    assert len(fake.channel_posts(thread_id)) == len(posts)


async def test_a_429_is_waited_out_and_the_post_goes_through_once(harness: Harness) -> None:
    fake = harness.fake
    thread_id = await start_job(harness)
    fake.rate_limit_once["send"] = 0.2
    await harness.run_jobs()

    sends = [s for s in fake.seen if s.method == "POST" and s.path == f"/api/v10/channels/{thread_id}/messages"]
    assert len(sends) == 2 and sends[1].at - sends[0].at >= 0.2
    assert len(fake.channel_posts(thread_id)) == 1


async def test_a_server_error_is_retried_without_posting_twice(harness: Harness) -> None:
    fake = harness.fake
    thread_id = await start_job(harness)
    fake.server_error_once.add("send")
    await harness.run_jobs()

    assert len(fake.channel_posts(thread_id)) == 1
    path = f"/api/v10/channels/{thread_id}/messages"
    calls = [s.method for s in fake.seen if s.path == path]
    assert calls == ["POST", "GET", "POST"]  # looked for the message before sending it again
    (status,) = fake.channel_posts(CHANNEL)
    assert status["content"].startswith("✅")


def files(folder: Path, count: int, size: int = 0, first: int = 1) -> list[OutgoingFile]:
    """`count` stored results of about `size` bytes each."""
    blobs = FileBlobStore(folder)
    made = []
    for n in range(count):
        data = jpeg(64, 64, n) + b"\0" * size
        (folder / "out").mkdir(parents=True, exist_ok=True)
        (folder / "out" / f"h{n}.jpg").write_bytes(data)
        made.append(OutgoingFile(f"headshot-{n + first:02d}.jpg", len(data), f"out/h{n}.jpg", blobs))
    return made


async def test_a_refused_post_names_the_permissions_on_the_status_message(harness: Harness, tmp_path: Path) -> None:
    fake = harness.fake
    thread_id = await start_job(harness)
    (status,) = fake.channel_posts(CHANNEL)
    fake.forbid.add("send")
    thread = {"channel_id": CHANNEL, "thread_id": thread_id, "status_channel_id": CHANNEL,
              "status_message_id": status["id"]}

    with pytest.raises(discord.Forbidden):
        await harness.surface.post(thread, "Headshot 1 of 1 · job x · part 1/1", files(tmp_path, 1), "job x · part 1/1")
    assert "Send Messages in Threads, Attach Files and Read Message History" in status["content"]
    assert "Missing Permissions" in status["content"]


async def test_post_splits_by_the_channels_upload_limit(harness: Harness, tmp_path: Path) -> None:
    fake = harness.fake
    thread_id = await start_job(harness)
    big = files(tmp_path / "big", 5, size=40_000)
    huge = files(tmp_path / "huge", 1, size=200_000, first=6)
    thread = {"channel_id": CHANNEL, "thread_id": thread_id, "status_channel_id": CHANNEL,
              "status_message_id": fake.channel_posts(CHANNEL)[0]["id"], "upload_limit": 100_000}
    key = "job x · part 1/1"

    await harness.surface.post(thread, f"Headshots 1-6 of 6 · {key}", [*big, *huge], key)

    posts = fake.channel_posts(thread_id)
    per_message = Counter(u.message_id for u in fake.uploads)
    assert len(posts) == 3 and sorted(per_message.values()) == [1, 2, 2]
    sizes: Counter[str] = Counter()
    for upload in fake.uploads:
        sizes[upload.message_id] += upload.size
    assert all(total <= 100_000 for total in sizes.values())
    assert "too large for this channel: headshot-06.jpg (0.2 MB)" in posts[0]["content"]
    assert [p["content"].rsplit(" · ", 1)[-1] for p in posts] == ["message 1/3", "message 2/3", "message 3/3"]
    assert all(f"{key} · message" in p["content"] for p in posts)
    assert await harness.surface.was_posted(thread, key)
    assert not await harness.surface.was_posted(thread, "job y · part 1/1")


async def test_a_part_split_in_messages_that_broke_off_sends_only_the_missing_ones(
    harness: Harness, tmp_path: Path
) -> None:
    fake = harness.fake
    thread_id = await start_job(harness)
    thread = {"channel_id": CHANNEL, "thread_id": thread_id, "status_channel_id": CHANNEL,
              "status_message_id": fake.channel_posts(CHANNEL)[0]["id"], "upload_limit": 100_000}
    key = "job x · part 2/6"
    batch = files(tmp_path, 4, size=40_000)  # two messages of two
    fake.refuse_sends_after = fake._sends + 1  # the second message breaks off (as a crash would)
    with pytest.raises(discord.Forbidden):
        await harness.surface.post(thread, f"Headshots 11-14 of 60 · {key}", batch, key)
    assert len(fake.channel_posts(thread_id)) == 1
    assert not await harness.surface.was_posted(thread, key)  # half a part is not the part

    fake.refuse_sends_after = None
    await harness.surface.post(thread, f"Headshots 11-14 of 60 · {key}", batch, key)
    posts = fake.channel_posts(thread_id)
    assert [p["content"].rsplit(" · ", 1)[-1] for p in posts] == ["message 1/2", "message 2/2"]
    assert sorted(u.filename for u in fake.thread_files(thread_id)) == [f.name for f in batch]
    assert await harness.surface.was_posted(thread, key)
