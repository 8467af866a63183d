"""Mentions with photos: options as words, results in the message's thread, each message once."""

from __future__ import annotations

import io

from PIL import Image

from bot.providers import ProviderError
from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg

CHANNEL = "C0GENERAL"
TS = "1699999100.000200"


def mention(harness: SlackHarness, text: str, files: list[dict[str, object]], kind: str = "app_mention") -> dict:
    body = payload(kind)
    body["event"]["text"] = text
    if files:
        body["event"]["files"] = files
    else:
        del body["event"]["files"]
    return body


async def test_options_in_the_mention_are_honoured_and_results_go_in_its_thread(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("IMG_2041.jpg", portrait_jpeg())
    answer = await harness.event(mention(harness, "<@U0BOT> executive office 3:4 x2", [photo]))
    assert answer.status == 200
    await harness.settle()
    status, result = fake.thread(CHANNEL, TS)
    assert status["text"].startswith("✅") and "(Executive, Office, 3:4)" in status["text"]
    sizes = [Image.open(io.BytesIO(data)).size for data in fake.uploaded(result)]
    assert sizes == [(768, 1024), (768, 1024)]


async def test_the_same_message_as_mention_and_file_share_is_handled_once(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    text = "<@U0BOT> scripted"
    await harness.event(mention(harness, text, [photo]))
    await harness.event(mention(harness, text, [photo], kind="message_file_share"))
    await harness.settle()
    assert len(harness.scripted.calls) == 1
    assert len(harness.fake.thread(CHANNEL, TS)) == 2  # one status, one result


async def test_a_mention_event_without_files_finds_them_in_the_message(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    harness.fake.add_message(CHANNEL, {"user": "U0USER", "text": "<@U0BOT> scripted", "ts": TS, "files": [photo]})
    await harness.event(mention(harness, "<@U0BOT> scripted", []))
    await harness.settle()
    assert len(harness.scripted.calls) == 1


async def test_unknown_words_get_a_reply_listing_the_words_i_know(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    await harness.event(mention(harness, "<@U0BOT> executive banana", [photo]))
    await harness.settle()
    [reply] = harness.fake.thread(CHANNEL, TS)
    assert reply["text"].startswith("I didn't understand “banana”")
    assert "studio_gray" in reply["text"] and "3:4" in reply["text"] and "x1-x4" in reply["text"]
    assert harness.fake.downloads == [] and harness.scripted.calls == []


async def test_a_mention_without_photos_explains_how(harness: SlackHarness) -> None:
    harness.fake.add_message(CHANNEL, {"user": "U0USER", "text": "<@U0BOT> hello", "ts": TS})
    await harness.event(mention(harness, "<@U0BOT>", []))
    await harness.settle()
    [reply] = harness.fake.thread(CHANNEL, TS)[1:]
    assert reply["text"].startswith("I make headshots from photos")


async def test_a_file_share_without_a_mention_is_ignored(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    await harness.event(mention(harness, "look at this", [photo], kind="message_file_share"))
    await harness.settle()
    assert harness.fake.downloads == [] and harness.fake.calls_to("chat.postMessage") == []


SPECIAL = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^S0TEAM>", "<@U0BOSS>")


def nothing_special(text: str) -> None:
    assert "<" not in text and ">" not in text, text


async def test_unknown_words_come_back_escaped_and_bounded(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    words = " ".join([*SPECIAL, "A&B", *(f"word{n}" for n in range(6000))])
    await harness.event(mention(harness, f"<@U0BOT> {words}", [photo]))
    await harness.settle()
    [reply] = harness.fake.thread(CHANNEL, TS)
    nothing_special(reply["text"])
    assert "“&lt;!channel&gt;”" in reply["text"] and "6000 more words" in reply["text"]
    assert len(reply["text"]) < 3000


async def test_a_file_name_in_a_refusal_is_escaped(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("<!here> hello & welcome.txt", b"just words, honest", mimetype="image/jpeg")
    await harness.event(mention(harness, "<@U0BOT>", [photo]))
    await harness.settle()
    [reply] = harness.fake.thread(CHANNEL, TS)
    nothing_special(reply["text"])
    assert reply["text"].startswith("&lt;!here&gt; hello &amp; welcome.txt is not an image")


async def test_a_providers_words_in_the_thread_are_escaped(harness: SlackHarness) -> None:
    harness.scripted.script = [ProviderError("Scripted refused it: <!channel> look <https://evil.example|here>")]
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    await harness.event(mention(harness, "<@U0BOT> scripted", [photo]))
    await harness.settle()
    for message in harness.fake.thread(CHANNEL, TS)[1:]:
        nothing_special(message["text"])
    assert any("&lt;!channel&gt;" in m["text"] for m in harness.fake.thread(CHANNEL, TS))
