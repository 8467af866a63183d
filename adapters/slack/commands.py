"""The `/headshot` command (and its subcommands) and the "Make headshots" message shortcut."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.admin import open_admin_modal
from adapters.slack.campaigns import open_campaign_modal
from adapters.slack.consent import Answered
from adapters.slack.context import ListenerContext
from adapters.slack.files import SlackFile, file_url, is_image_file
from adapters.slack.intake import Origin
from adapters.slack.modals import settings_view
from adapters.slack.picks import answer_privately
from adapters.slack.request_modal import open_request_modal
from adapters.slack.text import message_text
from bot.errors import UserError
from bot.i18n import t, tn
from bot.jobs import JSONValue
from bot.photos import NAMED_TYPES
from bot.work_queue import BUSY

COMMAND = "/headshot"
SHORTCUT = "make_headshots"

HELD_MODAL = "modal"  # a request modal held for consent, opened on the Agree press's trigger
SUBCOMMANDS = (
    "", "status", "settings", "forget", "usage", "my-data", "favourites", "favorites", "admin", "campaign",
)


def help_text(locale: str | None) -> str:
    """What `/headshot help` answers, in the reader's language."""
    return t(
        locale,
        "*Headshots* turns portrait photos into professional headshots.\n"
        "• `/headshot` — upload photos and choose the style\n"
        "• Mention me in a message with photos, options as words: `@Headshots executive office 3:4 x4`\n"
        "  (add `private` and the results come to you by direct message)\n"
        "• On a message with photos: *More actions* (⋯) → *Make headshots*\n"
        "• `/headshot status` — your recent jobs\n"
        "• `/headshot usage` — how many headshots you and this workspace have used, and what is left\n"
        "• `/headshot settings` — your default options (private delivery too)\n"
        "• `/headshot favourites` — the headshots you marked with ★\n"
        "• `/headshot my-data` — a download of everything stored about you\n"
        "• `/headshot forget` — delete everything stored about you\n"
        "• `/headshot admin` — for workspace admins: the brand kit everyone's headshots follow, and retention\n"
        "• `/headshot campaign` — for workspace admins: invite a channel or some people to get their headshots",
    )


