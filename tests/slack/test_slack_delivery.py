"""Posting results into a Slack thread: batches, the contact sheet, and exactly-once after a crash."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from yarl import URL

from adapters.slack.files import SlackFileTransfer
from adapters.slack.manifest import render_manifest
from bot.delivery import STARTED
from bot.options import Options
from bot.photos import Photo
from bot.ports import Generated, GenerationInput, Provider, ResultImage
from bot.request import Capabilities
from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness

CHANNEL = "C0GENERAL"


@dataclass
class PackProvider:
    """Answers at once with a pack of 60 small headshots, like Runflow's callback would bring."""

    name: str = "pack"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(
        label="Pack", description="Pack — 60 at once", min_photos=1, max_photos=None, min_outputs=60,
        max_outputs=60, honours=frozenset(), expected_seconds=1,
    ))

    def wait_seconds(self) -> float:
        return 0.0

    async def generate(self, task: GenerationInput) -> Generated:
        return Generated(images=[ResultImage(data=jpeg(96, 96, n)) for n in range(60)], remote_id="pack-1")


@pytest.fixture
def extra_providers() -> dict[str, Provider]:
    return {"pack": PackProvider()}


async def test_a_pack_of_60_posts_a_contact_sheet_then_six_batches_of_ten(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("p.jpg", jpeg(512, 512))
    await harness.interact(harness.submission([photo], "pack"))
    await harness.settle()
    status = next(m for m in fake.messages[CHANNEL] if "thread_ts" not in m)
    replies = fake.thread(CHANNEL, status["ts"])[1:]
    heads = [r["text"].split(" · ")[0] for r in replies]
    assert heads == ["All 60 headshots at a glance; the full images follow"] + [
        f"Headshots {n * 10 + 1}-{n * 10 + 10} of 60" for n in range(6)
    ]
    assert [len(r["files"]) for r in replies] == [1] + [10] * 6
    assert replies[0]["files"][0]["name"] == "contact-sheet.jpg"
    completes = fake.calls_to("files.completeUploadExternal")
    assert len(completes) == 7 and all(len(json.loads(c.params["files"])) <= 10 for c in completes)
    assert len(fake.calls_to("files.getUploadURLExternal")) == 61
    assert status["text"].startswith("✅") and "done: 60" in status["text"]


async def accepted_job(harness: SlackHarness) -> tuple[str, str, dict[str, Any]]:
    """A job accepted into a status message's thread, as the modal would leave it."""
    status = harness.fake.add_message(CHANNEL, {"user": "U0BOT", "text": "⏳ starting"})
    thread = {"channel": CHANNEL, "thread_ts": status["ts"], "status_ts": status["ts"]}
    service = harness.core.intake
    request = service.build_request([Photo(jpeg(512, 512))], Options(), "scripted")
    job = await service.accept(request, owner="slack:T0TEAM:U0USER", surface="slack", thread=thread)
    return job.id, f"job {job.short_id} · part 1/1", thread


async def test_a_piece_already_in_the_thread_after_a_crash_is_not_posted_again(harness: SlackHarness) -> None:
    fake = harness.fake
    job_id, key, thread = await accepted_job(harness)
    for n in range(6):  # enough replies that the search has to turn pages
        fake.add_message(CHANNEL, {"user": "U0USER", "text": f"nice {n}", "thread_ts": thread["thread_ts"]})
    fake.add_message(CHANNEL, {"user": "U0BOT", "text": f"Headshot 1 of 1 · {key}", "thread_ts": thread["thread_ts"]})
    await harness.core.store.set_delivery(job_id, key, STARTED)  # died after posting, before recording it
    await harness.core.runner.run_until_idle()
    assert next(m for m in fake.messages[CHANNEL] if key in m["text"])["user"] == "U0BOT"
    assert sum(key in m["text"] for m in fake.messages[CHANNEL]) == 1
    assert fake.calls_to("files.completeUploadExternal") == []
    assert len(fake.calls_to("conversations.replies")) >= 2


async def test_a_piece_started_but_missing_from_the_thread_is_posted(harness: SlackHarness) -> None:
    job_id, key, thread = await accepted_job(harness)
    await harness.core.store.set_delivery(job_id, key, STARTED)  # died before the post reached Slack
    await harness.core.runner.run_until_idle()
    [posted] = [m for m in harness.fake.thread(CHANNEL, thread["thread_ts"]) if key in m["text"]]
    assert len(posted["files"]) == 1


def test_the_bot_token_goes_only_to_slack_file_hosts() -> None:
    transfer = SlackFileTransfer("http://127.0.0.1:9999/api/", max_bytes=1024)
    trusted = ["https://files.slack.com/files-pri/T-F/a.jpg", "https://acme.slack.com/x",
               "https://a.slack-edge.com/y", "http://127.0.0.1:9999/files-pri/T-F/a.jpg"]
    refused = ["http://files.slack.com/a.jpg", "https://files.slack.com.evil.example/a.jpg",
               "https://evilslack.com/a", "http://127.0.0.1:9998/a.jpg", "https://127.0.0.1:9999/a.jpg",
               "https://example.com/files.slack.com/a.jpg"]
    assert all(transfer.is_trusted(URL(u)) for u in trusted)
    assert not any(transfer.is_trusted(URL(u)) for u in refused)


def test_the_manifest_for_http_and_for_socket_mode() -> None:
    http = json.loads(render_manifest("https://headshots.example.com/"))
    url = "https://headshots.example.com/slack/events"
    assert http["display_information"]["name"] == "Headshots"
    assert http["features"]["slash_commands"][0] == {**http["features"]["slash_commands"][0],
                                                      "command": "/headshot", "url": url}
    assert http["features"]["shortcuts"][0]["callback_id"] == "make_headshots"
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert http["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert http["settings"]["socket_mode_enabled"] is False
    assert set(http["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "files:read", "files:write", "app_mentions:read", "channels:history",
        "groups:history", "channels:join", "im:write", "im:history", "users:read", "channels:read", "groups:read",
    }
    assert http["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in http["settings"]["event_subscriptions"]["bot_events"]
    socket = json.loads(render_manifest(None))
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in socket["features"]["slash_commands"][0]
    assert "request_url" not in json.dumps(socket)
