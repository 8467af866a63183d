"""The channel permissions the bot needs, and where a job's results can go with the ones it has.

Discord tells every interaction what the bot may do in that channel (`app_permissions`), so
the decision is made up front: a thread when possible, replies in the channel otherwise, and
a refusal that names the missing permissions when neither works.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.errors import UserError
from bot.i18n import Phrase, phrase, phrase_n, t, tn

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
    "view_channel": phrase("View Channel"),
    "send_messages": phrase("Send Messages"),
    "send_messages_in_threads": phrase("Send Messages in Threads"),
    "create_public_threads": phrase("Create Public Threads"),
    "attach_files": phrase("Attach Files"),
    "read_message_history": phrase("Read Message History"),
}
# Where a message can be posted but `Message.create_thread` is not possible.
_THREAD_TYPES = frozenset({discord.ChannelType.public_thread, discord.ChannelType.private_thread,
                           discord.ChannelType.news_thread})
_THREADABLE = frozenset({discord.ChannelType.text, discord.ChannelType.news})


class MissingPermissions(UserError):
    """The bot cannot deliver here; the message names the permissions an admin must grant."""


def label(name: str) -> Phrase:
    """A permission's name as Discord's settings show it."""
    return _LABELS.get(name) or Phrase("{name}", values={"name": name.replace("_", " ").title()})


def missing(have: discord.Permissions, *names: str) -> list[Phrase]:
    """The labels of the named permissions that `have` lacks."""
    return [label(name) for name in names if not getattr(have, name)]


@dataclass(frozen=True)
class Joined:
    """"A", "A and B", "A, B and C", said in the reader's language (a `bot.i18n.Sayable`)."""

    labels: tuple[Phrase, ...]

    def say(self, locale: str | None) -> str:
        """The labels joined."""
        said = [item.say(locale) for item in self.labels]
        if len(said) == 1:
            return said[0]
        return t(locale, "{first} and {last}", first=", ".join(said[:-1]), last=said[-1])


def joined(labels: list[Phrase]) -> Joined:
    """The labels as one list in words."""
    return Joined(tuple(labels))


def refusal(labels: list[Phrase], in_thread: bool = False) -> MissingPermissions:
    """The sentence for permissions that block delivery."""
    if in_thread:
        return MissingPermissions(phrase_n(
            "I can't post headshots in this thread: I'm missing the {labels} permission. A server admin can grant "
            "it to me in the channel or role settings.",
            "I can't post headshots in this thread: I'm missing the {labels} permissions. A server admin can grant "
            "them to me in the channel or role settings.", len(labels), labels=joined(labels),
        ))
    return MissingPermissions(phrase_n(
        "I can't post headshots in this channel: I'm missing the {labels} permission. A server admin can grant "
        "it to me in the channel or role settings.",
        "I can't post headshots in this channel: I'm missing the {labels} permissions. A server admin can grant "
        "them to me in the channel or role settings.", len(labels), labels=joined(labels),
    ))


@dataclass(frozen=True)
class Placement:
    """Where results go: a new thread, or replies in the channel (with the reason why)."""

    new_thread: bool
    reason: str | None = None


def plan_placement(
    channel_type: discord.ChannelType | None, has_guild: bool, have: discord.Permissions, locale: str | None = None
) -> Placement:
    """Decide between a thread and replies (the reason in `locale`, the place's language); raise
    `MissingPermissions` when neither can work."""
    if not has_guild or channel_type in (discord.ChannelType.private, discord.ChannelType.group):
        reason = t(locale, "Direct messages have no threads, so the results will follow here as replies.")
        return Placement(False, reason)
    if channel_type in _THREAD_TYPES:
        lacking = missing(have, "view_channel", "send_messages_in_threads", "attach_files", "read_message_history")
        if lacking:
            raise refusal(lacking, in_thread=True)
        return Placement(False, t(locale, "This is already a thread, so the results will follow here as replies."))
    base = missing(have, "view_channel", "attach_files", "read_message_history")
    if base:
        raise refusal(base)
    if channel_type not in _THREADABLE:
        reason = t(
            locale, "Threads can't be started in this kind of channel, so the results will follow here as replies."
        )
    else:
        lacking = missing(have, "create_public_threads", "send_messages_in_threads")
        if not lacking:
            return Placement(True)
        reason = tn(
            locale, "I can't start a thread here (I'm missing the {labels} permission), so the results will follow "
            "here as replies.", "I can't start a thread here (I'm missing the {labels} permissions), so the results "
            "will follow here as replies.", len(lacking), labels=joined(lacking),
        )
    if not have.send_messages:
        raise refusal([label("send_messages"), *missing(have, "create_public_threads", "send_messages_in_threads")])
    return Placement(False, reason)
