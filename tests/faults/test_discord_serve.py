"""Discord through a real `serve` process: commands over the gateway, a crash and a restart, no leaked token."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest

from tests.discord.conftest import CHANNEL
from tests.discord.fake_discord import EPHEMERAL
from tests.faults.discord_bot import DiscordBot
from tests.faults.harness import DISCORD_TOKEN, eventually
from tests.images import astronaut_jpeg

COUNT = 2


def assert_each_once(bot: DiscordBot, status: dict[str, Any], thread_id: str) -> None:
    """The thread holds every stored result exactly once, in one keyed post, and the status says done."""
    fake = bot.discord
    assert status["content"].startswith("✅") and f"done: {COUNT} in the thread" in status["content"], status
    assert fake.edits and fake.edits[-1] == (status["id"], status["content"]), "the status was not edited last"
    posts = fake.channel_posts(thread_id)
    keys = Counter(p["content"].rsplit(" · ", 2)[-1] for p in posts)
    assert len(posts) == 1 and keys == Counter({"part 1/1": 1}), [p["content"] for p in posts]
    names = Counter(a["filename"] for p in posts for a in p["attachments"])
    assert names == Counter({f"headshot-{n:02d}.jpg": 1 for n in range(1, COUNT + 1)}), names
    # Every upload the fake received is in that post: nothing was sent and then lost or sent twice.
    uploads = fake.thread_files(thread_id)
    assert sorted(u.filename for u in uploads) == sorted(names), [u.filename for u in uploads]
    [(job_id, state, done)] = bot.rows("SELECT id, state, results_done FROM jobs")
    assert (state, done) == ("delivered", COUNT)
    stored = [bot.data_dir / "blobs" / key for (key,) in bot.rows(
        "SELECT blob_key FROM results WHERE job_id = ? ORDER BY idx", (job_id,))]
    assert Counter(u.data for u in uploads) == Counter(p.read_bytes() for p in stored), "posted bytes differ"
    assert bot.rows("SELECT DISTINCT state FROM deliveries WHERE job_id = ?", (job_id,)) == [("posted",)]


@pytest.mark.parametrize("point", ["after-post", "before-provider"])
async def test_a_job_killed_mid_way_ends_once_in_its_discord_thread(discord_bot: DiscordBot, point: str) -> None:
    bot, fake = discord_bot, discord_bot.discord
    await bot.start(fault=point)
    await bot.request_portrait(count=COUNT)
    await bot.died()

    status = bot.status_message()
    assert status is not None and not status["content"].startswith(("✅", "❌")), status
    thread_id = bot.thread_of(status)
    # Killed after the post reached Discord but before it was recorded, or before anything was made.
    assert len(fake.channel_posts(thread_id)) == (1 if point == "after-post" else 0)

    await bot.start()
    status = await bot.status_ended()
    assert_each_once(bot, status, thread_id)
    await asyncio.sleep(0.3)  # nothing more may arrive after the end
    assert_each_once(bot, status, thread_id)
    if point == "after-post":
        # The restarted process looked for its post in the thread instead of sending it again.
        posts = [s.method for s in fake.seen if s.path == f"/api/v10/channels/{thread_id}/messages"]
        assert posts.count("POST") == 1 and "GET" in posts, posts


def leaks(data: bytes, where: str) -> list[str]:
    """Which forms of the token occur in `data` (its first part alone is the public application id)."""
    forms = {"the Discord token": DISCORD_TOKEN, "the token's secret part": DISCORD_TOKEN.split(".", 1)[1]}
    return [f"{name} in {where}" for name, value in forms.items() if value.encode() in data]


async def test_the_discord_token_reaches_no_log_message_record_or_file(discord_bot: DiscordBot) -> None:
    bot, fake = discord_bot, discord_bot.discord
    await bot.start()
    await bot.request_portrait(count=1)
    status = await bot.status_ended()
    assert status["content"].startswith("✅"), status
    notes = b"meeting notes, not a photo\n" * 20
    await fake.deliver_interaction(bot.command(("notes.txt", notes, "text/plain; charset=utf-8")))
    await eventually(lambda: fake.followups, 20, "the refusal of a file that is not a photo")
    bot.stop()

    (refusal,) = fake.followups
    assert refusal["message"]["flags"] & EPHEMERAL
    assert "notes.txt is not an image" in refusal["message"]["content"]
    assert [p["id"] for p in fake.channel_posts(CHANNEL)] == [status["id"]], "the refused answer stayed public"
    # The token was really in use (so finding it nowhere below means something).
    assert [i["token"] for i in fake.identified] == [DISCORD_TOKEN]
    api_auth = {s.auth for s in fake.seen if s.path.startswith("/api/v10/") and s.auth is not None}
    assert api_auth == {f"Bot {DISCORD_TOKEN}"}
    elsewhere = [(s.path, s.auth) for s in fake.seen if not s.path.startswith("/api/v10/") and s.auth is not None]
    assert elsewhere == [], "the token went to the CDN or the gateway URL"

    found: list[str] = []
    found += leaks(bot.output().encode(), "the server's stdout/stderr")
    received = {
        "messages": fake.messages, "edits": fake.edits, "callbacks": fake.callbacks, "followups": fake.followups,
        "threads": fake.threads, "commands": fake.commands, "originals": fake.originals,
        "file names": [u.filename for u in fake.uploads], "paths": [s.path for s in fake.seen],
    }
    found += leaks(json.dumps(received, default=str).encode(), "what Discord was sent")
    found += leaks(b"".join(u.data for u in fake.uploads), "the uploaded files")
    files = sorted(p for p in bot.data_dir.rglob("*") if p.is_file())
    assert bot.data_dir / "headshot-bot.db" in files
    for path in files:
        found += leaks(path.read_bytes(), str(path.relative_to(bot.data_dir)))
    assert found == [], found


async def healthz(bot: DiscordBot) -> tuple[int, dict[str, Any]]:
    async with bot.http.get(f"{bot.url}/healthz") as answer:
        return answer.status, await answer.json()


async def test_an_interaction_discord_py_cannot_parse_does_not_leave_the_bot_deaf(discord_bot: DiscordBot) -> None:
    bot, fake = discord_bot, discord_bot.discord
    await bot.start()
    assert await healthz(bot) == (200, {"status": "ok", "store": "ok", "platforms": {"discord": "ok"},
                                        "jobs_in_flight": 0})
    # Documented fields missing: discord.py's parser raises inside its gateway reader.
    assert await fake.dispatch("INTERACTION_CREATE", {"id": "1300000000000000999", "application_id": "1"}) == 1
    states: list[str] = []

    async def reconnected() -> bool:
        status, body = await healthz(bot)
        states.append(body["platforms"]["discord"])
        return status == 200 and len(fake.identified) == 2 and body["status"] == "ok"

    for _ in range(200):
        if await reconnected():
            break
        await asyncio.sleep(0.05)
    assert len(fake.identified) == 2, "the bot never connected again"
    assert "reconnecting" in states, states  # not "ok" while the gateway was gone
    await bot.request_portrait(count=COUNT)
    status = await bot.status_ended()
    assert status["content"].startswith("✅")
    assert bot.run_output().count("the Discord gateway connection broke") == 1


INTERRUPTED = "❌ I was restarted before your headshots could start, so nothing was made; please try again."


@pytest.mark.parametrize("point", ["intake-read", "status-posted", "intake-opened"])
async def test_a_request_killed_before_its_job_row_is_answered_at_the_restart(
    discord_bot: DiscordBot, point: str
) -> None:
    bot, fake = discord_bot, discord_bot.discord
    await bot.start(fault=point)
    interaction = await bot.request_portrait()
    await bot.died()
    answer = fake.originals[interaction["token"]]
    assert not answer["content"].startswith(("✅", "❌"))  # "thinking", or "⏳ starting" with its thread
    await bot.start()
    await eventually(lambda: fake.originals[interaction["token"]]["content"] == INTERRUPTED, 20,
                     "the answer to say what happened")
    await eventually(lambda: bot.rows("SELECT COUNT(*) FROM intakes") == [(0,)], 10, "the request crossed off")
    assert bot.rows("SELECT COUNT(*) FROM jobs") == [(0,)]


async def test_a_private_status_sent_before_its_id_was_written_down_ends_after_the_restart(
    discord_bot: DiscordBot,
) -> None:
    bot, fake = discord_bot, discord_bot.discord
    await bot.start(fault="status-posted")  # the DM status exists; its id is not written down
    interaction = bot.command(("me.jpg", astronaut_jpeg(), "image/jpeg"))
    interaction["data"]["options"].append({"name": "private", "type": 5, "value": True})
    await fake.deliver_interaction(interaction)
    await bot.died()
    dm = fake.dms[interaction["member"]["user"]["id"]]
    [status] = fake.channel_posts(dm)
    assert status["content"] == "⏳ Starting your headshots…"
    [(intake_id, thread)] = bot.rows("SELECT id, thread FROM intakes")
    assert thread is None
    await bot.start()
    await eventually(lambda: fake.channel_posts(dm)[0]["content"] == INTERRUPTED, 20, "the DM status to end")
    assert len(fake.channel_posts(dm)) == 1  # the same nonce brought back the first message: nothing new
    assert (dm, intake_id[:25]) in fake.nonces
    await eventually(lambda: bot.rows("SELECT COUNT(*) FROM intakes") == [(0,)], 10, "the request crossed off")
    assert fake.originals[interaction["token"]]["content"] == INTERRUPTED  # the private answer says so too
    assert fake.channel_posts(CHANNEL) == [] and bot.rows("SELECT COUNT(*) FROM jobs") == [(0,)]
