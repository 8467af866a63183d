"""Real payload shapes the adapter must take: Slack Connect files, empty types, hidden files, direct
messages; and mentions written the way people write them."""

from __future__ import annotations

import json
from typing import Any

from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, wait_for

CHANNEL = "C0GENERAL"
TS = "1699999100.000200"


def mention(text: str, files: list[dict[str, Any]] | None) -> dict[str, Any]:
    body = payload("app_mention")
    body["event"]["text"] = text
    if files is None:
        del body["event"]["files"]
    else:
        body["event"]["files"] = files
    return body


def connect_file(shared: dict[str, Any]) -> dict[str, Any]:
    """A file shared from another organisation, as Slack Connect events carry it: an id, and nothing else."""
    return {"id": shared["id"], "file_access": "check_file_info"}


def thread(harness: SlackHarness) -> list[dict[str, Any]]:
    return harness.fake.thread(CHANNEL, TS)


async def test_a_slack_connect_file_is_looked_up_and_made_into_headshots(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("IMG_7001.jpg", portrait_jpeg())
    await harness.event(mention("<@U0BOT> scripted", [connect_file(photo)]))
    await harness.settle()
    assert [c.params["file"] for c in harness.fake.calls_to("files.info")] == [photo["id"]]
    assert len(harness.scripted.calls) == 1
    assert thread(harness)[0]["text"].startswith("✅")


async def test_a_file_with_an_empty_mimetype_lets_the_bytes_decide(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("upload", jpeg(512, 512), mimetype="")
    await harness.event(mention("<@U0BOT> scripted", [{**photo, "mimetype": "", "filetype": ""}]))
    await harness.settle()
    assert len(harness.scripted.calls) == 1


async def test_the_shortcut_takes_slack_connect_files(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("IMG_7002.jpg", jpeg(512, 512))
    original = fake.add_message(CHANNEL, {"user": "U0USER", "text": "me", "files": [connect_file(photo)]})
    action = payload("message_action")
    action["message"].update(ts=original["ts"], files=[connect_file(photo)])
    action["response_url"] = f"{fake.url}/response/2"
    await harness.interact(action)
    await wait_for(lambda: fake.calls_to("views.open"))
    metadata = json.loads(fake.calls_to("views.open")[0].params["view"]["private_metadata"])
    await harness.interact(harness.submission([], "scripted", metadata=metadata))
    await harness.settle()
    status = fake.thread(CHANNEL, original["ts"])[1]
    assert status["text"].startswith("✅"), status["text"]


async def test_a_file_hidden_by_the_workspaces_plan_gets_its_own_sentence(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("IMG_0003.jpg", jpeg(512, 512))
    hidden = {"id": photo["id"], "name": "IMG_0003.jpg", "mode": "hidden_by_limit", "mimetype": "image/jpeg"}
    await harness.event(mention("<@U0BOT> scripted", [hidden]))
    await harness.settle()
    [reply] = thread(harness)
    assert reply["text"].startswith("Slack hides IMG_0003.jpg from apps because of this workspace's plan")
    assert harness.fake.downloads == [] and harness.scripted.calls == []


async def test_filler_words_are_passed_over(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    await harness.event(mention("<@U0BOT> headshots please, scripted!", [photo]))
    await harness.settle()
    assert len(harness.scripted.calls) == 1
    assert not any("didn't understand" in m["text"] for m in thread(harness))


async def test_a_text_file_hears_that_it_is_not_a_photo(harness: SlackHarness) -> None:
    notes = harness.fake.add_user_file("notes.txt", b"my notes about the photo shoot\n", mimetype="text/plain")
    await harness.event(mention("<@U0BOT> headshots please", [notes]))
    await harness.settle()
    [reply] = thread(harness)
    assert reply["text"] == "notes.txt is not an image (it looks like text)."


async def test_the_attachments_are_looked_at_before_the_words(harness: SlackHarness) -> None:
    harness.fake.add_message(CHANNEL, {"user": "U0USER", "text": "<@U0BOT> banana", "ts": TS})
    await harness.event(mention("<@U0BOT> banana", None))
    await harness.settle()
    [reply] = thread(harness)[1:]
    assert reply["text"].startswith("I make headshots from photos")


async def test_a_misspelt_option_is_left_out_and_named_in_the_status(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", portrait_jpeg())
    await harness.event(mention("<@U0BOT> execuitve offce x2", [photo]))
    await harness.settle()
    status = thread(harness)[0]
    assert status["text"].startswith("I left out “execuitve” (did you mean executive?), “offce” (did you mean "
                                      "office?).\n✅ 2 headshots"), status["text"]
    job = (await harness.core.store.jobs_for_owner("slack:T0TEAM:U0USER", 1))[0]
    assert job.options.count == 2 and job.options.style.value == "professional"


def direct_message(text: str, files: list[dict[str, Any]] | None, **extra: Any) -> dict[str, Any]:
    body = payload("message_file_share")
    event = body["event"]
    event.update(channel="D0USER", channel_type="im", text=text, **extra)
    if files is None:
        del event["files"]
        event.pop("subtype", None)
    else:
        event["files"] = files
    return body


async def test_a_direct_message_with_photos_needs_no_mention(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    await harness.event(direct_message("scripted please", [photo]))
    await harness.settle()
    assert len(harness.scripted.calls) == 1
    [status, result] = harness.fake.thread("D0USER", TS)
    assert status["text"].startswith("✅") and result["text"].startswith("Headshot 1 of 1")


async def test_a_direct_message_without_photos_is_told_how(harness: SlackHarness) -> None:
    await harness.event(direct_message("hello there", None))
    await harness.settle()
    [reply] = harness.fake.thread("D0USER", TS)
    assert reply["text"].startswith("I make headshots from photos")


async def test_the_bots_own_direct_messages_are_ignored(harness: SlackHarness) -> None:
    await harness.event(direct_message("✅ 1 headshot with Studio", None, user="U0BOT", bot_id="B0BOT"))
    await harness.settle()
    assert harness.fake.calls_to("chat.postMessage") == []
