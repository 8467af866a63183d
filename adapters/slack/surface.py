"""The Slack chat surface: status message updates and keyed posts into a job's thread.

Every call for a thread carries the token of the thread's workspace, looked up when the call
is made (a late delivery hours later uses the token the workspace has then).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.buttons import status_blocks
from adapters.slack.files import SlackFileTransfer
from adapters.slack.links import link_blocks
from adapters.slack.text import message_text
from adapters.slack.web_api import posting_client
from bot.jobs import ThreadAddress
from bot.ports import Button, Link, OutgoingFile

if TYPE_CHECKING:
    from adapters.slack.workspaces import Workspaces

log = logging.getLogger(__name__)

MAX_FILES_PER_POST = 10  # more than ~14 files in one completeUploadExternal call fail
MAX_BYTES_PER_POST = 100 * 1024 * 1024
REPLIES_PAGE = 200


@dataclass(frozen=True)
class SlackAddress:
    """Where a job lives in Slack: its workspace and channel, the thread's parent message, and the
    status message.

    `note` is a standing line shown above the status (why the results go to a direct message).
    `team` is None only for addresses stored before it was recorded (single-workspace mode).
    """

    channel: str
    thread_ts: str
    status_ts: str
    note: str | None = None
    team: str | None = None

    def to_json(self) -> ThreadAddress:
        """The address as the core stores it."""
        stored: dict[str, str] = {"channel": self.channel, "thread_ts": self.thread_ts, "status_ts": self.status_ts}
        if self.note:
            stored["note"] = self.note
        if self.team:
            stored["team"] = self.team
        return stored

    @classmethod
    def from_json(cls, stored: ThreadAddress) -> SlackAddress:
        """The address read back from a job."""
        note, team = stored.get("note"), stored.get("team")
        return cls(
            channel=str(stored["channel"]),
            thread_ts=str(stored["thread_ts"]),
            status_ts=str(stored["status_ts"]),
            note=str(note) if note else None,
            team=str(team) if team else None,
        )


def status_with_note(thread: SlackAddress, text: str) -> str:
    """The status text after the thread's standing note (why it is in a DM), if it has one."""
    return f"{thread.note}\n{text}" if thread.note else text


class SlackThread:
    """Posts into a Slack thread for the core (`bot.ports.ChatSurface`)."""

    name = "slack"
    max_files_per_post = MAX_FILES_PER_POST
    max_bytes_per_post = MAX_BYTES_PER_POST

    def __init__(self, workspaces: Workspaces, transfer: SlackFileTransfer, *, profile_photos: bool = False) -> None:
        self.workspaces = workspaces
        self.transfer = transfer
        self.profile_photos = profile_photos  # whether "Set as my Slack photo" is offered under results

    async def set_status(self, thread: ThreadAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """Edit the job's status message."""
        await self.show_status(SlackAddress.from_json(thread), text, buttons)

    async def show_status(self, address: SlackAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """Edit a status message, its standing note kept above the text and its buttons under it."""
        text = status_with_note(address, message_text(text))
        client = await self.workspaces.client(address.team)
        # Without buttons the message keeps the ones it has.
        blocks = status_blocks(text, buttons, profile_photos=self.profile_photos) or None
        await client.chat_update(channel=address.channel, ts=address.status_ts, text=text, blocks=blocks)

    async def post(
        self, thread: ThreadAddress, text: str, files: Sequence[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        """A reply in the thread; a batch's files are uploaded side by side, then shared in one message.

        A file share cannot carry buttons, so links on a post with files follow in a message of their own.
        """
        address = SlackAddress.from_json(thread)
        client = await self.workspaces.client(address.team)
        posting = posting_client(client)
        text = message_text(text, keep_end=key)
        if files:
            await self._share(client, posting, address, text, files)
        if links or not files:
            await posting.chat_postMessage(
                channel=address.channel, thread_ts=address.thread_ts, text=text,
                blocks=link_blocks(text, links) or None, unfurl_links=False, unfurl_media=False,
            )

    async def _share(
        self, client: AsyncWebClient, posting: AsyncWebClient, address: SlackAddress, text: str,
        files: Sequence[OutgoingFile],
    ) -> None:
        """Upload the files side by side, then share them in the thread with `text` as their comment."""

        async def upload(item: OutgoingFile) -> dict[str, str | None]:
            ticket = await client.files_getUploadURLExternal(filename=item.name, length=item.size)
            await self.transfer.upload(str(ticket["upload_url"]), item)
            return {"id": str(ticket["file_id"]), "title": item.name}

        uploaded = list(await asyncio.gather(*(upload(item) for item in files)))  # gather keeps the order
        await posting.files_completeUploadExternal(
            files=uploaded,
            channel_id=address.channel,
            thread_ts=address.thread_ts,
            initial_comment=text,
        )

    def post_limit(self, thread: ThreadAddress) -> int | None:
        """A Slack thread takes every post."""
        return None

    async def was_posted(self, thread: ThreadAddress, key: str) -> bool:
        """Whether any message of the thread carries `key` (a shared file's comment is its text)."""
        address = SlackAddress.from_json(thread)
        client = await self.workspaces.client(address.team)
        cursor: str | None = None
        while True:
            try:
                page = await client.conversations_replies(
                    channel=address.channel, ts=address.thread_ts, cursor=cursor, limit=REPLIES_PAGE
                )
            except SlackApiError as exc:
                if exc.response.status_code == 429 or exc.response.status_code >= 500:
                    raise  # transient: the engine tries the step again later
                # Unreadable history (a missing scope, a vanished thread): a possible duplicate beats no delivery.
                log.warning("could not read thread %s: %s", address.thread_ts, exc.response.get("error"))
                return False
            if any(key in str(message.get("text", "")) for message in page.get("messages") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
