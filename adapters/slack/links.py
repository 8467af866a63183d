"""Links as Slack Block Kit: the message text in a section, each link a button with a `url`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, MarkdownTextObject, SectionBlock

from bot.ports import Link

MAX_SECTION_TEXT = 3000
MAX_BUTTON_TEXT = 75
LINK_ACTION = re.compile(r"^link-[0-9]+$")


def link_blocks(text: str, links: Sequence[Link]) -> list[Block]:
    """The blocks of a message whose text comes with link buttons (none without links)."""
    if not links:
        return []
    buttons = [link_button(link, number) for number, link in enumerate(links)]
    return [SectionBlock(text=MarkdownTextObject(text=text[:MAX_SECTION_TEXT])), ActionsBlock(elements=buttons)]


def link_button(link: Link, number: int) -> ButtonElement:
    """One link as a button that opens its page (`number` tells a message's links apart)."""
    return ButtonElement(text=link.label[:MAX_BUTTON_TEXT], url=link.url, action_id=f"link-{number}")


def register_link_buttons(app: AsyncApp) -> None:
    """Acknowledge link-button presses: Slack sends an action for them too and flags it when unanswered."""

    async def on_link(ack: AsyncAck) -> None:
        await ack()

    app.action(LINK_ACTION)(on_link)
