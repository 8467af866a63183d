"""Presses on the picks of delivered headshots on Discord (`adapters.discord.pick_items`), and
`/headshot-favourites`.

Each press is deferred at once (ephemeral: only the presser sees the answer), then checked by the
core, which decides who may pick what. Discord cannot set anyone's avatar, so "Use as my avatar"
answers with the square crop as an attachment, ready to upload. Sentences speak the presser's
language (`interaction.locale`).
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any, cast

import discord
from discord import app_commands

from adapters.discord.commands import everywhere
from adapters.discord.intake import owner_key
from adapters.discord.pick_items import UnfavouriteMenu, picked_view
from adapters.discord.surface import fit
from adapters.discord.translator import discord_locale, localized
from bot.errors import UserError
from bot.i18n import phrase, t
from bot.picks import HeadshotPicks, ListedFavourite, Picked

log = logging.getLogger(__name__)



class DiscordPicks:
    """Answers pick presses for the core's `HeadshotPicks`."""

    def __init__(self, picks: HeadshotPicks) -> None:
        self._picks = picks

    async def _begin(self, interaction: discord.Interaction, job_id: str, number: int) -> Picked | None:
        """Defer, then check the pick; a refusal is said at once (None is returned then)."""
        try:
            await interaction.response.defer(thinking=True, ephemeral=True)
        except discord.HTTPException as exc:  # the interaction expired, or Discord is away
            log.warning("could not answer a pick on job %s: %s", job_id[:8], exc.text)
            return None
        locale = discord_locale(interaction)
        try:
            return await self._picks.pick(job_id, number, owner_key(interaction.user.id), locale)
        except UserError as exc:
            await _say(interaction, str(exc))
        except Exception:
            log.exception("a Discord pick could not be checked")
            await _say(interaction, t(locale, "Something went wrong on my side; please try again in a minute."))
        return None

    async def favourite(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """Mark or unmark a favourite, and say which it is now."""
        picked = await self._begin(interaction, job_id, number)
        if picked is not None:
            await _say(interaction, _favourite_text(await self._picks.toggle_favourite(picked), picked,
                                                    discord_locale(interaction)))

    async def unfavourite(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """Take a favourite's mark off, from a listing."""
        picked = await self._begin(interaction, job_id, number)
        if picked is not None:
            await self._picks.unmark(picked)
            await _say(interaction, _favourite_text(False, picked, discord_locale(interaction)))

    async def avatar(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """The headshot's square crop as an attachment, ready to upload as an avatar."""
        picked = await self._begin(interaction, job_id, number)
        if picked is None:
            return
        locale = discord_locale(interaction)
        square = await self._picks.profile_square(picked)
        text = t(locale, "Headshot #{number}, cropped square around your face. Discord does not let bots change "
                         "avatars: save this picture, then choose it under User Settings → Profiles → Avatar.",
                 number=picked.number)
        await _say(interaction, text, discord.File(io.BytesIO(square), f"avatar-{picked.number:02d}.jpg"))

    async def show(self, interaction: discord.Interaction, job_id: str, number: int) -> None:
        """The picked headshot (its preview) and what can be done with it."""
        picked = await self._begin(interaction, job_id, number)
        if picked is None:
            return
        locale = discord_locale(interaction)
        favourite = await self._picks.is_favourite(picked)
        preview = discord.File(io.BytesIO(await self._picks.preview(picked)), f"headshot-{picked.number:02d}.jpg")
        text = (t(locale, "★ Headshot #{number}, one of your favourites.", number=picked.number) if favourite
                else t(locale, "Headshot #{number}.", number=picked.number))
        await _say(interaction, text, preview, picked_view(job_id, number, favourite, locale))

    async def listing(self, interaction: discord.Interaction) -> None:
        """`/headshot-favourites`: each favourite with its number and gallery link, and a menu to unmark."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        locale = discord_locale(interaction)
        listed = await self._picks.listed(owner_key(interaction.user.id))
        if not listed:
            await _say(interaction, t(locale, "You have no favourites yet. Press ★ under your headshots to mark one."))
            return
        lines = [_line(entry, locale) for entry in listed]
        options = [discord.SelectOption(label=_short(entry, locale)[:100], value=f"{entry.job.id}:{entry.number}")
                   for entry in listed]
        view = discord.ui.View(timeout=None)
        view.add_item(UnfavouriteMenu(options, t(locale, "Take one off your favourites")))
        await _say(interaction, t(locale, "**Your favourites**") + "\n" + "\n".join(lines), view=view)


def _favourite_text(marked: bool, picked: Picked, locale: str | None) -> str:
    if marked:
        return t(locale, "★ Headshot #{number} is one of your favourites now; /headshot-favourites lists them all.",
                 number=picked.number)
    return t(locale, "Headshot #{number} is no longer one of your favourites.", number=picked.number)


def _short(entry: ListedFavourite, locale: str | None) -> str:
    when = datetime.fromtimestamp(entry.job.created_at, UTC)
    return t(locale, "#{number} of job {job} ({day})", number=entry.number, job=entry.job.short_id,
             day=f"{when.day} {when:%b %Y}")


def _line(entry: ListedFavourite, locale: str | None) -> str:
    words = _short(entry, locale)  # the bot's own words: numbers, a job id, a date
    return f"• ★ [{words}](<{entry.link}>)" if entry.link else f"• ★ {words}"


async def _say(
    interaction: discord.Interaction, text: str, file: discord.File | None = None, view: discord.ui.View | None = None
) -> None:
    """The deferred answer becomes the sentence (with a file, and components)."""
    try:
        await interaction.edit_original_response(
            content=fit(text), attachments=[file] if file else discord.utils.MISSING,
            view=view or discord.utils.MISSING,
        )
    except discord.HTTPException:
        log.warning("could not finish the answer to interaction %s", interaction.id)


def favourites_command(picks: DiscordPicks) -> app_commands.Command[Any, Any, None]:
    """`/headshot-favourites`: the headshots the person marked, only to them."""

    @app_commands.command(name="headshot-favourites", description=localized(phrase("The headshots you marked with ★")))
    async def favourites(interaction: discord.Interaction) -> None:
        await picks.listing(interaction)

    return cast(app_commands.Command[Any, Any, None], everywhere(favourites))