def register_commands(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the slash command and the message shortcut to the Bolt app."""

    async def ask_or_open(
        there: ListenerContext, client: AsyncWebClient, respond: AsyncRespond, trigger_id: str, origin: Origin,
        metadata: dict[str, JSONValue], photos: int = 0,
    ) -> None:
        """The request modal, or first the consent question (the modal opens when the person agrees)."""
        consent = there.slack.consent
        if await consent.admits(origin.owner, origin.quota_workspace):
            await open_request_modal(there, client, trigger_id, origin, dict(metadata), photos)
            return
        held: dict[str, JSONValue] = {"origin": dict(origin.to_json()), "metadata": metadata, "photos": photos}
        await consent.ask_in_reply(
            respond, origin.owner, HELD_MODAL, held, workspace=origin.quota_workspace, locale=origin.locale
        )

    async def resume_modal(held: Mapping[str, JSONValue], answered: Answered) -> None:
        if answered.trigger_id is None:
            return
        stored = held.get("origin")
        if not isinstance(stored, dict):
            return
        metadata = cast(dict[str, Any], held.get("metadata") or {})
        photos = held.get("photos")
        origin = Origin.from_json(stored)
        await open_request_modal(shared, answered.client, answered.trigger_id, origin, metadata,
                                 photos if isinstance(photos, int) else 0)

    shared.slack.consent.resumers[HELD_MODAL] = resume_modal

    async def on_command(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        words = str(body.get("text") or "").split()
        sub = words[0].lower() if words else ""
        origin = Origin(team=str(body.get("team_id")), user=str(body.get("user_id")),
                        channel=str(body.get("channel_id") or ""), installation_team=context.team_id)
        if sub == "help" or sub not in SUBCOMMANDS:
            # Answered in the acknowledgement itself: the language is asked for only briefly.
            locale = await shared.slack.locales.quickly(origin.installed_team, origin.user, client)
            unknown = f"{COMMAND} {words[0]}" if sub not in ("", "help") else None
            prefix = t(locale, "I don't know `{command}`.", command=unknown) + "\n" if unknown else ""
            await ack(text=message_text(prefix + help_text(locale)))
            return
        if not shared.tasks.has_room():
            await ack(text=BUSY.say(shared.slack.locales.cached(origin.installed_team, origin.user)))
            return
        await ack()  # everything below may take longer than Slack's three seconds allow
        token = context.bot_token
        shared.tasks.spawn(lambda there: follow_command(there, sub, body, origin, respond, token), name="slack-command")

    async def follow_command(
        there: ListenerContext, sub: str, body: dict[str, Any], origin: Origin, respond: AsyncRespond,
        token: str | None,
    ) -> None:
        client = await there.slack.workspaces.for_request(token, origin.installed_team)
        # Asked briefly: a modal must open while the trigger lives (3 s).
        origin = replace(origin, locale=await there.slack.locales.quickly(origin.installed_team, origin.user, client))
        try:
            if sub in ("admin", "campaign"):  # for the workspace whose installation answers
                trigger = str(body["trigger_id"])
                opener = open_admin_modal if sub == "admin" else open_campaign_modal
                await opener(there, client, trigger, origin.installed_team, origin.user, body.get("channel_id"))
                return
            await answer(there, sub, body, origin, respond, client)
        except UserError as exc:  # e.g. the store is away
            await respond(text=exc.say(origin.locale), response_type="ephemeral")

    async def answer(
        there: ListenerContext, sub: str, body: dict[str, Any], origin: Origin, respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        service = there.service
        owner, locale = origin.owner, origin.locale
        metadata = {"channel": body.get("channel_id"), "locale": locale}
        if sub == "":
            await ask_or_open(there, client, respond, str(body["trigger_id"]), origin, metadata)
        elif sub == "settings":
            (options, provider), kit = await asyncio.gather(
                service.defaults(owner), service.brand_kit(owner, origin.quota_workspace)
            )
            view = settings_view(service.providers, kit.fit(options, ()), provider, metadata, locale=locale, kit=kit)
            await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        elif sub == "usage":
            text = await service.usage(owner, origin.quota_workspace, locale)
            await respond(text=message_text(text), response_type="ephemeral")
        elif sub in ("favourites", "favorites"):
            if there.picks is None:
                await respond(text=t(locale, "This bot keeps no favourites."), response_type="ephemeral")
            else:
                await answer_privately(respond, await there.picks.listing(origin.team, origin.user, locale))
        elif sub == "status":
            lines = await service.recent_jobs(owner, locale=locale)
            text = "\n".join(f"• {line}" for line in lines) if lines else t(locale, "You have no headshot jobs yet.")
            await respond(text=message_text(text), response_type="ephemeral")
        elif sub == "my-data":
            await respond(text=message_text(await there.my_data.answer(owner)), response_type="ephemeral")
        elif sub == "forget":
            count = await service.forget(owner)
            text = tn(locale, "Deleted {n} job, your settings and your consent.",
                      "Deleted {n} jobs, your settings and your consent.", count)
            await respond(text=text, response_type="ephemeral")

    async def on_shortcut(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        origin = Origin(team=str((body.get("team") or {}).get("id")), user=str(body["user"]["id"]),
                        channel=str((body.get("channel") or {}).get("id") or ""), installation_team=context.team_id)
        if not shared.tasks.has_room():
            await ack()
            await respond(text=BUSY.say(shared.slack.locales.cached(origin.installed_team, origin.user)),
                          response_type="ephemeral")
            return
        await ack()
        token = context.bot_token
        shared.tasks.spawn(lambda there: follow_shortcut(there, body, origin, respond, token), name="slack-shortcut")

    async def follow_shortcut(
        there: ListenerContext, body: dict[str, Any], origin: Origin, respond: AsyncRespond, token: str | None
    ) -> None:
        client = await there.slack.workspaces.for_request(token, origin.installed_team)
        message: dict[str, Any] = body.get("message") or {}
        files: list[SlackFile] = [f for f in message.get("files") or [] if is_image_file(f)]
        origin = replace(origin, locale=await there.slack.locales.quickly(origin.installed_team, origin.user, client))
        if not files:
            text = t(origin.locale, "That message has no photos I can use. Pick a message with {types} photos, or run "
                     "`/headshot` to upload some.", types=NAMED_TYPES)
            await respond(text=text, response_type="ephemeral")
            return
        metadata: dict[str, JSONValue] = {
            "channel": (body.get("channel") or {}).get("id"),
            "thread_ts": message.get("thread_ts") or message.get("ts"),
            "files": [{"id": f.get("id"), "name": f.get("name"), "url": file_url(f)} for f in files],
        }
        await ask_or_open(there, client, respond, str(body["trigger_id"]), origin, metadata, photos=len(files))

    app.command(COMMAND)(on_command)
    app.shortcut(SHORTCUT)(on_shortcut)
