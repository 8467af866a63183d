"""The `/headshot` command (and its subcommands) and the "Make headshots" message shortcut."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.consent import Answered
from adapters.slack.context import ListenerContext
from adapters.slack.files import SlackFile, file_url, is_image_file
from adapters.slack.intake import owner_key, workspace_key
from adapters.slack.modals import request_view, settings_view
from adapters.slack.text import message_text
from bot.errors import UserError
from bot.i18n import tn
from bot.jobs import JSONValue
from bot.photos import NAMED_TYPES

COMMAND = "/headshot"
SHORTCUT = "make_headshots"
HELD_MODAL = "modal"  # a request modal held for consent, opened on the Agree press's trigger
SUBCOMMANDS = ("", "status", "settings", "forget", "usage", "my-data")
HELP = (
    "*Headshots* turns portrait photos into professional headshots.\n"
    "• `/headshot` — upload photos and choose the style\n"
    "• Mention me in a message with photos, options as words: `@Headshots executive office 3:4 x4`\n"
    "  (add `private` and the results come to you by direct message)\n"
    "• On a message with photos: *More actions* (⋯) → *Make headshots*\n"
    "• `/headshot status` — your recent jobs\n"
    "• `/headshot usage` — how many headshots you and this workspace have used, and what is left\n"
    "• `/headshot settings` — your default options (private delivery too)\n"
    "• `/headshot my-data` — a download of everything stored about you\n"
    "• `/headshot forget` — delete everything stored about you"
)
NO_PHOTOS = (
    f"That message has no photos I can use. Pick a message with {NAMED_TYPES} photos, "
    "or run `/headshot` to upload some."
)


def register_commands(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the slash command and the message shortcut to the Bolt app."""
    service = shared.service
    consent = shared.slack.consent

    async def open_request_modal(
        client: AsyncWebClient, trigger_id: str, team: str, user: str, metadata: dict[str, Any], photos: int = 0
    ) -> None:
        owner = owner_key(team, user)
        (options, provider), choices = await asyncio.gather(
            service.defaults(owner), service.choices(owner, workspace_key(team))
        )
        view = request_view(choices, options, provider, metadata, upload=photos == 0, photo_count=photos)
        await client.views_open(trigger_id=trigger_id, view=view)

    async def ask_or_open(
        client: AsyncWebClient, respond: AsyncRespond, trigger_id: str, team: str, user: str,
        metadata: dict[str, JSONValue], photos: int = 0,
    ) -> None:
        """The request modal, or first the consent question (the modal opens when the person agrees)."""
        if await consent.admits(owner_key(team, user), workspace_key(team)):
            await open_request_modal(client, trigger_id, team, user, metadata, photos)
            return
        held: dict[str, JSONValue] = {"team": team, "user": user, "metadata": metadata, "photos": photos}
        await consent.ask_in_reply(respond, owner_key(team, user), HELD_MODAL, held, workspace=workspace_key(team))

    async def resume_modal(held: Mapping[str, JSONValue], answered: Answered) -> None:
        if answered.trigger_id is None:
            return
        metadata = cast(dict[str, Any], held.get("metadata") or {})
        photos = held.get("photos")
        await open_request_modal(answered.client, answered.trigger_id, answered.team, answered.user, metadata,
                                 photos if isinstance(photos, int) else 0)

    consent.resumers[HELD_MODAL] = resume_modal

    # `client` is Bolt's client for this request: it carries the token of the workspace that sent it.
    async def on_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        words = str(body.get("text") or "").split()
        sub = words[0].lower() if words else ""
        team, user = str(body.get("team_id")), str(body.get("user_id"))
        if sub == "help" or sub not in SUBCOMMANDS:
            prefix = "" if sub in ("", "help") else f"I don't know `{COMMAND} {words[0]}`.\n"
            await ack(text=message_text(prefix + HELP))
            return
        await ack()  # everything below may take longer than Slack's three seconds allow
        try:
            await answer(sub, body, team, user, respond, client)
        except UserError as exc:  # e.g. the store is away
            await respond(text=str(exc), response_type="ephemeral")

    async def answer(
        sub: str, body: dict[str, Any], team: str, user: str, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        owner = owner_key(team, user)
        if sub == "":
            metadata: dict[str, JSONValue] = {"channel": body.get("channel_id")}
            await ask_or_open(client, respond, str(body["trigger_id"]), team, user, metadata)
        elif sub == "settings":
            options, provider = await service.defaults(owner)
            view = settings_view(service.providers, options, provider, {"channel": body.get("channel_id")})
            await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        elif sub == "usage":
            text = await service.usage(owner, workspace_key(team))
            await respond(text=message_text(text), response_type="ephemeral")
        elif sub == "status":
            lines = await service.recent_jobs(owner)
            text = "\n".join(f"• {line}" for line in lines) if lines else "You have no headshot jobs yet."
            await respond(text=message_text(text), response_type="ephemeral")
        elif sub == "my-data":
            await respond(text=message_text(await shared.my_data.answer(owner)), response_type="ephemeral")
        else:
            count = await service.forget(owner)
            text = tn(None, "Deleted {n} job, your settings and your consent.",
                      "Deleted {n} jobs, your settings and your consent.", count)
            await respond(text=text, response_type="ephemeral")

    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        message: dict[str, Any] = body.get("message") or {}
        files: list[SlackFile] = [f for f in message.get("files") or [] if is_image_file(f)]
        if not files:
            await respond(text=NO_PHOTOS, response_type="ephemeral")
            return
        team, user = str((body.get("team") or {}).get("id")), str(body["user"]["id"])
        metadata: dict[str, JSONValue] = {
            "channel": (body.get("channel") or {}).get("id"),
            "thread_ts": message.get("thread_ts") or message.get("ts"),
            "files": [{"id": f.get("id"), "name": f.get("name"), "url": file_url(f)} for f in files],
        }
        await ask_or_open(client, respond, str(body["trigger_id"]), team, user, metadata, photos=len(files))

    app.command(COMMAND)(on_command)
    app.shortcut(SHORTCUT)(on_shortcut)
