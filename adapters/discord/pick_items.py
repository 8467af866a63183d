"""The picks of a delivered job's headshots as persistent Discord components.

A few headshots get a button each: `headshot:fav:<job>:<n>` marks (or unmarks) number n as a
favourite, `headshot:avatar:<job>:<n>` answers with its square crop for an avatar. A pack gets
menus of numbers instead (`headshot:pick:<job>:<first>`, 25 numbers each, the most a menu holds),
and picking one answers, to the presser alone, with that headshot and the same two buttons. A
listing of favourites carries `headshot:unfav`, whose options name job and number. Every one is a
`discord.ui.DynamicItem`, registered when the client is built, so a press works after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from bot.buttons import PickKind, ResultPick
from bot.i18n import t

JOB = r"(?P<job>[0-9a-f]{32})"
NUMBER = r"(?P<number>[0-9]{1,4})"
BUTTONS_UP_TO = 4
PER_MENU = 25
MAX_MENUS = 3
PICK_ROW = 2  # under the follow-ups (row 0) and the style menu (row 1)


class PickHandler(Protocol):
    """What a pick is handed to (`adapters.discord.picks.DiscordPicks`)."""

    async def favourite(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """Mark or unmark headshot `number` of `job_id` as a favourite of whoever pressed."""
        ...

    async def avatar(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """Answer with the headshot's square crop, ready to upload as an avatar."""
        ...

    async def show(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """Answer with the picked headshot and what can be done with it."""
        ...

    async def unfavourite(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """Take the favourite mark off a headshot, from a listing."""
        ...


def picks_of(interaction: discord.Interaction) -> PickHandler:
    """The pick handler of the client that received the interaction (`HeadshotClient.picks`)."""
    handler: PickHandler | None = getattr(interaction.client, "picks", None)
    if handler is None:
        raise RuntimeError("the Discord client has no pick handler")
    return handler


def favourite_label(number: int, count: int, locale: str | None) -> str:
    """The favourite button's words."""
    return t(locale, "★ Favourite") if count == 1 else t(locale, "★ #{number}", number=number)


def avatar_label(number: int, count: int, locale: str | None) -> str:
    """The avatar button's words."""
    return t(locale, "Use as my avatar") if count == 1 else t(locale, "Avatar from #{number}", number=number)


class FavouriteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"headshot:fav:{JOB}:{NUMBER}"):
    """★: marks the headshot as a favourite, or takes the mark off."""

    def __init__(self, job_id: str, number: int, label: str = "★", row: int | None = None) -> None:
        super().__init__(discord.ui.Button(
            label=label[:80], style=discord.ButtonStyle.secondary, custom_id=f"headshot:fav:{job_id}:{number}", row=row
        ))
        self.job_id, self.number = job_id, number

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FavouriteButton:
        return cls(match["job"], int(match["number"]), getattr(item, "label", None) or "★")

    async def callback(self, interaction: discord.Interaction) -> None:
        await picks_of(interaction).favourite(interaction, self.job_id, self.number)


class AvatarButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"headshot:avatar:{JOB}:{NUMBER}"):
    """**Use as my avatar**: the headshot's square crop, to the presser alone."""

    def __init__(self, job_id: str, number: int, label: str = "Use as my avatar", row: int | None = None) -> None:
        super().__init__(discord.ui.Button(
            label=label[:80], style=discord.ButtonStyle.secondary, custom_id=f"headshot:avatar:{job_id}:{number}",
            row=row,
        ))
        self.job_id, self.number = job_id, number

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AvatarButton:
        return cls(match["job"], int(match["number"]), getattr(item, "label", None) or "Use as my avatar")

    async def callback(self, interaction: discord.Interaction) -> None:
        await picks_of(interaction).avatar(interaction, self.job_id, self.number)


def _picked(item: discord.ui.Select[Any]) -> tuple[str, int] | None:
    """The `<job>:<number>` or `<number>` a menu's pick names."""
    value = item.values[0] if item.values else ""
    job_id, _, number = value.rpartition(":")
    return (job_id, int(number)) if number.isdigit() else None


class PickMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"headshot:pick:{JOB}:{NUMBER}"):
    """A menu of up to 25 of a pack's numbers, from `first` on; a pick shows that headshot."""

    def __init__(self, job_id: str, first: int, options: Sequence[discord.SelectOption], placeholder: str = "",
                 row: int | None = None) -> None:
        super().__init__(discord.ui.Select(
            custom_id=f"headshot:pick:{job_id}:{first}", placeholder=placeholder[:150] or None, options=list(options),
            row=row,
        ))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PickMenu:
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(match["job"], int(match["number"]), options, getattr(item, "placeholder", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        picked = _picked(self.item)
        if picked is not None:
            await picks_of(interaction).show(interaction, self.job_id, picked[1])


class UnfavouriteMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"headshot:unfav"):
    """A listing's menu of favourites; a pick takes that one's mark off."""

    def __init__(self, options: Sequence[discord.SelectOption], placeholder: str = "") -> None:
        super().__init__(discord.ui.Select(
            custom_id="headshot:unfav", placeholder=placeholder[:150] or None, options=list(options)
        ))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> UnfavouriteMenu:
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(options, getattr(item, "placeholder", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        picked = _picked(self.item)
        if picked is not None:
            await picks_of(interaction).unfavourite(interaction, *picked)


PICK_ITEMS = (FavouriteButton, AvatarButton, PickMenu, UnfavouriteMenu)


def add_picks(view: discord.ui.View, picks: Sequence[ResultPick], locale: str | None = None) -> None:
    """The picks' components: for a few headshots, a row of ★ buttons and a row of avatar buttons; for a
    pack, menus of its numbers (the pick then offers both)."""
    count = max((p.count for p in picks), default=0)
    if not picks or count <= 0:
        return
    job_id = picks[0].job_id
    kinds = {p.kind for p in picks}
    if count <= BUTTONS_UP_TO:
        for number in range(1, count + 1):
            if PickKind.FAVOURITE in kinds:
                view.add_item(FavouriteButton(job_id, number, favourite_label(number, count, locale), row=PICK_ROW))
            if PickKind.PROFILE_PHOTO in kinds:
                view.add_item(AvatarButton(job_id, number, avatar_label(number, count, locale), row=PICK_ROW + 1))
        return
    for menu, first in enumerate(range(1, min(count, PER_MENU * MAX_MENUS) + 1, PER_MENU)):
        last = min(count, first + PER_MENU - 1)
        options = [discord.SelectOption(label=f"#{n}", value=str(n)) for n in range(first, last + 1)]
        placeholder = t(locale, "Pick a headshot: #{first}-#{last}", first=first, last=last)
        view.add_item(PickMenu(job_id, first, options, placeholder, row=PICK_ROW + menu))


def picked_view(job_id: str, number: int, favourite: bool, locale: str | None) -> discord.ui.View:
    """What an answer about one headshot offers: ★ (or taking it off, for a `favourite`) and the avatar."""
    view = discord.ui.View(timeout=None)
    label = t(locale, "Take off my favourites") if favourite else t(locale, "★ Mark as favourite")
    view.add_item(FavouriteButton(job_id, number, label))
    view.add_item(AvatarButton(job_id, number, t(locale, "Use as my avatar")))
    return view
