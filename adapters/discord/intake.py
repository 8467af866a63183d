"""From an interaction to an accepted job: defer, download, check, status message, thread.

Refusals before the job exists are ephemeral: either at once (permissions, sizes, no photos)
or, after the public "thinking" answer, by deleting that answer and sending an ephemeral
follow-up, so nothing public lingers. No provider is called for a refused request.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import discord

from adapters.discord.attachments import check_sizes, download_photos
from adapters.discord.permissions import Placement, label, plan_placement, refusal
from adapters.discord.surface import DiscordAddress, DiscordThread, with_note
from bot.downloads import Downloader
from bot.errors import UserError
from bot.options import Options
from bot.request import HeadshotRequest
from bot.service import HeadshotService

log = logging.getLogger(__name__)

SURFACE = "discord"
THREAD_ARCHIVE_MINUTES: Final = 1440
_THREAD_ALREADY_EXISTS = 160004  # Discord's code when the message already has a thread
STARTING = "⏳ Starting your headshots…"
OOPS = "Something went wrong on my side before your job could start; please try again."


def owner_key(user_id: int) -> str:
    """The core's owner key for a Discord user."""
    return f"discord:{user_id}"


class Intake:
    """Turns `/headshot` and "Make headshots" into jobs, or into a clear refusal."""

    def __init__(self, service: HeadshotService, downloader: Downloader, surface: DiscordThread) -> None:
        self.service = service
        self.downloader = downloader
        self.surface = surface

    async def start_job(
        self,
        interaction: discord.Interaction,
        attachments: Sequence[discord.Attachment],
        values: dict[str, Any],
        provider: str | None,
        anchor: discord.Message | None = None,
    ) -> None:
        """Make a job of the attachments; `anchor` is the message whose thread gets the results."""
        try:
            placement = plan_placement(
                interaction.channel.type if interaction.channel else None,
                interaction.guild_id is not None,
                interaction.app_permissions,
            )
            check_sizes(attachments, self.service.max_photo_bytes)
        except UserError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        # Within Discord's three seconds, before any download: the public answer becomes the status.
        await interaction.response.defer(thinking=True)
        try:
            await self._accept(interaction, attachments, values, provider, anchor, placement)
        except UserError as exc:
            await self._refuse(interaction, str(exc))
        except Exception:
            log.exception("a Discord request could not be started")
            await self._refuse(interaction, OOPS)

    async def _accept(
        self,
        interaction: discord.Interaction,
        attachments: Sequence[discord.Attachment],
        values: dict[str, Any],
        provider: str | None,
        anchor: discord.Message | None,
        placement: Placement,
    ) -> None:
        owner = owner_key(interaction.user.id)
        saved, saved_provider = await self.service.defaults(owner)
        options = Options.from_dict(values, base=saved)
        async with self.service.room(owner):
            photos = await download_photos(self.service, self.downloader, attachments)
            request = self.service.build_request(photos, options, provider or saved_provider)
            await self._announce_and_accept(interaction, request, owner, anchor, placement)

    async def _announce_and_accept(
        self,
        interaction: discord.Interaction,
        request: HeadshotRequest,
        owner: str,
        anchor: discord.Message | None,
        placement: Placement,
    ) -> None:

        await interaction.edit_original_response(content=with_note(placement.reason, STARTING))
        status = await interaction.original_response()
        thread_id, reason = await self._start_thread(interaction, anchor or status, placement)
        address = DiscordAddress(
            guild_id=str(interaction.guild_id) if interaction.guild_id else None,
            channel_id=str(interaction.channel_id),
            thread_id=thread_id,
            status_channel_id=str(interaction.channel_id),
            status_message_id=str(status.id),
            reply_to=None if thread_id else str((anchor or status).id),
            upload_limit=interaction.filesize_limit,
            note=reason,
        )
        job = await self.service.accept(request, owner=owner, surface=SURFACE, thread=address.to_json())
        try:
            await self.surface.show_status(address, self.service.status_of(job))
        except Exception:  # the job is accepted: its next status update tries again
            log.warning("job %s: could not show its first status", job.short_id, exc_info=True)

    async def _start_thread(
        self, interaction: discord.Interaction, parent: discord.Message, placement: Placement
    ) -> tuple[str | None, str | None]:
        """The new thread's id (None for replies) and the reason results are replies, if they are."""
        if not placement.new_thread:
            return None, placement.reason
        name = f"Headshots for {interaction.user.display_name}"[:100]
        try:
            thread = await parent.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.Forbidden:
            if not interaction.app_permissions.send_messages:
                raise refusal([label("create_public_threads"), label("send_messages")]) from None
            reason = (
                f"Discord did not let me start a thread here (the {label('create_public_threads')} permission), "
                "so the results will follow here as replies."
            )
            await interaction.edit_original_response(content=with_note(reason, STARTING))
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
            await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user why interaction %s was refused", interaction.id)
