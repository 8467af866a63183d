"""The gallery link in Discord: a link button under the thread's last message and on the status message."""

from __future__ import annotations

from typing import Any

from tests.discord.conftest import CHANNEL, HarnessFactory

PUBLIC = "https://headshots.example"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for row in message.get("components") or [] for item in row["components"]]


async def test_results_come_with_a_gallery_link_button(make_harness: HarnessFactory) -> None:
    harness = await make_harness(public_base_url=PUBLIC)
    fake = harness.fake
    await harness.send(harness.portrait_command({"name": "count", "type": 4, "value": 2}))
    (status,) = fake.channel_posts(CHANNEL)
    thread_id = str(fake.threads[status["id"]]["id"])
    await harness.run_jobs()

    *results, gallery = fake.channel_posts(thread_id)
    assert results and all(not buttons(message) for message in results)
    assert gallery["content"].startswith("All 2 headshots on one page") and not gallery["attachments"]
    (button,) = buttons(gallery)
    assert button["type"] == 2 and button["style"] == 5  # a link button: it opens the page, no interaction
    assert button["label"] == "Open gallery" and button["url"].startswith(f"{PUBLIC}/g/")
    assert "custom_id" not in button

    (status,) = fake.channel_posts(CHANNEL)
    assert status["content"].startswith("✅")
    # The buttons in a row (More like these, Open gallery), the style menu in a row of its own; the
    # picks of the headshots follow in rows of their own.
    [[more, on_status], [style], *_picks] = [row["components"] for row in status["components"]]
    assert more["custom_id"].startswith("headshot:more:") and style["custom_id"].startswith("headshot:style:")
    assert on_status["style"] == 5 and on_status["url"].startswith(f"{PUBLIC}/g/")


async def test_without_a_public_address_no_message_has_a_link_button(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    await harness.send(harness.portrait_command())
    await harness.run_jobs()
    messages = [m for posts in harness.fake.messages.values() for m in posts]
    assert messages and not any(b.get("url") for m in messages for b in buttons(m))
