"""The request modal and the message shortcut, from submission to headshots in the thread."""

from __future__ import annotations

import io
import json
import urllib.parse
from typing import Any

from PIL import Image

from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, wait_for

CHANNEL = "C0GENERAL"


def top_level(harness: SlackHarness, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in harness.fake.messages.get(channel, []) if "thread_ts" not in m]


async def jobs_of_user(harness: SlackHarness) -> list[str]:
    return await harness.core.service.recent_jobs("slack:T0TEAM:U0USER")


async def test_a_submission_ends_as_headshots_in_the_status_thread(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("portrait.jpg", portrait_jpeg())
    answer = await harness.interact(harness.submission([photo], "studio"))
    assert answer.status == 200 and answer.text == "" and answer.elapsed < 3
    await harness.settle()

    [status] = top_level(harness)
    assert status["text"].startswith("✅") and "done: 1 in the thread" in status["text"]
    replies = fake.thread(CHANNEL, status["ts"])[1:]
    assert [r["text"].split(" · ")[0] for r in replies] == ["Headshot 1 of 1"]
    [image] = fake.uploaded(replies[0])
    assert Image.open(io.BytesIO(image)).size == (1024, 1024)
    [ticket] = fake.calls_to("files.getUploadURLExternal")
    assert ticket.params["filename"] == "headshot-01.jpg" and int(ticket.params["length"]) == len(image)
    [complete] = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == CHANNEL and complete.params["thread_ts"] == status["ts"]
    assert fake.uploads_with_auth == 0  # the upload URL gets the bytes, never the token
    assert fake.downloads == [f"/files-pri/T0TEAM-{photo['id']}/download/portrait.jpg"]


async def test_a_file_that_is_not_a_photo_is_refused_with_an_ephemeral_sentence(harness: SlackHarness) -> None:
    notes = harness.fake.add_user_file("notes.jpg", b"just some text, not a photo at all")
    await harness.interact(harness.submission([notes], "studio"))
    await harness.settle()
    [told] = harness.fake.ephemerals
    assert told["user"] == "U0USER" and told["channel"] == CHANNEL and "notes.jpg" in told["text"]
    assert top_level(harness) == [] and await jobs_of_user(harness) == []


async def test_a_modal_with_only_a_text_file_gets_the_error_on_its_upload_block(harness: SlackHarness) -> None:
    notes = harness.fake.add_user_file("notes.txt", b"my notes about the shoot\n", mimetype="text/plain")
    notes |= {"filetype": "text", "pretty_type": "Plain Text"}  # as Slack describes a .txt
    answer = await harness.interact(harness.submission([notes], "studio"))
    assert answer.status == 200 and answer.elapsed < 3
    assert answer.json() == {"response_action": "errors", "errors": {
        "photos": "notes.txt is not a photo; please choose JPEG, PNG, WebP or HEIC photos."}}
    await harness.settle()
    assert harness.fake.downloads == [] and harness.fake.ephemerals == [] and top_level(harness) == []


async def test_files_declared_as_something_else_are_named_beside_a_photo(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    pdf = harness.fake.add_user_file("cv.pdf", b"%PDF-1.7\n", mimetype="application/pdf")
    sheet = harness.fake.add_user_file("budget.xlsx", b"PK\x03\x04", mimetype="application/vnd.ms-excel")
    answer = await harness.interact(harness.submission([photo, pdf, sheet], "studio"))
    assert answer.json()["errors"] == {
        "photos": "cv.pdf and budget.xlsx are not photos; please choose JPEG, PNG, WebP or HEIC photos."}
    await harness.settle()
    assert harness.fake.downloads == []


async def test_a_login_page_instead_of_the_file_says_what_went_wrong(harness: SlackHarness) -> None:
    gone = harness.fake.add_user_file("photo.jpg", jpeg(512, 512))
    del harness.fake.blobs[gone["id"]]  # Slack then serves its sign-in page, with status 200
    await harness.interact(harness.submission([gone], "studio"))
    await harness.settle()
    [told] = harness.fake.ephemerals
    assert told["text"] == (
        "I couldn't download photo.jpg from Slack (got a web page instead — is the bot's files:read scope granted?)"
    )
    assert await jobs_of_user(harness) == []


async def test_too_many_photos_for_the_provider_is_an_error_on_the_upload_block(harness: SlackHarness) -> None:
    photos = [harness.fake.add_user_file(f"p{n}.jpg", jpeg(512, 512, n)) for n in range(4)]
    answer = await harness.interact(harness.submission(photos, "scripted"))
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {"photos": "Scripted takes at most 3 photos; you sent 4."}
    await harness.settle()
    assert harness.fake.downloads == [] and await jobs_of_user(harness) == []


async def test_a_user_with_too_many_jobs_in_progress_is_told_in_the_modal(harness: SlackHarness) -> None:
    harness.core.intake.max_jobs_per_user = 0
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    body = (await harness.interact(harness.submission([photo], "scripted"))).json()
    assert body["response_action"] == "errors" and "jobs in progress" in body["errors"]["photos"]


async def test_not_in_channel_joins_and_posts_there(harness: SlackHarness) -> None:
    harness.fake.not_member.add(CHANNEL)
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    await harness.interact(harness.submission([photo], "scripted"))
    await harness.settle()
    assert [c.params["channel"] for c in harness.fake.calls_to("conversations.join")] == [CHANNEL]
    [status] = top_level(harness)
    assert status["text"].startswith("✅")
    assert len(harness.fake.thread(CHANNEL, status["ts"])) == 2


async def test_a_private_channel_falls_back_to_a_direct_message_that_says_so(harness: SlackHarness) -> None:
    harness.fake.private.add("G0SECRET")
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    body = harness.submission([photo], "scripted")
    body["view"]["private_metadata"] = json.dumps({"channel": "G0SECRET"})
    await harness.interact(body)
    await harness.settle()
    assert "G0SECRET" not in harness.fake.messages
    [status] = top_level(harness, "D0USER")
    assert "I can't post in <#G0SECRET>" in status["text"] and "done: 1 in the thread" in status["text"]
    assert len(harness.fake.thread("D0USER", status["ts"])) == 2


async def test_a_rate_limited_post_is_retried_after_retry_after_and_posted_once(harness: SlackHarness) -> None:
    harness.fake.rate_limit_once.add("chat.postMessage")
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    await harness.interact(harness.submission([photo], "scripted"))
    await harness.settle()
    first, second = harness.fake.calls_to("chat.postMessage")[:2]
    assert second.at - first.at >= 1.0  # Retry-After: 1
    assert first.params == second.params
    [status] = top_level(harness)
    assert status["text"].startswith("✅")


async def test_a_server_error_is_retried(harness: SlackHarness) -> None:
    harness.fake.server_error_once.add("files.completeUploadExternal")
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    await harness.interact(harness.submission([photo], "scripted"))
    await harness.settle()
    [status] = top_level(harness)
    assert status["text"].startswith("✅")
    assert len(harness.fake.calls_to("files.completeUploadExternal")) == 2
    assert len(harness.fake.thread(CHANNEL, status["ts"])) == 2


async def test_the_shortcut_delivers_into_the_original_messages_thread(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("me.jpg", jpeg(512, 512))
    original = fake.add_message(CHANNEL, {"user": "U0USER", "text": "New profile photo?", "files": [photo]})
    action = payload("message_action")
    action["message"].update(ts=original["ts"], files=[photo])
    action["response_url"] = f"{fake.url}/response/2"
    answer = await harness.interact(action)
    assert answer.status == 200 and answer.elapsed < 3
    await wait_for(lambda: fake.calls_to("views.open"))
    view = fake.calls_to("views.open")[0].params["view"]
    assert all(b.get("element", {}).get("type") != "file_input" for b in view["blocks"])
    metadata = json.loads(view["private_metadata"])
    assert metadata["thread_ts"] == original["ts"] and metadata["files"][0]["id"] == photo["id"]

    await harness.interact(harness.submission([], "scripted", metadata=metadata))
    await harness.settle()
    status, result = fake.thread(CHANNEL, original["ts"])[1:]
    assert status["text"].startswith("✅") and result["text"].startswith("Headshot 1 of 1")
    assert len(fake.uploaded(result)) == 1


async def test_the_shortcut_on_a_message_without_photos_says_so(harness: SlackHarness) -> None:
    action = payload("message_action")
    action["message"]["files"] = [{**action["message"]["files"][0], "mimetype": "application/pdf", "filetype": "pdf"}]
    action["response_url"] = f"{harness.fake.url}/response/3"
    await harness.interact(action)
    await wait_for(lambda: harness.fake.responses)
    assert harness.fake.responses[0]["text"].startswith("That message has no photos")
    assert harness.fake.calls_to("views.open") == []


async def test_the_same_signed_submission_sent_twice_makes_one_job(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("portrait.jpg", portrait_jpeg())
    body = urllib.parse.urlencode({"payload": json.dumps(harness.submission([photo], "scripted"))})
    first = await harness.send(body, "application/x-www-form-urlencoded")
    again = await harness.send(body, "application/x-www-form-urlencoded")  # a replay within the five minutes
    assert (first.status, again.status) == (200, 200) and again.text == ""
    await harness.settle()
    assert len(harness.scripted.calls) == 1 and len(top_level(harness)) == 1


async def test_a_submission_refused_with_errors_can_be_sent_again_fixed(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("portrait.jpg", portrait_jpeg())
    body = harness.submission([photo], "scripted", count="9")
    refused = await harness.interact(body)
    assert refused.json()["response_action"] == "errors"
    body["view"]["state"]["values"]["count"]["count"]["selected_option"]["value"] = "2"  # same view id and hash
    assert (await harness.interact(body)).status == 200
    await harness.settle()
    assert len(harness.scripted.calls) == 1
