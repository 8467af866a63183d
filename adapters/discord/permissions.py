"""The channel permissions the bot needs, and where a job's results can go with the ones it has.

Discord tells every interaction what the bot may do in that channel (`app_permissions`), so
the decision is made up front: a thread when possible, replies in the channel otherwise, and
a refusal that names the missing permissions when neither works.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.errors import UserError

# Exactly what delivery uses: read history to find earlier posts after a crash (and to reply).
NEEDED = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    attach_files=True,
    read_message_history=True,
)

_LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "create_public_threads": "Create Public Threads",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
}
# Where a message can be posted but `Message.create_thread` is not possible.
_THREAD_TYPES = frozenset({discord.ChannelType.public_thread, discord.ChannelType.private_thread,
                           discord.ChannelType.news_thread})
_THREADABLE = frozenset({discord.ChannelType.text, discord.ChannelType.news})


class MissingPermissions(UserError):
    """The bot cannot deliver here; the message names the permissions an admin must grant."""


def label(name: str) -> str:
    """A permission's name as Discord's settings show it."""
    return _LABELS.get(name, name.replace("_", " ").title())


def missing(have: discord.Permissions, *names: str) -> list[str]:
    """The labels of the named permissions that `have` lacks."""
    return [label(name) for name in names if not getattr(have, name)]


def joined(labels: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def refusal(labels: list[str], where: str = "this channel") -> MissingPermissions:
    """The sentence for permissions that block delivery."""
    noun = "permission" if len(labels) == 1 else "permissions"
    return MissingPermissions(
        f"I can't post headshots in {where}: I'm missing the {joined(labels)} {noun}. "
        "A server admin can grant them to me in the channel or role settings."
    )


@dataclass(frozen=True)
class Placement:
    """Where results go: a new thread, or replies in the channel (with the reason why)."""

    new_thread: bool
    reason: str | None = None


def plan_placement(
    channel_type: discord.ChannelType | None, has_guild: bool, have: discord.Permissions
) -> Placement:
    """Decide between a thread and replies; raise `MissingPermissions` when neither can work."""
    if not has_guild or channel_type in (discord.ChannelType.private, discord.ChannelType.group):
        return Placement(False, "Direct messages have no threads, so the results will follow here as replies.")
    if channel_type in _THREAD_TYPES:
        lacking = missing(have, "view_channel", "send_messages_in_threads", "attach_files", "read_message_history")
        if lacking:
            raise refusal(lacking, "this thread")
        return Placement(False, "This is already a thread, so the results will follow here as replies.")
    base = missing(have, "view_channel", "attach_files", "read_message_history")
    if base:
        raise refusal(base)
    if channel_type not in _THREADABLE:
        reason = "Threads can't be started in this kind of channel, so the results will follow here as replies."
    else:
        lacking = missing(have, "create_public_threads", "send_messages_in_threads")
        if not lacking:
            return Placement(True)
        noun = "permission" if len(lacking) == 1 else "permissions"
        reason = (
            f"I can't start a thread here (I'm missing the {joined(lacking)} {noun}), "
            "so the results will follow here as replies."
        )
    if not have.send_messages:
        raise refusal([label("send_messages"), *missing(have, "create_public_threads", "send_messages_in_threads")])
    return Placement(False, reason)
