"""The `/headshot` command (and its subcommands) and the "Make headshots" message shortcut."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.admin import open_admin_modal
from adapters.slack.campaigns import open_campaign_modal
from adapters.slack.context import ListenerContext
from adapters.slack.files import SlackFile, file_url, is_image_file
from adapters.slack.intake import owner_key, workspace_key
from adapters.slack.modals import settings_view
from adapters.slack.request_modal import open_request_modal
from adapters.slack.text import message_text
from bot.errors import UserError
from bot.photos import NAMED_TYPES

COMMAND = "/headshot"
SHORTCUT = "make_headshots"
HELP = (
    "*Headshots* turns portrait photos into professional headshots.\n"
    "• `/headshot` — upload photos and choose the style\n"
    "• Mention me in a message with photos, options as words: `@Headshots executive office 3:4 x4`\n"
    "  (add `private` and the results come to you by direct message)\n"
    "• On a message with photos: *More actions* (⋯) → *Make headshots*\n"
    "• `/headshot status` — your recent jobs\n"
    "• `/headshot usage` — how many headshots you and this workspace have used, and what is left\n"
    "• `/headshot settings` — your default options (private delivery too)\n"
    "• `/headshot forget` — delete everything stored about you\n"
    "• `/headshot admin` — for workspace admins: the brand kit everyone's headshots follow, and retention\n"
    "• `/headshot campaign` — for workspace admins: invite a channel or some people to get their headshots"
)
NO_PHOTOS = (
    f"That message has no photos I can use. Pick a message with {NAMED_TYPES} photos, "
    "or run `/headshot` to upload some."
)


def register_commands(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the slash command and the message shortcut to the Bolt app."""
    service = shared.service

    # `client` is Bolt's client for this request: it carries the token of the workspace that sent it.
    async def on_command(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        words = str(body.get("text") or "").split()
        sub = words[0].lower() if words else ""
        team, user = str(body.get("team_id")), str(body.get("user_id"))
        if sub == "help" or sub not in ("", "status", "settings", "forget", "usage", "admin", "campaign"):
            prefix = "" if sub in ("", "help") else f"I don't know `{COMMAND} {words[0]}`.\n"
            await ack(text=message_text(prefix + HELP))
            return
        await ack()  # everything below may take longer than Slack's three seconds allow
        try:
            if sub in ("admin", "campaign"):  # for the workspace whose installation answers
                installed, trigger = str(context.team_id or team), str(body["trigger_id"])
                opener = open_admin_modal if sub == "admin" else open_campaign_modal
                await opener(shared, client, trigger, installed, user, body.get("channel_id"))
                return
            await answer(sub, body, team, user, respond, client)
        except UserError as exc:  # e.g. the store is away
            await respond(text=str(exc), response_type="ephemeral")

    async def answer(
        sub: str, body: dict[str, Any], team: str, user: str, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        owner = owner_key(team, user)
        if sub == "":
            await open_request_modal(
                shared, client, str(body["trigger_id"]), team, user, {"channel": body.get("channel_id")}
            )
        elif sub == "settings":
            (options, provider), kit = await asyncio.gather(
                service.defaults(owner), service.brand_kit(owner, workspace_key(team))
            )
            metadata = {"channel": body.get("channel_id")}
            view = settings_view(service.providers, kit.fit(options, ()), provider, metadata, kit)
            await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        elif sub == "usage":
            text = await service.usage(owner, workspace_key(team))
            await respond(text=message_text(text), response_type="ephemeral")
        elif sub == "status":
            lines = await service.recent_jobs(owner)
            text = "\n".join(f"• {line}" for line in lines) if lines else "You have no headshot jobs yet."
            await respond(text=message_text(text), response_type="ephemeral")
        else:
            count = await service.forget(owner)
            noun = "job" if count == 1 else "jobs"
            await respond(text=f"Deleted {count} {noun} and your settings.", response_type="ephemeral")

    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        message: dict[str, Any] = body.get("message") or {}
        files: list[SlackFile] = [f for f in message.get("files") or [] if is_image_file(f)]
        if not files:
            await respond(text=NO_PHOTOS, response_type="ephemeral")
            return
        team, user = str((body.get("team") or {}).get("id")), str(body["user"]["id"])
        metadata = {
            "channel": (body.get("channel") or {}).get("id"),
            "thread_ts": message.get("thread_ts") or message.get("ts"),
            "files": [{"id": f.get("id"), "name": f.get("name"), "url": file_url(f)} for f in files],
        }
        await open_request_modal(shared, client, str(body["trigger_id"]), team, user, metadata, photos=len(files))

    app.command(COMMAND)(on_command)
    app.shortcut(SHORTCUT)(on_shortcut)
