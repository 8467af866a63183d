"""The gallery link in Slack: a button with a `url` under the thread's last message and on the status."""

from __future__ import annotations

from typing import Any

import pytest

from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload

CHANNEL = "C0GENERAL"
PUBLIC = "https://headshots.example"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {"public_base_url": PUBLIC}


def link_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a message, but the picks of its headshots (a block of their own)."""
    return [element for block in message.get("blocks", [])
            if block["type"] == "actions" and block.get("block_id") != "headshot_picks"
            for element in block["elements"]]


async def test_results_come_with_a_gallery_button_in_the_thread_and_on_the_status(harness: SlackHarness) -> None:
    fake = harness.fake
    photo = fake.add_user_file("me.jpg", jpeg(512, 512))
    await harness.interact(harness.submission([photo], "scripted", count="2"))
    await harness.settle()

    status = next(m for m in fake.messages[CHANNEL] if "thread_ts" not in m)
    replies = fake.thread(CHANNEL, status["ts"])[1:]
    *results, gallery = replies
    assert results and all(not link_buttons(r) for r in results)
    assert gallery["text"].startswith("All 2 headshots on one page") and gallery["text"].endswith("· gallery")
    (button,) = link_buttons(gallery)
    assert button["text"]["text"] == "Open gallery" and button["url"].startswith(f"{PUBLIC}/g/")
    assert gallery["blocks"][0]["text"]["text"] == gallery["text"]
    posted = fake.calls_to("chat.postMessage")[-1].params
    assert posted["unfurl_links"] is False and posted["unfurl_media"] is False

    assert status["text"].startswith("✅")
    more, style, on_status = link_buttons(status)  # the follow-ups first, then the gallery
    assert (more["action_id"], style["action_id"]) == ("headshot_more", "headshot_style")
    assert on_status["text"]["text"] == "Open gallery" and on_status["url"].startswith(f"{PUBLIC}/g/")


async def test_a_press_on_a_link_button_is_acknowledged(harness: SlackHarness) -> None:
    answer = await harness.interact(payload("block_actions_link"))
    assert answer.status == 200
    await harness.settle()
    assert [call.method for call in harness.fake.calls if call.method != "auth.test"] == []  # nothing else happens
