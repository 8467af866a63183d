"""`/headshot campaign`: an admin invites a channel's members or some people, by a deadline.

The modal asks for a name, a deadline, and a channel (`conversations.members`, every page) or a
list of people; the core starts the campaign and its worker sends the invitations. An invitation's
button opens the ordinary request modal, exactly as `/headshot` does, so every rule of a request
(consent, quotas, the brand kit, the per-user limit) holds for it too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.campaign_messages import OPEN_ACTION
from adapters.slack.context import ListenerContext
from adapters.slack.intake import Origin, owner_key
from adapters.slack.modals import decode_metadata, encode_metadata
from adapters.slack.people import SlackAdminCheck
from adapters.slack.request_modal import open_request_modal
from bot.campaigns.desk import CampaignDesk
from bot.campaigns.model import Invitee
from bot.errors import UserError
from bot.i18n import t, tn
from bot.work_queue import BUSY

log = logging.getLogger(__name__)

CAMPAIGN_CALLBACK = "headshot_campaign"
NEW_ACTION = "headshot_campaign_new"
NAME, DEADLINE, CHANNEL, PEOPLE = "campaign_name", "campaign_deadline", "campaign_channel", "campaign_people"
DEFAULT_LEAD_S = 7 * 86400
MEMBERS_PAGE = 1000


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value[:75]}


def campaign_view(metadata: dict[str, Any], now: float, locale: str | None = None) -> dict[str, Any]:
    """The modal that starts a campaign."""

    def field(block: str, label: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block,
            "label": _text(label),
            "optional": optional,
            "element": {"action_id": block, **element},
        }

    return {
        "type": "modal",
        "callback_id": CAMPAIGN_CALLBACK,
        "title": _text(t(locale, "Start a campaign")),
        "submit": _text(t(locale, "Invite them")),
        "close": _text(t(locale, "Cancel")),
        "private_metadata": encode_metadata(metadata),
        "blocks": [
            field(
                NAME,
                t(locale, "Name"),
                {"type": "plain_text_input", "initial_value": t(locale, "Headshot day"), "max_length": 80},
            ),
            field(
                DEADLINE,
                t(locale, "Deadline"),
                {"type": "datetimepicker", "initial_date_time": int(now + DEFAULT_LEAD_S)},
            ),
            field(
                CHANNEL,
                t(locale, "Everyone in this channel"),
                {
                    "type": "conversations_select",
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
                optional=True,
            ),
            field(PEOPLE, t(locale, "And these people"), {"type": "multi_users_select"}, optional=True),
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": t(
                            locale,
                            "Each person gets one direct message with a button that opens the headshot form, "
                            "and one reminder a day before the deadline if they have not picked a favourite.",
                        ),
                    }
                ],
            },
        ],
    }


async def open_campaign_modal(
    shared: ListenerContext, client: AsyncWebClient, trigger_id: str, team: str, user: str, channel: object
) -> None:
    """Open the campaign modal for an admin of `team`; raises `NotAdmin` (one sentence) for anyone else."""
    await shared.admin.require_admin(SlackAdminCheck(shared.people, team, user))
    await client.views_open(trigger_id=trigger_id, view=campaign_view({"channel": channel}, time.time()))


async def channel_members(client: AsyncWebClient, channel: str) -> list[str]:
    """Every member of a channel, page after page."""
    members: list[str] = []
    cursor: str | None = None
    while True:
        page = await client.conversations_members(channel=channel, limit=MEMBERS_PAGE, cursor=cursor)
        members += [str(m) for m in page.get("members") or []]
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "") or None
        if cursor is None:
            return members


def _values(view: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    return {block: (state.get(block) or {}).get(block) or {} for block in (NAME, DEADLINE, CHANNEL, PEOPLE)}


def register_campaigns(app: AsyncApp, shared: ListenerContext, desk: CampaignDesk) -> None:
    """Attach the campaign modal's submission, and the invitation's button."""

    async def on_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        values = _values(view)
        errors: dict[str, str] = {}
        try:
            name = desk.checked_name(str(values[NAME].get("value") or ""))
        except UserError as exc:
            errors[NAME] = str(exc)
        deadline = float(values[DEADLINE].get("selected_date_time") or 0)
        try:
            desk.check_deadline(deadline)
        except UserError as exc:
            errors[DEADLINE] = str(exc)
        channel = values[CHANNEL].get("selected_conversation")
        people = [str(u) for u in values[PEOPLE].get("selected_users") or []]
        if not channel and not people:
            errors[CHANNEL] = t(None, "Pick a channel, some people, or both.")
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        origin = Origin.of_view(body, decode_metadata(view), context.team_id)
        if not shared.tasks.has_room():
            await ack(response_action="errors", errors={NAME: BUSY.say(origin.locale)})
            return
        await ack()
        bot_user = str(context.bot_user_id or "")
        shared.tasks.spawn(lambda there: start(there, origin, name, deadline, channel, people, bot_user),
                           name="slack-campaign")

    async def start(
        shared: ListenerContext, origin: Origin, name: str, deadline: float, channel: str | None, people: list[str],
        bot_user: str,
    ) -> None:
        team = origin.installed_team
        try:
            if channel:
                client = await shared.slack.workspaces.client(team)
                people = [*await channel_members(client, channel), *people]
            invitees = [Invitee(owner_key(team, u), {"team": team, "user": u}) for u in people if u != bot_user]
            campaign = await shared.campaigns.start(
                workspace=origin.quota_workspace,
                surface=shared.slack.surface.name,
                name=name,
                deadline=deadline,
                people=invitees,
                asker=SlackAdminCheck(shared.people, team, origin.user),
                by=origin.owner,
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            await shared.slack.tell(
                origin,
                t(
                    None,
                    "I couldn't read that channel's members ({error}); add me to it "
                    "with /invite @Headshots, or pick people instead.",
                    error=error,
                ),
            )
            return
        except UserError as exc:
            await shared.slack.tell(origin, str(exc))
            return
        count = len({i.owner for i in invitees})
        await shared.slack.tell(
            origin,
            tn(
                None,
                "Started “{name}”: 1 person gets an invitation now.",
                "Started “{name}”: {n} people get an invitation, about one a second.",
                count,
                name=campaign.name,
            ),
        )

    async def on_open(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        origin = Origin(team=team, user=str(body["user"]["id"]), channel=str(channel or ""),
                        installation_team=context.team_id)
        trigger, token = str(body["trigger_id"]), context.bot_token
        shared.tasks.spawn(lambda there: open_request(there, origin, trigger, channel, token), name="slack-invitation")

    async def open_request(
        there: ListenerContext, origin: Origin, trigger: str, channel: str | None, token: str | None
    ) -> None:
        client = await there.slack.workspaces.for_request(token, origin.installed_team)
        origin = replace(origin, locale=await there.slack.locales.quickly(origin.installed_team, origin.user, client))
        try:
            await open_request_modal(there, client, trigger, origin, {"channel": channel})
        except SlackApiError as exc:
            log.warning("could not open the request modal from an invitation: %s", exc.response.get("error"))

    async def on_new(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        team = str(context.team_id or (body.get("team") or {}).get("id"))
        user, trigger, token = str(body["user"]["id"]), str(body["trigger_id"]), context.bot_token
        shared.tasks.spawn(lambda there: open_new(there, team, user, trigger, token), name="slack-new-campaign")

    async def open_new(there: ListenerContext, team: str, user: str, trigger: str, token: str | None) -> None:
        client = await there.slack.workspaces.for_request(token, team)
        try:
            await open_campaign_modal(there, client, trigger, team, user, None)
        except UserError as exc:
            log.info("a campaign button was pressed by someone who may not start one: %s", exc)

    app.view(CAMPAIGN_CALLBACK)(on_submit)
    app.action(OPEN_ACTION)(on_open)
    app.action(NEW_ACTION)(on_new)
