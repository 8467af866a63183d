"""Presses on Discord's follow-up components (`adapters.discord.buttons`): deferred at once (ephemeral), then
checked; the answer becomes the refusal, or goes once the new job has started in the thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import cast

import discord

from adapters.discord.consent import DiscordConsent
from adapters.discord.intake import guild_workspace, interrupted_reply, owner_key
from adapters.discord.status_lookup import status_nonce
from adapters.discord.surface import TOKEN_LIFETIME_S, DiscordAddress, DiscordThread, InteractionAnswer, fit, with_note
from adapters.discord.translator import discord_locale
from bot.buttons import FollowUpKind
from bot.errors import UserError
from bot.followups import FollowUps, Press
from bot.i18n import phrase, t
from bot.intake import START_FAILED
from bot.jobs import JSONValue, ThreadAddress

log = logging.getLogger(__name__)

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
        locale = discord_locale(interaction)
        press = Press(kind, job_id, owner_key(interaction.user.id), choice, locale)
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
            if not await self._consent.admits(press.presser, guild_workspace(interaction.guild_id)):
                held: dict[str, JSONValue] = {"press": {"kind": kind.value, "job": job_id, "choice": choice}}
                await self._consent.ask(
                    interaction, press.presser, HELD_PRESS, held, guild_workspace(interaction.guild_id), in_place=True
                )
                return
            address = DiscordAddress.from_json(job.thread)
            status = _StatusInThread(self._surface, address, interaction)
            reply = interrupted_reply(interaction, status_channel_id=address.thread_id or address.channel_id)
            await self._follow_ups.start(press, job, status, self._surface, reply=reply)
            if status.kept:
                return
        except UserError as exc:
            await _answer(interaction, exc.say(locale))
        except Exception:
            log.exception("a Discord follow-up could not be started")
            await _answer(interaction, START_FAILED.say(locale))
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
    """`bot.ports.StatusOpener` for a follow-up: a new status message where the followed job's results went."""

    surface: DiscordThread
    address: DiscordAddress
    interaction: discord.Interaction  # the press: where the app can only answer, its answer is the new status
    kept: list[bool] = field(default_factory=list)  # not empty once the press's answer became the status

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        text = with_note(self.address.note, t(self.address.locale, "⏳ Starting on more headshots…"))
        if self.address.answer is not None:
            return (await self._answer_status(text)).to_json()
        where = self.address.thread_id or self.address.channel_id
        channel = self.surface.client.get_partial_messageable(int(where))
        try:
            message = await channel.send(text, nonce=status_nonce(intake_id))
        except discord.HTTPException as exc:
            log.warning("could not post a follow-up's status in %s: %s", where, exc.text)
            raise UserError(phrase("I couldn't post in that thread any more, so I didn't start the job.")) from None
        reply_to = None if self.address.thread_id else str(message.id)
        return replace(
            self.address, status_channel_id=where, status_message_id=str(message.id), reply_to=reply_to
        ).to_json()

    async def _answer_status(self, text: str) -> DiscordAddress:
        """Where the app can only answer, the press's own (deferred, private) answer is the new job's status,
        its results follow-ups to the press."""
        press = self.interaction
        await press.edit_original_response(content=text)
        message = await press.original_response()
        self.kept.append(True)
        answer = InteractionAnswer(
            application_id=str(press.application_id), token=press.token,
            expires_at=self.surface.clock() + TOKEN_LIFETIME_S, user_id=str(press.user.id),
        )
        return replace(self.address, status_message_id=str(message.id), answer=answer)
