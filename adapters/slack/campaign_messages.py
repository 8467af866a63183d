"""A campaign's direct messages on Slack (`bot.chat.CampaignMessenger`).

Each message opens the person's conversation with the bot (`conversations.open`) and posts there
(`chat.postMessage`), carrying its key in the message's `metadata`, where `conversations.history`
(`include_all_metadata`) finds it again after a crash. The post is not retried here: a 429 goes
back to the worker, which waits `Retry-After` before the workspace's next message, and any other
failure leaves the step to be looked for before it is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.text import message_text
from bot.jobs import ThreadAddress
from bot.ports import CampaignMessage, RateLimited, Unreachable

if TYPE_CHECKING:
    from adapters.slack.workspaces import Workspaces

log = logging.getLogger(__name__)

OPEN_ACTION = "headshot_campaign_open"
METADATA_EVENT = "headshot_campaign"
# chat.postMessage takes about one message a second per conversation, with workspace-wide bursts
# limited; conversations.open is Tier 3 (50+ a minute). 1.2 s between invitations honours both.
MIN_INTERVAL_S = 1.2
HISTORY_LOOKED_AT = 100
# Answers that mean this person will never get a direct message from the bot.
_UNREACHABLE = frozenset(
    {
        "user_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "account_inactive",
        "user_not_visible",
        "messages_tab_disabled",
        "is_archived",
        "channel_not_found",
    }
)


def message_blocks(message: CampaignMessage) -> list[dict[str, Any]]:
    """The message's words and its one button, which opens the ordinary request form."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": message_text(message.text)}},
        {
            "type": "actions",
            "block_id": "headshot_campaign",
            "elements": [
                {
                    "type": "button",
                    "action_id": OPEN_ACTION,
                    "style": "primary",
                    "value": message.campaign_id,
                    "text": {"type": "plain_text", "text": message.button[:75]},
                }
            ],
        },
    ]


class SlackCampaignMessenger:
    """Direct messages from the bot to each person of a campaign, in that person's workspace."""

    min_interval_s = MIN_INTERVAL_S

    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces

    async def _conversation(self, person: ThreadAddress) -> tuple[AsyncWebClient, str]:
        client = await self._workspaces.client(str(person["team"]))
        try:
            answer = await client.conversations_open(users=str(person["user"]))
        except SlackApiError as exc:
            raise self._refusal(exc) from None
        return client, str(answer["channel"]["id"])

    async def send(
        self, person: ThreadAddress, message: CampaignMessage, ready: Callable[[], Awaitable[None]]
    ) -> None:
        """Post the message in the person's conversation with the bot, once `ready()` says it may go."""
        client, channel = await self._conversation(person)
        await ready()
        once = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            session=client.session,
            retry_handlers=[],
        )
        try:
            await once.chat_postMessage(
                channel=channel,
                text=message_text(message.text),
                blocks=message_blocks(message),
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": message.key}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise self._refusal(exc) from None

    async def was_sent(self, person: ThreadAddress, key: str) -> bool:
        """Whether the bot's conversation with the person holds a message with this key."""
        client, channel = await self._conversation(person)
        page = await client.conversations_history(channel=channel, limit=HISTORY_LOOKED_AT, include_all_metadata=True)
        for found in page.get("messages") or []:
            payload = (found.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return True
        return False

    @staticmethod
    def _refusal(exc: SlackApiError) -> Exception:
        """A Slack error as the worker understands it: wait, give up on the person, or unknown."""
        response = exc.response
        if response.status_code == 429:
            return RateLimited(float(response.headers.get("Retry-After") or response.headers.get("retry-after") or 1))
        error = str(response.get("error") or "")
        if error in _UNREACHABLE:
            return Unreachable(error)
        return exc
