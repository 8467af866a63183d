"""Links as Discord components: one link button each, in a view that needs no listener."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.ports import Link

MAX_LABEL = 80
MAX_BUTTONS = 25


def link_view(links: Sequence[Link]) -> discord.ui.View | None:
    """A view of link buttons, or None when there are no links (the message then keeps its own)."""
    if not links:
        return None
    view = discord.ui.View(timeout=None)
    for link in links[:MAX_BUTTONS]:
        view.add_item(link_button(link))
    return view


def link_button(link: Link) -> discord.ui.Button[discord.ui.View]:
    """One link as a button that opens its page."""
    return discord.ui.Button(style=discord.ButtonStyle.link, label=link.label[:MAX_LABEL], url=link.url)
