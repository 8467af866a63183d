"""Status messages that carry their request: posted with message metadata, found again after a crash.

The process may die between `chat.postMessage` answering and the status message's address being
written down. The message carries the id the request was written down under as metadata
(`{"event_type": "headshot_intake", "event_payload": {"intake": <id>}}`), so the next start reads
the conversation around the request's time (`include_all_metadata`) and finds it.
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.surface import SlackAddress

log = logging.getLogger(__name__)

EVENT_TYPE = "headshot_intake"
# Slack's clock and ours differ a little; a status is posted within minutes of its request.
EARLIER_S, LATER_S = 60.0, 900.0
PAGE, PAGES = 200, 5


class StatusMetadata(TypedDict):
    """Slack's message `metadata` as the status message carries it."""

    event_type: str
    event_payload: dict[str, str]


def status_metadata(intake_id: str | None) -> StatusMetadata | None:
    """The metadata that names the request a status message belongs to (None: nothing to name)."""
    if intake_id is None:
        return None
    return {"event_type": EVENT_TYPE, "event_payload": {"intake": intake_id}}


def carries(message: dict[str, Any], intake_id: str) -> bool:
    """Whether a message from the conversation is the status of the request `intake_id`."""
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == EVENT_TYPE and (metadata.get("event_payload") or {}).get("intake") == intake_id


async def find_status(
    client: AsyncWebClient, team: str, places: list[tuple[str, str | None]], intake_id: str, since: float
) -> SlackAddress | None:
    """The status message of `intake_id` posted after `since` in one of `places` (channel, and the
    thread it would be a reply in), or None. A place that cannot be read is passed over."""
    for channel, thread_ts in places:
        oldest, latest = f"{since - EARLIER_S:.6f}", f"{since + LATER_S:.6f}"
        cursor: str | None = None
        for _ in range(PAGES):
            try:
                if thread_ts:
                    page = await client.conversations_replies(
                        channel=channel, ts=thread_ts, oldest=oldest, latest=latest, inclusive=True,
                        include_all_metadata=True, limit=PAGE, cursor=cursor,
                    )
                else:
                    page = await client.conversations_history(
                        channel=channel, oldest=oldest, latest=latest, inclusive=True,
                        include_all_metadata=True, limit=PAGE, cursor=cursor,
                    )
            except SlackApiError as exc:
                log.info("could not look for a status message in %s: %s", channel, exc.response.get("error"))
                break
            for message in page.get("messages") or []:
                if carries(message, intake_id):
                    ts = str(message["ts"])
                    return SlackAddress(channel=channel, thread_ts=thread_ts or ts, status_ts=ts, team=team)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    return None
