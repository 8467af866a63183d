"""Presses on Discord's follow-up components (`adapters.discord.buttons`): deferred at once (ephemeral), then
checked; the answer becomes the refusal, or goes once the new job has started in the thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import cast

import discord

from adapters.discord.consent import DiscordConsent
from adapters.discord.intake import interrupted_reply, owner_key, workspace_key
from adapters.discord.surface import DiscordAddress, DiscordThread, fit, with_note
from bot.buttons import FollowUpKind
from bot.errors import UserError
from bot.followups import FollowUps, Press
from bot.intake import START_FAILED
from bot.jobs import JSONValue, ThreadAddress

log = logging.getLogger(__name__)

STARTING = "⏳ Starting on more headshots…"
HELD_PRESS = "press"  # a press held for consent, pressed again (on the Agree press) when the person agrees


class DiscordFollowUps:
    """Answers follow-up presses for the core's `FollowUps`, posting new status messages in the job's thread."""

    def __init__(self, follow_ups: FollowUps, surface: DiscordThread, consent: DiscordConsent) -> None:
        self._follow_ups = follow_ups
        self._surface = surface
        self._consent = consent
        consent.resumers[HELD_PRESS] = self._resume

    async def press(
        self, interaction: discord.Interaction, kind: FollowUpKind, job_id: str, choice: str | None
    ) -> None:
        """Acknowledge the press at once, then check it and start its job, or say why not."""
        if not isinstance(interaction.user, discord.User | discord.Member):
            log.warning("refused a press that names no user")  # Discord always sends one
            return
        press = Press(kind, job_id, owner_key(interaction.user.id), choice)
        try:
            # Before anything else, so no store is slow enough to miss Discord's three seconds: "thinking",
            # to the presser alone. The status message pressed on stays as it is; the answer is where a
            # refusal goes (or, after a crash, the note that the job never started).
            await interaction.response.defer(thinking=True, ephemeral=True)
        except discord.HTTPException as exc:  # the interaction expired, or Discord is away
            log.warning("could not answer a press on job %s: %s", job_id[:8], exc.text)
            return
        try:
            job = await self._follow_ups.check(press)
            if not await self._consent.admits(press.presser, workspace_key(interaction.guild_id)):
                held: dict[str, JSONValue] = {"press": {"kind": kind.value, "job": job_id, "choice": choice}}
                await self._consent.ask(
                    interaction, press.presser, HELD_PRESS, held, workspace_key(interaction.guild_id), in_place=True
                )
                return
            status = _StatusInThread(self._surface, DiscordAddress.from_json(job.thread))
            await self._follow_ups.start(press, job, status, self._surface, reply=interrupted_reply(interaction))
        except UserError as exc:
            await _answer(interaction, str(exc))
        except Exception:
            log.exception("a Discord follow-up could not be started")
            await _answer(interaction, START_FAILED)
        else:
            await _answer(interaction, None)


    async def _resume(self, held: Mapping[str, JSONValue], interaction: discord.Interaction) -> None:
        """A press held for its person's consent, made again on their Agree press."""
        asked = cast(dict[str, JSONValue], held["press"])
        choice = asked.get("choice")
        await self.press(interaction, FollowUpKind(str(asked["kind"])), str(asked["job"]),
                         str(choice) if choice is not None else None)


async def _answer(interaction: discord.Interaction, text: str | None) -> None:
    """The deferred answer becomes the sentence, or goes once the job has started (its status says the rest)."""
    try:
        if text is None:
            await interaction.delete_original_response()
        else:
            await interaction.edit_original_response(content=fit(text))
    except discord.HTTPException:
        log.warning("could not finish the answer to interaction %s", interaction.id)


@dataclass(frozen=True)
class _StatusInThread:
    """`bot.chat.StatusOpener` for a follow-up: a new status message where the followed job's results went."""

    surface: DiscordThread
    address: DiscordAddress

    async def open(self, photo_count: int, *, private: bool) -> ThreadAddress:
        where = self.address.thread_id or self.address.channel_id
        channel = self.surface.client.get_partial_messageable(int(where))
        try:
            message = await channel.send(with_note(self.address.note, STARTING))
        except discord.HTTPException as exc:
            log.warning("could not post a follow-up's status in %s: %s", where, exc.text)
            raise UserError("I couldn't post in that thread any more, so I didn't start the job.") from None
        reply_to = None if self.address.thread_id else str(message.id)
        return replace(
            self.address, status_channel_id=where, status_message_id=str(message.id), reply_to=reply_to
        ).to_json()
