"""Mentions with photos: options as words, results in the message's thread, each message once."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from adapters.slack.mentions import read_mention
from bot.ports import ProviderError
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


async def test_a_sentence_with_a_photo_makes_headshots_with_the_options_it_names(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", portrait_jpeg())
    text = "Hey <@U0BOT>, it's for the website: make me look *sharp* and _friendly_, x2 please 🙏 :camera:"
    await harness.event(mention(harness, text, [photo]))
    await harness.settle()
    status, *results = harness.fake.thread(CHANNEL, TS)
    assert status["text"].startswith("✅ 2 headshots"), status["text"]
    assert len(results) == 1 and len(harness.fake.uploaded(results[0])) == 2
    [job] = await harness.core.store.jobs_for_owner("slack:T0TEAM:U0USER", 1)
    assert job.options.style.value == "friendly" and job.options.count == 2
    assert not any("understand" in m["text"] for m in harness.fake.thread(CHANNEL, TS))


SENTENCES = [
    ("<@U0BOT> make me look sharp for the website", {}, []),
    ("<@U0BOT> it's for my LinkedIn, executive please 🙏", {"style": "executive"}, []),
    ("Hey <@U0BOT>, could you do *executive* headshots in the _office_ 3:4 x2? :camera_with_flash:",
     {"style": "executive", "background": "office", "aspect_ratio": "3:4", "count": "2"}, []),
    ("<@U0BOT> Bitte professionelle Fotos für unsere Webseite, Hintergrund office, 4:3",
     {"background": "office", "aspect_ratio": "4:3"}, []),
    ("<@U0BOT> Kannst du mir bitte drei Bewerbungsfotos machen? x3 casual", {"count": "3", "style": "casual"}, []),
    ("<@U0BOT> Bonjour ! Des photos pour l’équipe, style créatif, fond outdoor, s’il vous plaît 😊",
     {"background": "outdoor"}, []),
    ("<@U0BOT> ¿Me haces unas fotos profesional para el perfil? fondo gradient 2x",
     {"background": "gradient", "count": "2"}, [("profesional", "professional")]),
    ("<@U0BOT> プロフェッショナルな写真をお願いします。executive、３：４、ｘ２",
     {"style": "executive", "aspect_ratio": "3:4", "count": "2"}, []),
    ("<@U0BOT> 社内報用の写真を作ってください 🙇‍♀️", {}, []),
    ("<@U0BOT> see <#C0DESIGN|design> and <https://example.com/brand|our executive brand guide>, "
     "studio-gray background, high quality", {"background": "studio_gray", "quality": "high"}, []),
    ("<@U0BOT> execuitve offce pls, thx!! 😀", {}, [("execuitve", "executive"), ("offce", "office")]),
    ("<@U0BOT> send them privately, it's for my review with <@U0BOSS> :pray:", {"private": "private"}, []),
    ("<@U0BOT> headshots for the team page, friendly smile, smart_casual attire 9:16",
     {"style": "friendly", "attire": "smart_casual", "aspect_ratio": "9:16"}, []),
    ("<@U0BOT> I’d like 4x ~casual~ editorial ones &amp; a gradient &lt;3",
     {"count": "4", "style": "editorial", "background": "gradient"}, []),
]


@pytest.mark.parametrize(("text", "values", "guessed"), SENTENCES, ids=[str(n) for n in range(len(SENTENCES))])
def test_sentences_people_write_are_read_for_their_options(
    text: str, values: dict[str, str], guessed: list[tuple[str, str]]
) -> None:
    parsed = read_mention(text, ["studio", "agentai", "runflow"])
    assert (parsed.values, parsed.guessed, parsed.provider) == (values, guessed, None)


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


async def test_misspelt_words_come_back_escaped_and_few(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    words = " ".join([*SPECIAL, "A&amp;B", "offce&amp;", *(f"execuitve{n % 10}" for n in range(6000))])
    await harness.event(mention(harness, f"<@U0BOT> {words}", [photo]))
    await harness.settle()
    status = harness.fake.thread(CHANNEL, TS)[0]
    nothing_special(status["text"])
    note = status["text"].split("\n")[0]
    assert note == ("I left out “offce” (did you mean office?), “execuitve0” (did you mean executive?), "
                    "“execuitve1” (did you mean executive?) and 5998 more words."), note
    assert len(status["text"]) < 3000


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
