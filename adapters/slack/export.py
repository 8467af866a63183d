"""The favourites export on Slack: an admin's button (on the Home tab) answers with a modal holding the link."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from adapters.slack.context import ListenerContext
from adapters.slack.intake import owner_key, team_workspace
from adapters.slack.people import SlackAdminCheck
from adapters.slack.text import escaped
from bot.errors import UserError
from bot.export.publish import Exports
from bot.i18n import t

log = logging.getLogger(__name__)

EXPORT_ACTION = "headshot_export"


def export_button(locale: str | None = None) -> dict[str, Any]:
    """The button that makes a new export link."""
    return {
        "type": "button",
        "action_id": EXPORT_ACTION,
        "text": {"type": "plain_text", "text": t(locale, "Download everyone's favourites")},
    }


def link_view(url: str | None, sentence: str, locale: str | None = None) -> dict[str, Any]:
    """A modal with the link (or only the sentence saying why there is none)."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": escaped(sentence)}}]
    if url is not None:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "headshot_export_link",
                        "style": "primary",
                        "url": url,
                        "text": {"type": "plain_text", "text": t(locale, "Download the zip")},
                    }
                ],
            }
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": t(locale, "Everyone's favourites")},
        "close": {"type": "plain_text", "text": t(locale, "Close")},
        "blocks": blocks,
    }


def register_export(app: AsyncApp, shared: ListenerContext, exports: Exports) -> None:
    """Attach the export button's listener."""

    async def on_export(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        team, user = str(context.team_id or (body.get("team") or {}).get("id")), str(body["user"]["id"])
        trigger, token = str(body["trigger_id"]), context.bot_token
        shared.tasks.spawn(lambda there: issue(there, team, user, trigger, token), name="slack-export")

    async def issue(there: ListenerContext, team: str, user: str, trigger: str, token: str | None) -> None:
        try:
            url: str | None = await (there.exports or exports).issue(
                workspace=team_workspace(team),
                owner_prefix=owner_key(team, ""),
                surface=there.slack.surface.name,
                asker=SlackAdminCheck(there.people, team, user),
                by=owner_key(team, user),
            )
            sentence = t(
                None,
                "One zip of everyone's favourite headshot, with people.csv. The link works for "
                "24 hours, for anyone who has it: share it like the photos themselves.",
            )
        except UserError as exc:
            url, sentence = None, str(exc)
        try:
            client = await there.slack.workspaces.for_request(token, team)
            await client.views_open(trigger_id=trigger, view=link_view(url, sentence))
        except SlackApiError as exc:
            log.warning("could not show an export link: %s", exc.response.get("error"))

    shared.exports = exports
    app.action(EXPORT_ACTION)(on_export)
