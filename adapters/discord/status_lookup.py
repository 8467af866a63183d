"""Status messages sent with their request's nonce, found again after a crash.

The process may die between Discord creating a status message and its id being written down.
Each status the bot sends itself (in a direct message, or in a followed job's thread) carries a
`nonce` made from the id its request was written down under, with `enforce_nonce`: within a few
minutes Discord answers a second message with that nonce with the first one instead. So the
next start sends the ending sentence with the same nonce and, if Discord hands back the old
status, edits it; later than that it looks through the channel's messages since the request.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime

import discord

from adapters.discord.surface import fit
from bot.jobs import PendingIntake

log = logging.getLogger(__name__)

# Discord keeps a nonce "for a few minutes"; past this the search is used instead of a second send.
NONCE_WINDOW_S = 120.0
SEARCHED = 50  # messages read after the request's time: a status comes within seconds of it
_CLOCK_SKEW_S = 5.0


def status_nonce(intake_id: str | None) -> str:
    """The `nonce` (Discord takes at most 25 characters) of the status message of request `intake_id`;
    a random one, as discord.py sends by itself, for a request that was not written down."""
    return intake_id[:25] if intake_id else secrets.token_hex(12)


async def end_status(
    client: discord.Client, channel_id: int, intake: PendingIntake, text: str, beginnings: tuple[str, ...]
) -> bool:
    """Set `text` on the status message the request may have sent into `channel_id`: the message Discord
    returns for the request's nonce, or else the bot's first unedited message there since the request
    that begins like a status (`beginnings`). False when there is none."""
    channel = client.get_partial_messageable(channel_id)
    text = fit(text)
    if time.time() - intake.created_at < NONCE_WINDOW_S:
        sent = await channel.send(text, nonce=status_nonce(intake.id))
        if sent.content != text:  # Discord answered with the status sent before the crash
            await sent.edit(content=text)
        return True
    since = datetime.fromtimestamp(intake.created_at - _CLOCK_SKEW_S, UTC)
    me = client.user.id if client.user is not None else client.application_id
    async for message in channel.history(limit=SEARCHED, after=discord.Object(id=discord.utils.time_snowflake(since))):
        if message.author.id == me and message.edited_at is None and message.content.startswith(beginnings):
            await message.edit(content=text)
            return True
    return False
