"""Private delivery on Slack: the modal's checkbox, `private` in a mention, a saved default; results by DM."""

from __future__ import annotations

from typing import Any

from adapters.slack.modals import private_option
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, wait_for
from tests.slack.test_slack_commands import settings_submission
from tests.slack.test_slack_follow_ups import elements, press

PRIVATE_OPTION = private_option(None)
CHANNEL = "C0GENERAL"
DM = "D0USER"  # the fake's direct message with U0USER
TS = "1699999100.000200"
OWNER = "slack:T0TEAM:U0USER"


def ticked(body: dict[str, Any], on: bool = True) -> dict[str, Any]:
    """A submitted modal with the "Send them to me privately" checkbox ticked (or not), as Slack sends it."""
    chosen = [PRIVATE_OPTION] if on else []
    body["view"]["state"]["values"]["private"] = {"private": {"type": "checkboxes", "selected_options": chosen}}
    return body


def mention(text: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    body = payload("app_mention")
    body["event"]["text"] = text
    body["event"]["files"] = files
    return body


def top_level(harness: SlackHarness, channel: str) -> list[dict[str, Any]]:
    return [m for m in harness.fake.messages.get(channel, []) if "thread_ts" not in m]


async def test_the_checkbox_sends_status_results_and_buttons_to_a_direct_message(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("portrait.jpg", portrait_jpeg())
    answer = await harness.interact(ticked(harness.submission([photo], "studio")))
    assert answer.status == 200 and answer.text == ""
    await harness.settle()

    assert CHANNEL not in fake.messages  # nothing public
    [opened] = fake.calls_to("conversations.open")
    assert opened.params["users"] == "U0USER"
    [status] = top_level(harness, DM)
    assert status["text"].startswith("✅") and "done: 1 in the thread" in status["text"]
    [result] = fake.thread(DM, status["ts"])[1:]
    assert len(fake.uploaded(result)) == 1
    [note] = fake.ephemerals
    assert note["channel"] == CHANNEL and note["user"] == "U0USER" and "direct messages" in note["text"]
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    assert job.options.private and elements(status)["headshot_more"]["value"] == job.id

    # Pressed in the direct message, More like these stays there too.
    await harness.interact(press(harness, status, DM))
    await harness.settle()
    assert CHANNEL not in fake.messages
    replies = fake.thread(DM, status["ts"])[1:]
    assert len(replies) == 3 and replies[1]["text"].startswith("✅")  # the first result, the new status, its result


async def test_private_in_a_mention_delivers_by_direct_message(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("IMG_2041.jpg", portrait_jpeg())
    await harness.event(mention("<@U0BOT> executive privately, please", [photo]))
    await harness.settle()
    assert fake.thread(CHANNEL, TS) == []  # no reply under the mention
    [status] = top_level(harness, DM)
    assert status["text"].startswith("✅") and "(Executive," in status["text"]
    assert len(fake.thread(DM, status["ts"])) == 2
    assert "direct messages" in fake.ephemerals[0]["text"]


async def test_when_the_direct_message_cannot_be_opened_the_person_is_told_and_nothing_is_posted(
    harness: SlackHarness,
) -> None:
    fake = harness.fake
    fake.errors["conversations.open"] = "user_disabled"
    photo = fake.add_user_file("IMG_2041.jpg", portrait_jpeg())
    await harness.event(mention("<@U0BOT> private", [photo]))
    await harness.settle()
    assert fake.calls_to("chat.postMessage") == [] and fake.messages == {}
    [told] = fake.ephemerals
    assert told["user"] == "U0USER" and told["channel"] == CHANNEL
    assert told["text"] == (
        "I couldn't open a direct message with you (user_disabled), so I didn't start the job "
        "and posted nothing in the channel."
    )
    assert await harness.core.store.jobs_for_owner(OWNER) == []


async def test_private_as_a_saved_default_applies_until_unticked(harness: SlackHarness) -> None:
    fake = harness.fake
    await harness.command("settings")
    await wait_for(lambda: fake.calls_to("views.open"))
    view = fake.calls_to("views.open")[0].params["view"]
    [box] = [b for b in view["blocks"] if b["block_id"] == "private"]
    assert box["element"]["options"] == [PRIVATE_OPTION] and "initial_options" not in box["element"]
    await harness.interact(ticked(settings_submission(view)))
    await harness.settle()
    assert "results sent to you privately" in fake.ephemerals[-1]["text"]
    assert (await harness.core.service.defaults(OWNER))[0].private

    await harness.command("")
    await wait_for(lambda: len(fake.calls_to("views.open")) == 2)
    modal = fake.calls_to("views.open")[1].params["view"]
    [box] = [b for b in modal["blocks"] if b["block_id"] == "private"]
    assert box["element"]["initial_options"] == [PRIVATE_OPTION]

    photo = fake.add_user_file("IMG_2041.jpg", portrait_jpeg())
    await harness.event(mention("<@U0BOT>", [photo]))  # no word: the saved default holds
    await harness.settle()
    assert len(top_level(harness, DM)) == 1 and fake.thread(CHANNEL, TS) == []

    second = fake.add_user_file("again.jpg", portrait_jpeg())
    await harness.interact(ticked(harness.submission([second], "studio"), on=False))  # unticked: here, this time
    await harness.settle()
    [public] = top_level(harness, CHANNEL)
    assert public["text"].startswith("✅") and len(top_level(harness, DM)) == 1
