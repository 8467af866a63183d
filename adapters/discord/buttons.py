"""A status message's buttons as Discord components; the follow-ups persistent, each `custom_id` naming its job.

`headshot:more:<job>` is a button and `headshot:style:<job>` a select of styles. Both are
`discord.ui.DynamicItem`s, registered when the client is built and never timing out, so a
press on any status message ever sent is understood after a restart too: the job id comes
from the `custom_id`, everything else from the store. Links (the gallery) are link buttons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from adapters.discord.links import link_button
from adapters.discord.pick_items import add_picks
from bot.buttons import MORE_LABEL, STYLE_LABEL, FollowUpKind, ResultPick
from bot.ports import Button, Link


class PressHandler(Protocol):
    """What a press is handed to (`adapters.discord.followups.DiscordFollowUps`)."""

    async def press(
        self, interaction: discord.Interaction, kind: FollowUpKind, job_id: str, choice: str | None
    ) -> None:
        """Answer a press on follow-up `kind` of job `job_id` (`choice`: a menu's pick); start what it asks for."""
        ...


JOB = r"(?P<job>[0-9a-f]{32})"


def custom_id(kind: FollowUpKind, job_id: str) -> str:
    """A follow-up component's `custom_id` (at most 100 characters: a job id is 32)."""
    return f"headshot:{kind.value}:{job_id}"


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"headshot:more:{JOB}"):
    """**More like these**: a new job with the same photos and options."""

    def __init__(self, job_id: str, label: str = str(MORE_LABEL)) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80], style=discord.ButtonStyle.primary, custom_id=custom_id(FollowUpKind.MORE, job_id)
        )
        super().__init__(button)
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        return cls(match["job"], getattr(item, "label", None) or str(MORE_LABEL))

    async def callback(self, interaction: discord.Interaction) -> None:
        await handler_of(interaction).press(interaction, FollowUpKind.MORE, self.job_id, None)


class StyleMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"headshot:style:{JOB}"):
    """**Another style**: a menu of styles; the pick starts a new job in that style."""

    def __init__(
        self, job_id: str, options: Sequence[discord.SelectOption], placeholder: str = str(STYLE_LABEL)
    ) -> None:
        menu: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=custom_id(FollowUpKind.STYLE, job_id), placeholder=placeholder[:150], options=list(options)
        )
        super().__init__(menu)
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> StyleMenu:
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(match["job"], options, getattr(item, "placeholder", None) or str(STYLE_LABEL))

    async def callback(self, interaction: discord.Interaction) -> None:
        picked = self.item.values[0] if self.item.values else None
        await handler_of(interaction).press(interaction, FollowUpKind.STYLE, self.job_id, picked)


DYNAMIC_ITEMS = (MoreButton, StyleMenu)


def status_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    """The components of a status message's buttons (None without any: the message keeps its own)."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        if isinstance(button, ResultPick):
            continue
        if isinstance(button, Link):
            view.add_item(link_button(button))
        elif button.kind is FollowUpKind.STYLE:
            options = [discord.SelectOption(label=c.label, value=c.value) for c in button.choices[:25]]
            view.add_item(StyleMenu(button.job_id, options, button.label))
        else:
            view.add_item(MoreButton(button.job_id, button.label))
    add_picks(view, [b for b in buttons if isinstance(b, ResultPick)])
    return view


def handler_of(interaction: discord.Interaction) -> PressHandler:
    """The follow-up handler of the client that received the interaction (`HeadshotClient.follow_ups`)."""
    handler: PressHandler | None = getattr(interaction.client, "follow_ups", None)
    if handler is None:
        raise RuntimeError("the Discord client has no follow-up handler")
    return handler
