"""The Discord chat surface: status edits and keyed posts, always with the bot token.

An interaction's token dies 15 minutes after the command, and some providers deliver hours
later, so nothing here uses it: every call is a plain channel REST call made as the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import discord

from adapters.discord.buttons import status_view
from adapters.discord.links import link_view
from adapters.discord.permissions import joined, label
from bot.delivery import plan_batches
from bot.i18n import t
from bot.jobs import ThreadAddress
from bot.ports import Button, Link, OutgoingFile

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 10
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024  # per message for a server without boosts, since January 2025
MAX_CONTENT = 2000
# An app not in the server may send this many follow-ups to one interaction.
MAX_FOLLOW_UPS = 5
TOKEN_LIFETIME_S = 15 * 60.0
TOKEN_MARGIN_S = 60.0  # the answer is opened a few seconds after the command; the token dies 15 min after it
HISTORY_LIMIT = 300  # three pages of history: enough to reach a job's own recent posts
SEND_ATTEMPTS = 3


def _id(value: object) -> str | None:
    return str(value) if value is not None else None


@dataclass(frozen=True)
class InteractionAnswer:
    """A command's answer as the app can reach it without being in the place: its interaction token (good
    for 15 minutes, and for at most `MAX_FOLLOW_UPS` follow-ups), and whom to message after that."""

    application_id: str
    token: str
    expires_at: float
    user_id: str

    @classmethod
    def from_json(cls, stored: Mapping[str, object]) -> InteractionAnswer:
        """The answer read back."""
        expires = stored.get("expires_at")
        return cls(
            application_id=str(stored["application_id"]), token=str(stored["token"]),
            expires_at=float(expires) if isinstance(expires, int | float | str) else 0.0,
            user_id=str(stored["user_id"]),
        )

    def live(self, now: float | None = None) -> bool:
        """Whether the token still works (a little margin before Discord's 15 minutes end)."""
        return (time.time() if now is None else now) < self.expires_at - TOKEN_MARGIN_S


@dataclass(frozen=True)
class DiscordAddress:
    """Where a job lives on Discord; ids are strings.

    Results go to `thread_id`, or, when no thread could be started, to `channel_id` as replies
    to `reply_to`; `note` says why and stays under the status text. `upload_limit` is the
    channel's bytes per message, as the interaction reported it; `locale` the language of what
    is posted there.

    Where the bot itself cannot post (a server that did not add it, a group DM: the app is
    installed by the person), `answer` is the command's answer to reach through its interaction
    token: the status is that answer, results are follow-ups to it while the token lives, and
    whatever comes later goes to the person's direct messages with the bot.
    """

    guild_id: str | None
    channel_id: str
    thread_id: str | None
    status_channel_id: str
    status_message_id: str
    reply_to: str | None
    upload_limit: int | None
    note: str | None
    locale: str | None = None
    answer: InteractionAnswer | None = None

    def to_json(self) -> ThreadAddress:
        """The address as the core stores it."""
        return asdict(self)

    @classmethod
    def from_json(cls, stored: ThreadAddress) -> DiscordAddress:
        """The address read back from a job."""
        limit = stored.get("upload_limit")
        return cls(
            guild_id=_id(stored.get("guild_id")),
            channel_id=str(stored["channel_id"]),
            thread_id=_id(stored.get("thread_id")),
            status_channel_id=str(stored["status_channel_id"]),
            status_message_id=str(stored["status_message_id"]),
            reply_to=_id(stored.get("reply_to")),
            upload_limit=int(limit) if isinstance(limit, int | float | str) and limit else None,
            note=_id(stored.get("note")),
            locale=_id(stored.get("locale")),
            answer=InteractionAnswer.from_json(answer) if isinstance(answer := stored.get("answer"), dict) else None,
        )


def with_note(note: str | None, text: str) -> str:
    """The status text with the thread's standing note (why results are replies) under it."""
    return fit(f"{text}\n{note}" if note else text)


def fit(text: str, keep_end: str = "") -> str:
    """Text within Discord's message length, keeping `keep_end` (the delivery key) intact."""
    if len(text) <= MAX_CONTENT:
        return text
    if keep_end and text.endswith(keep_end):
        head = text[: MAX_CONTENT - len(keep_end) - 4].rstrip()
        return f"{head} … {keep_end}"
    return text[: MAX_CONTENT - 1] + "…"


def split_by_bytes(files: Sequence[OutgoingFile], limit: int) -> tuple[list[list[OutgoingFile]], list[OutgoingFile]]:
    """Groups of files that each fit in one message, and the files too large for any message."""
    fitting = [item for item in files if item.size <= limit]
    too_large = [item for item in files if item.size > limit]
    return plan_batches(fitting, MAX_FILES_PER_MESSAGE, limit), too_large


_SPLIT = re.compile(r" · message (\d+)/(\d+)$")


def message_key(key: str, number: int, total: int) -> str:
    """The key of message `number` of `total` that one keyed part was split into."""
    return f"{key} · message {number}/{total}"


def _ends_with(key: str) -> Callable[[discord.Message], bool]:
    return lambda message: message.content.endswith(key)


class DiscordThread:
    """Posts into a job's Discord thread (or channel) for the core (`bot.ports.ChatSurface`)."""

    name = "discord"
    max_files_per_post = MAX_FILES_PER_MESSAGE
    # One value for every thread: the smallest upload limit a channel can have. A channel's own
    # (larger or smaller) limit is kept in the thread address and `post` splits by it again.
    max_bytes_per_post = DEFAULT_UPLOAD_LIMIT

    def __init__(
        self, client: discord.Client, *, retry_delay: float = 1.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.client = client
        self.retry_delay = retry_delay
        self.clock = clock

    def _target(self, thread: DiscordAddress) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(thread.thread_id or thread.channel_id))

    async def set_status(self, thread: ThreadAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """Edit the job's status message (the command's public answer) as the bot."""
        await self.show_status(DiscordAddress.from_json(thread), text, buttons)

    def post_limit(self, thread: ThreadAddress) -> int | None:
        """How many posts one job may make where it lives: an app not in the place has a few follow-ups."""
        return MAX_FOLLOW_UPS if DiscordAddress.from_json(thread).answer is not None else None

    async def show_status(self, address: DiscordAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """Edit a status message, its standing note kept under the text and its buttons as components."""
        if address.answer is not None:
            await self._edit_answer(address.answer, with_note(address.note, text), status_view(buttons))
            return
        await self._edit_status(address, with_note(address.note, text), status_view(buttons))

    async def _edit_answer(self, answer: InteractionAnswer, content: str, view: discord.ui.View | None) -> None:
        """Edit the command's answer through its token; after 15 minutes nothing can (the results still
        arrive, by direct message)."""
        if not answer.live(self.clock()):
            log.info("a status can no longer be edited: its interaction token has expired")
            return
        route = discord.http.Route(
            "PATCH", "/webhooks/{application_id}/{token}/messages/@original",
            application_id=answer.application_id, token=answer.token,
        )
        body: dict[str, object] = {"content": content, "allowed_mentions": {"parse": []}}
        if view is not None:
            body["components"] = view.to_components()
        await self.client.http.request(route, json=body)

    async def _edit_status(self, thread: DiscordAddress, content: str, view: discord.ui.View | None = None) -> None:
        channel = self.client.get_partial_messageable(int(thread.status_channel_id))
        message = channel.get_partial_message(int(thread.status_message_id))
        if view is None:
            await message.edit(content=content)  # buttons it already has stay
        else:
            await message.edit(content=content, view=view)

    async def post(
        self, stored: ThreadAddress, text: str, files: Sequence[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        """Send `text` and `files` as one message, or several when the channel's upload limit needs it;
        the links are buttons under the last one."""
        thread = await self._reachable(DiscordAddress.from_json(stored))
        limit = min(thread.upload_limit or DEFAULT_UPLOAD_LIMIT, self.max_bytes_per_post)
        groups, too_large = split_by_bytes(files, limit)
        if too_large:
            names = ", ".join(f"{f.name} ({f.size / 1_048_576:.1f} MB)" for f in too_large)
            too = t(thread.locale, "too large for this channel: {names}", names=names)
            text = f"{text.removesuffix(key).rstrip(' ·')} · {too} · {key}"
        view = link_view(links)
        if len(groups) <= 1:
            await self._send(thread, fit(text, key), groups[0] if groups else [], view)
            return
        # Each message of a split part carries its own key, so a crash between two of them costs
        # only the missing ones: they are looked for in the thread before each is sent.
        target = self._target(thread)
        head = text.removesuffix(key).rstrip(" ·")
        for number, group in enumerate(groups, start=1):
            own = message_key(key, number, len(groups))
            if await self._in_history(target, _ends_with(own)):
                continue
            await self._send(thread, fit(f"{head} · {own}", own), group, view if number == len(groups) else None)

    async def _reachable(self, thread: DiscordAddress) -> DiscordAddress:
        """Where a post can go now: a job whose answer's token has expired is delivered in the person's direct
        messages with the bot."""
        if thread.answer is None or thread.answer.live(self.clock()):
            return thread
        dm = await self.client.create_dm(discord.Object(id=int(thread.answer.user_id)))
        return replace(thread, guild_id=None, channel_id=str(dm.id), thread_id=None, reply_to=None, answer=None)

    async def _send(
        self, thread: DiscordAddress, content: str, files: list[OutgoingFile], view: discord.ui.View | None
    ) -> None:
        async with AsyncExitStack() as stack:
            paths = [await stack.enter_async_context(item.local_file()) for item in files]
            named = list(zip(paths, (item.name for item in files), strict=True))
            await self._send_files(thread, content, named, view)

    async def _send_files(
        self, thread: DiscordAddress, content: str, files: list[tuple[Path, str]], view: discord.ui.View | None
    ) -> None:
        if thread.answer is not None:
            await self._follow_up(thread.answer, content, files, view)
            return
        channel = self._target(thread)
        reference = (
            discord.MessageReference(message_id=int(thread.reply_to), channel_id=channel.id, fail_if_not_exists=False)
            if thread.reply_to and not thread.thread_id
            else None
        )
        for attempt in range(1, SEND_ATTEMPTS + 1):
            # discord.File opens the file and is closed after each attempt: make them afresh.
            uploads = [discord.File(path, filename=name) for path, name in files]
            try:
                await channel.send(
                    content, files=uploads, reference=reference, view=view,  # type: ignore[arg-type]
                    allowed_mentions=discord.AllowedMentions.none(), mention_author=False,
                )
                return
            except discord.Forbidden as exc:
                await self._report_forbidden(thread, exc)
                raise
            except discord.DiscordServerError:
                # discord.py already retried 500/502/504; a server error may still have created the message.
                if attempt == SEND_ATTEMPTS:
                    raise
                await asyncio.sleep(self.retry_delay * attempt)
                if await self._in_history(channel, lambda message: message.content == content):
                    return
            finally:
                for upload in uploads:
                    upload.close()

    async def _follow_up(
        self, answer: InteractionAnswer, content: str, files: list[tuple[Path, str]], view: discord.ui.View | None
    ) -> None:
        """A follow-up to the command's answer: where the app may answer but not post."""
        webhook = discord.Webhook.partial(int(answer.application_id), answer.token, client=self.client)
        uploads = [discord.File(path, filename=name) for path, name in files]
        try:
            await webhook.send(
                content, files=uploads, view=view or discord.utils.MISSING, wait=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        finally:
            for upload in uploads:
                upload.close()

    async def _report_forbidden(self, thread: DiscordAddress, exc: discord.Forbidden) -> None:
        """Name the permissions a refused post needs, on the status message, so nobody waits in silence."""
        send = label("send_messages_in_threads" if thread.thread_id else "send_messages")
        needed = joined([send, label("attach_files"), label("read_message_history")])
        text = t(
            thread.locale, "⚠️ Discord refused my post here ({reason}). I need the {labels} permissions in this "
            "channel; a server admin can grant them, and I'll keep trying for a few minutes.",
            reason=exc.text or "Missing Permissions", labels=needed,
        )
        try:
            await self._edit_status(thread, fit(text))
        except discord.HTTPException:
            log.warning("could not tell channel %s about a missing permission", thread.channel_id)

    async def was_posted(self, thread: ThreadAddress, key: str) -> bool:
        """Whether the bot's messages in the thread (its latest few pages) carry `key`: in one
        message, or in every message of a part that had to be split."""
        address = DiscordAddress.from_json(thread)
        if address.answer is not None:
            if address.answer.live(self.clock()):
                return False  # an app not in the place cannot read it: a possible repeat beats no delivery
            address = await self._reachable(address)
        target = self._target(address)
        found: set[str] = set()

        def carries(message: discord.Message) -> bool:
            if message.content.endswith(key):
                return True
            split = _SPLIT.search(message.content)
            if split and message.content[: split.start()].endswith(key):
                found.add(split.group(0))
                return len(found) == int(split.group(2))
            return False

        return await self._in_history(target, carries)

    async def _in_history(self, channel: discord.PartialMessageable, match: Callable[[discord.Message], bool]) -> bool:
        me = self.client.user.id if self.client.user else None
        try:
            async for message in channel.history(limit=HISTORY_LIMIT):
                if message.author.id == me and match(message):
                    return True
        except (discord.Forbidden, discord.NotFound) as exc:
            # Unreadable history: a possible duplicate beats no delivery at all.
            log.warning("could not read the history of channel %s: %s", channel.id, exc.text)
        return False
