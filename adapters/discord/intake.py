"""From an interaction to an accepted job: defer, download, check, status message, thread.

Refusals before the job exists are ephemeral: either at once (permissions, sizes, no photos)
or, after the public "thinking" answer, by deleting that answer and sending an ephemeral
follow-up, so nothing public lingers. No provider is called for a refused request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

import discord

from adapters.discord.attachments import Attached, AttachedPhoto, AttachmentPhotos, check_sizes
from adapters.discord.consent import DiscordConsent
from adapters.discord.permissions import Placement, label, plan_placement, refusal
from adapters.discord.status_lookup import status_nonce
from adapters.discord.surface import (
    TOKEN_LIFETIME_S,
    DiscordAddress,
    DiscordThread,
    InteractionAnswer,
    fit,
    with_note,
)
from adapters.discord.translator import audience_locale, discord_locale
from bot.downloads import Downloader
from bot.errors import UserError
from bot.i18n import phrase, t
from bot.intake import START_FAILED, Ask, JobIntake
from bot.jobs import JSONValue, ThreadAddress
from bot.ports import DirectMessagesClosed
from bot.service import HeadshotService
from bot.work_queue import Answering

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Final = 1440
_THREAD_ALREADY_EXISTS = 160004  # Discord's code when the message already has a thread
_CANNOT_MESSAGE_USER = 50007  # the person allows no direct messages from the bot


def starting(locale: str | None) -> str:
    """The status message's first words."""
    return t(locale, "⏳ Starting your headshots…")


def answers_only(interaction: discord.Interaction) -> bool:
    """Whether the app can only answer here, not post: a server that did not add the bot (the person
    installed the app for themselves), or a group DM. In its own DMs with a person the bot posts as usual."""
    if interaction.context.dm_channel:
        return False
    return interaction.context.private_channel or not interaction.is_guild_integration()


OWNER_PREFIX = "discord:"  # every Discord owner key starts with it (a user is the same in every server)
HELD_COMMAND = "command"  # a command held for consent, run again on the Agree press
_MESSAGEABLE = (discord.TextChannel, discord.Thread, discord.VoiceChannel, discord.StageChannel, discord.DMChannel)


def owner_key(user_id: int) -> str:
    """The core's owner key for a Discord user."""
    return f"{OWNER_PREFIX}{user_id}"


def guild_workspace(guild_id: int | None) -> str | None:
    """The place a request was asked in, as the core names it: the server; None in a direct message."""
    return f"discord:{guild_id}" if guild_id else None


def interrupted_reply(
    interaction: discord.Interaction, *, private: bool = False, status_channel_id: str | None = None
) -> ThreadAddress:
    """Where to tell the person if their request is cut short: the deferred answer (via the
    interaction's token, good for 15 minutes), and who they are (for a direct message after that).

    A status the bot sends itself rather than as the answer is looked for after a crash: in the
    person's direct messages (`private`), or in `status_channel_id` (a followed job's thread)."""
    reply: dict[str, str | bool] = {
        "application_id": str(interaction.application_id),
        "token": interaction.token,
        "user_id": str(interaction.user.id),
        "channel_id": str(interaction.channel_id),
        "locale": discord_locale(interaction),
    }
    if private:
        reply["private"] = True
    if status_channel_id is not None:
        reply["status_channel_id"] = status_channel_id
    return reply


@dataclass(frozen=True)
class Deferred:
    """A request answered (deferred), as the work behind the answer goes on with it."""

    owner: str
    asker: str
    audience: str
    private: bool
    placement: Placement | None
    only_answers: bool


