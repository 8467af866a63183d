"""Consent on Slack: every entry point asks before any file is looked up or downloaded, and Agree resumes it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.modals import REQUEST_CALLBACK
from bot.jobs import JobState
from tests.consent import stored
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, slack_bot, wait_for
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_files_and_words import direct_message
from tests.slack.test_slack_follow_ups import delivered, press

CHANNEL = "C0GENERAL"
OWNER = "slack:T0TEAM:U0USER"
TS = "1699999100.000200"


@pytest.fixture
async def fresh(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[SlackHarness]:
    """A bot whose users have not agreed to anything yet."""
    async with slack_bot(tmp_path, fake, consented=False, privacy_policy_url="https://example.com/privacy") as bot:
        yield bot


def blocks_of(sent: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = sent.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def consent_buttons(sent: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The question's buttons by `action_id` (empty when `sent` is no question)."""
    return {e["action_id"]: e for b in blocks_of(sent) if b.get("block_id") == "consent" for e in b["elements"]}


def asked(harness: SlackHarness) -> dict[str, Any]:
    """The one question Slack received: an ephemeral message, or an answer through a response URL."""
    found = [m for m in [*harness.fake.ephemerals, *harness.fake.responses] if consent_buttons(m)]
    (question,) = found
    return question


def answer(harness: SlackHarness, question: dict[str, Any], action_id: str, user: str = "U0USER") -> dict[str, Any]:
    """The `block_actions` of pressing Agree (`consent_agree`) or No thanks on a question."""
    body = payload("block_actions_button")
    body["user"] = {**body["user"], "id": user}
    body["response_url"] = f"{harness.fake.url}/response/consent"
    button = consent_buttons(question)[action_id]
    body["actions"] = [
        {
            "action_id": action_id,
            "block_id": "consent",
            "type": "button",
            "value": button["value"],
            "text": button["text"],
            "action_ts": "1700000200.000001",
        }
    ]
    return body


def mention(files: list[dict[str, Any]], text: str = "<@U0BOT> executive x2") -> dict[str, Any]:
    body = payload("app_mention")
    body["event"].update(text=text, files=files)
    return body


def photo_fetches(harness: SlackHarness) -> list[str]:
    """Every look-up or download of a shared file."""
    return [*(c.method for c in harness.fake.calls_to("files.info")), *harness.fake.downloads]


async def test_a_mention_asks_privately_fetches_nothing_and_resumes_after_agree(fresh: SlackHarness) -> None:
    fake = fresh.fake
    photo = fake.add_user_file("IMG_2041.jpg", portrait_jpeg())
    del photo["url_private_download"], photo["url_private"]  # as for Slack Connect files: files.info would be next
    await fresh.event(mention([photo]))
    await fresh.settle()

    question = asked(fresh)
    assert question in fake.ephemerals and question["user"] == "U0USER" and question["channel"] == CHANNEL
    text = blocks_of(question)[0]["text"]["text"]
    assert "Studio (built into this bot: your photos never leave this server)" in text
    assert "`/headshot my-data`" in text and "`/headshot forget`" in text and "https://example.com/privacy" in text
    assert photo_fetches(fresh) == [] and fake.thread(CHANNEL, TS) == []
    assert await fresh.core.store.jobs_for_owner(OWNER) == [] and await fresh.core.blobs.folders("jobs") == []

    await fresh.interact(answer(fresh, question, "consent_agree"))
    await fresh.settle()
    assert fake.responses[-1]["replace_original"] and fake.responses[-1]["text"].startswith("Thank you")
    assert len(fake.calls_to("files.info")) == 1 and len(fake.downloads) == 1
    status, _result = fake.thread(CHANNEL, TS)  # the mention's own thread, its words kept
    assert status["text"].startswith("✅") and "(Executive" in status["text"]
    (job,) = await fresh.core.store.jobs_for_owner(OWNER)
    assert job.state is JobState.DELIVERED and job.options.count == 2
    (record,) = await fresh.core.store.consent_records(OWNER)
    assert record.terms.wording == text.replace("&amp;", "&") and record.terms.version == fresh.core.consents.version


async def test_slash_command_asks_before_opening_the_modal_and_agree_opens_it(fresh: SlackHarness) -> None:
    fake = fresh.fake
    await fresh.command("")
    await fresh.settle()
    assert fake.calls_to("views.open") == []
    question = asked(fresh)
    assert question["response_type"] == "ephemeral"

    agree = answer(fresh, question, "consent_agree")
    await fresh.interact(agree)
    await fresh.settle()
    (opened,) = fake.calls_to("views.open")
    assert opened.params["trigger_id"] == agree["trigger_id"]  # the press's own trigger
    view = opened.params["view"]
    assert view["callback_id"] == REQUEST_CALLBACK and json.loads(view["private_metadata"])["channel"] == CHANNEL

    photo = fake.add_user_file("portrait.jpg", portrait_jpeg())
    await fresh.interact(fresh.submission([photo], "scripted"))
    await fresh.settle()
    assert len(fresh.scripted.calls) == 1  # agreed once: the modal's job runs without another question