class DiscordIntake:
    """Discord's side of the core's intake: attachments become bytes, the command's answer becomes the status."""

    def __init__(
        self,
        intake: JobIntake,
        service: HeadshotService,
        downloader: Downloader,
        surface: DiscordThread,
        consent: DiscordConsent,
    ) -> None:
        self.intake = intake
        self.service = service
        self.downloader = downloader
        self.surface = surface
        self.consent = consent
        self.answering = Answering()  # the deferred answers under way, which the work behind them lets go first
        consent.resumers[HELD_COMMAND] = self._resume

    async def start_job(
        self,
        interaction: discord.Interaction,
        attachments: Sequence[Attached],
        values: Mapping[str, object],
        provider: str | None,
        anchor: discord.PartialMessage | None = None,
    ) -> None:
        """Make a job of the attachments; `anchor` is the message whose thread gets the results.

        A private request (asked for, or the person's saved default) is answered ephemerally and
        its status and results go to the person's direct messages. Someone who has not agreed to
        the consent terms is asked first (only they see it), and nothing is downloaded until they do.
        """
        with self.answering.one():
            answered = await self._answer(interaction, attachments, values)
        if answered is None:
            return
        owner, asker, audience, private = answered.owner, answered.asker, answered.audience, answered.private
        placement, only_answers = answered.placement, answered.only_answers
        # The work behind the answer waits for every answer under way (they share this loop), within limits.
        await self.answering.quiet()
        try:
            if not await self.consent.admits(owner, guild_workspace(interaction.guild_id)):
                held = _held(attachments, values, provider, anchor)
                await self.consent.ask(
                    interaction, owner, HELD_COMMAND, held, guild_workspace(interaction.guild_id),
                    in_place=bool(private),
                )
                return
        except UserError as exc:
            await self._refuse(interaction, str(exc))
            return
        ask = Ask(
            owner=owner, values={**values, "private": bool(private)}, provider=provider,
            workspace=guild_workspace(interaction.guild_id), locale=audience, asker_locale=asker,
        )
        photos = AttachmentPhotos(self.downloader, attachments, self.intake.max_photo_bytes)
        status = _StatusAnswer(self, interaction, anchor, placement, audience, only_answers)
        try:
            reply = interrupted_reply(interaction, private=bool(private))
            await self.intake.start(ask, photos, status, self.surface, reply=reply)
        except UserError as exc:
            await self._refuse(interaction, exc.say(asker))
        except Exception:
            log.exception("a Discord request could not be started")
            await self._refuse(interaction, START_FAILED.say(asker))

    async def _answer(
        self, interaction: discord.Interaction, attachments: Sequence[Attached], values: Mapping[str, object]
    ) -> Deferred | None:
        """Everything up to the deferred answer: None when the answer was a refusal."""
        if not isinstance(interaction.user, discord.User | discord.Member):
            log.warning("refused an interaction that names no user")  # Discord always sends one
            return None
        owner = owner_key(interaction.user.id)
        asker = discord_locale(interaction)
        private = values.get("private")
        if private is None:
            private = (await self.service.defaults(owner))[0].private
        only_answers = answers_only(interaction)
        # What everybody in the place reads speaks the place's language; what goes to the person alone, theirs.
        audience = asker if private or only_answers or interaction.guild_id is None else audience_locale(interaction)
        try:
            check_sizes(attachments, self.intake.max_photo_bytes)
            placement = None if private or only_answers else plan_placement(
                interaction.channel.type if interaction.channel else None,
                interaction.guild_id is not None,
                interaction.app_permissions,
                audience,
            )
        except UserError as exc:
            await interaction.response.send_message(fit(exc.say(asker)), ephemeral=True)
            return None
        # Within Discord's three seconds, before any download: the answer becomes the status (or, for a
        # private request, says where the status went).
        await interaction.response.defer(thinking=True, ephemeral=bool(private))
        return Deferred(owner, asker, audience, bool(private), placement, only_answers)

    async def _resume(self, held: Mapping[str, JSONValue], interaction: discord.Interaction) -> None:
        """A command held for its person's consent, run now that they agreed, on their Agree press."""
        try:
            photos = [AttachedPhoto.from_json(p) for p in cast(list[JSONValue], held.get("photos") or [])]
        except UserError as exc:
            await interaction.response.send_message(fit(str(exc)), ephemeral=True)
            return
        anchor, where, channel = None, held.get("anchor"), interaction.channel
        # The question was answered where it was asked: the anchor is in the press's own channel.
        if isinstance(where, dict) and isinstance(channel, _MESSAGEABLE) and str(channel.id) == where["channel_id"]:
            anchor = channel.get_partial_message(int(str(where["message_id"])))
        provider = held.get("provider")
        values = cast(dict[str, object], held.get("values") or {})
        await self.start_job(interaction, photos, values, str(provider) if provider else None, anchor)

    async def open_status(
        self, interaction: discord.Interaction, anchor: discord.PartialMessage | None, placement: Placement,
        locale: str,
    ) -> DiscordAddress:
        """Turn the deferred answer into the status message and start the results' thread."""
        await interaction.edit_original_response(content=with_note(placement.reason, starting(locale)))
        status = await interaction.original_response()
        thread_id, reason = await self._start_thread(interaction, anchor or status, placement, locale)
        return DiscordAddress(
            guild_id=str(interaction.guild_id) if interaction.guild_id else None,
            channel_id=str(interaction.channel_id),
            thread_id=thread_id,
            status_channel_id=str(interaction.channel_id),
            status_message_id=str(status.id),
            reply_to=None if thread_id else str((anchor or status).id),
            upload_limit=interaction.filesize_limit,
            note=reason,
            locale=locale,
        )

    async def open_answer_status(self, interaction: discord.Interaction, locale: str) -> DiscordAddress:
        """Where the app can only answer: the answer is the status, results follow it (`InteractionAnswer`)."""
        note = t(locale, "I'm not a member here, so I can only answer you: results that take longer than "
                 "15 minutes come to our direct messages instead.")
        await interaction.edit_original_response(content=with_note(note, starting(locale)))
        status = await interaction.original_response()
        answer = InteractionAnswer(
            application_id=str(interaction.application_id), token=interaction.token,
            expires_at=self.surface.clock() + TOKEN_LIFETIME_S, user_id=str(interaction.user.id),
        )
        return DiscordAddress(
            guild_id=str(interaction.guild_id) if interaction.guild_id else None,
            channel_id=str(interaction.channel_id), thread_id=None, status_channel_id=str(interaction.channel_id),
            status_message_id=str(status.id), reply_to=None, upload_limit=interaction.filesize_limit, note=note,
            locale=locale, answer=answer,
        )

    async def open_private_status(self, interaction: discord.Interaction, intake_id: str | None) -> DiscordAddress:
        """The status message in the person's direct messages (sent with the request's nonce, to be found
        after a crash); the (ephemeral) answer says it went there."""
        locale = discord_locale(interaction)
        try:
            dm = await interaction.user.create_dm()
            status = await dm.send(starting(locale), nonce=status_nonce(intake_id))
        except discord.HTTPException as exc:
            log.info("could not reach a person's direct messages: %s %s", exc.code, exc.text)
            if exc.code == _CANNOT_MESSAGE_USER or isinstance(exc, discord.Forbidden):
                raise DirectMessagesClosed(phrase(
                    "I can't send you direct messages (your privacy settings don't allow them from this server's "
                    "members), so I didn't start the job and posted nothing here. Allow direct messages from "
                    "server members, or leave out `private`."
                )) from None
            raise
        on_the_way = t(locale, "🔒 Your headshots are on their way to our direct messages.")
        await interaction.edit_original_response(content=on_the_way)
        return DiscordAddress(
            guild_id=None, channel_id=str(dm.id), thread_id=None, status_channel_id=str(dm.id),
            status_message_id=str(status.id), reply_to=str(status.id), upload_limit=None, note=None, locale=locale,
        )

    async def _start_thread(
        self, interaction: discord.Interaction, parent: discord.PartialMessage, placement: Placement, locale: str
    ) -> tuple[str | None, str | None]:
        """The new thread's id (None for replies) and the reason results are replies, if they are."""
        if not placement.new_thread:
            return None, placement.reason
        name = t(locale, "Headshots for {name}", name=interaction.user.display_name)[:100]
        try:
            thread = await parent.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.Forbidden:
            if not interaction.app_permissions.send_messages:
                raise refusal([label("create_public_threads"), label("send_messages")]) from None
            reason = t(
                locale, "Discord did not let me start a thread here (the {permission} permission), so the results "
                "will follow here as replies.", permission=label("create_public_threads"),
            )
            await interaction.edit_original_response(content=with_note(reason, starting(locale)))
            return None, reason
        except discord.HTTPException as exc:
            if exc.code == _THREAD_ALREADY_EXISTS:
                return str(parent.id), None  # a message's thread has the message's id
            raise
        return str(thread.id), None

    async def _refuse(self, interaction: discord.Interaction, text: str) -> None:
        """Remove the public answer and say why, to the user only."""
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.warning("could not remove the answer to interaction %s", interaction.id)
        try:
            await interaction.followup.send(fit(text), ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user why interaction %s was refused", interaction.id)


def _held(
    attachments: Sequence[Attached], values: Mapping[str, object], provider: str | None,
    anchor: discord.PartialMessage | None,
) -> dict[str, JSONValue]:
    """A command as it is held for consent: its attachments' links (never their bytes), options, anchor."""
    photos: list[JSONValue] = [
        dict(AttachedPhoto.of(a).to_json() if isinstance(a, discord.Attachment) else a.to_json()) for a in attachments
    ]
    return {
        "photos": photos,
        "values": {k: v for k, v in values.items() if v is None or isinstance(v, str | int | float | bool)},
        "provider": provider,
        "anchor": {"channel_id": str(anchor.channel.id), "message_id": str(anchor.id)} if anchor else None,
    }


@dataclass(frozen=True)
class _StatusAnswer:
    """`bot.ports.StatusOpener`: the command's public answer is the status message."""

    discord_intake: DiscordIntake
    interaction: discord.Interaction
    anchor: discord.PartialMessage | None
    placement: Placement | None  # None for a private request, and where the app can only answer
    locale: str  # the language of the place's posts
    only_answers: bool = False

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        if private:
            return (await self.discord_intake.open_private_status(self.interaction, intake_id)).to_json()
        if self.only_answers or self.placement is None:
            return (await self.discord_intake.open_answer_status(self.interaction, self.locale)).to_json()
        address = await self.discord_intake.open_status(self.interaction, self.anchor, self.placement, self.locale)
        return address.to_json()