async def test_the_shortcut_asks_first_and_agree_opens_the_modal_on_the_messages_photos(fresh: SlackHarness) -> None:
    fake = fresh.fake
    photo = fake.add_user_file("portrait.jpg", portrait_jpeg())
    action = payload("message_action")
    action["message"].update(files=[photo])
    action["response_url"] = f"{fake.url}/response/shortcut"
    await fresh.interact(action)
    await fresh.settle()
    assert fake.calls_to("views.open") == [] and photo_fetches(fresh) == []

    await fresh.interact(answer(fresh, asked(fresh), "consent_agree"))
    await fresh.settle()
    (opened,) = fake.calls_to("views.open")
    metadata = json.loads(opened.params["view"]["private_metadata"])
    assert metadata["files"][0]["id"] == photo["id"] and photo_fetches(fresh) == []


async def test_a_direct_message_with_photos_asks_first(fresh: SlackHarness) -> None:
    photo = fresh.fake.add_user_file("me.jpg", portrait_jpeg())
    await fresh.event(direct_message("scripted please", [photo]))
    await fresh.settle()
    question = asked(fresh)
    assert question["channel"] == "D0USER" and photo_fetches(fresh) == [] and fresh.scripted.calls == []
    await fresh.interact(answer(fresh, question, "consent_agree"))
    await fresh.settle()
    assert len(fresh.scripted.calls) == 1


async def test_no_thanks_keeps_nothing_and_answers_one_sentence(fresh: SlackHarness, tmp_path: Path) -> None:
    photo = fresh.fake.add_user_file("IMG_2041.jpg", portrait_jpeg())
    # De-duplication keys of events (a channel and a timestamp, for an hour) are written for any event.
    before = stored(tmp_path, ignore=("seen_keys",))
    await fresh.event(mention([photo]))
    await fresh.settle()
    assert stored(tmp_path, ignore=("seen_keys",)) != before  # the held request, until the answer

    await fresh.interact(answer(fresh, asked(fresh), "consent_decline"))
    await fresh.settle()
    last = fresh.fake.responses[-1]
    assert last["text"] == "Understood: I made no headshots and kept nothing of your request."
    assert last["replace_original"]
    assert stored(tmp_path, ignore=("seen_keys",)) == before and photo_fetches(fresh) == []


async def test_a_new_text_version_asks_again_and_forget_asks_again(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("me.jpg", portrait_jpeg())
    harness.core.consents.version = "2099-01-01"  # a new consent text is deployed
    await harness.event(mention([photo], "<@U0BOT> scripted"))
    await harness.settle()
    assert "version 2099-01-01" in blocks_of(asked(harness))[0]["text"]["text"]
    assert harness.scripted.calls == [] and photo_fetches(harness) == []

    await harness.interact(answer(harness, asked(harness), "consent_agree"))
    await harness.settle()
    assert len(harness.scripted.calls) == 1

    await harness.command("forget")
    await harness.settle()
    assert await harness.core.store.consent_records(OWNER) == []
    fake.ephemerals.clear()
    second = mention([fake.add_user_file("me.jpg", portrait_jpeg())], "<@U0BOT> scripted")
    second["event"]["ts"] = "1699999200.000300"
    await harness.event(second)
    await harness.settle()
    assert consent_buttons(fake.ephemerals[-1]) and len(harness.scripted.calls) == 1


async def test_a_button_on_results_after_a_new_version_asks_first(harness: SlackHarness) -> None:
    status = await delivered(harness)
    harness.core.consents.version = "2099-01-01"
    await harness.interact(press(harness, status))
    await harness.settle()
    question = asked(harness)
    assert question["replace_original"] is False and len(await harness.core.store.jobs_for_owner(OWNER)) == 1
    assert len(await harness.core.blobs.folders("jobs")) == 1  # nothing new stored: no new job's photos

    await harness.interact(answer(harness, question, "consent_agree"))
    await harness.settle()
    jobs = await harness.core.store.jobs_for_owner(OWNER)
    assert len(jobs) == 2 and all(job.state is JobState.DELIVERED for job in jobs)


async def test_only_the_asker_can_answer_and_a_question_answers_once(fresh: SlackHarness) -> None:
    photo = fresh.fake.add_user_file("me.jpg", portrait_jpeg())
    await fresh.event(mention([photo], "<@U0BOT> scripted"))
    await fresh.settle()
    question = asked(fresh)
    await fresh.interact(answer(fresh, question, "consent_agree", user="U0OTHER"))
    await fresh.settle()
    assert fresh.fake.responses[-1]["text"] == "This question is for someone else."
    assert await fresh.core.store.consent_records(OWNER) == [] and fresh.scripted.calls == []

    await fresh.interact(answer(fresh, question, "consent_agree"))
    await fresh.interact(answer(fresh, question, "consent_agree"))
    await fresh.settle()
    assert len(fresh.scripted.calls) == 1
    assert "already answered" in fresh.fake.responses[-1]["text"]


async def test_my_data_answers_a_link_or_why_there_is_none(
    harness: SlackHarness, tmp_path: Path, fake: FakeSlack
) -> None:
    await harness.command("my-data")
    await wait_for(lambda: harness.fake.responses)
    assert "no public web address (PUBLIC_BASE_URL)" in harness.fake.responses[-1]["text"]
    async with slack_bot(tmp_path / "public", fake, public_base_url="https://headshots.example.com") as public:
        await public.command("my-data")
        await wait_for(lambda: len(fake.responses) == 2)
        reply = fake.responses[-1]
        assert reply["response_type"] == "ephemeral" and "https://headshots.example.com/my-data/" in reply["text"]
