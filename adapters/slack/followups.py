"""Follow-up buttons on Slack: drawn as Block Kit under the status text, pressed as `block_actions`.

A press carries everything it needs: the action's `action_id` says which follow-up, its
`value` (a button's, or the picked option's) names the job. Slack is acknowledged at once;
the check and the new job happen after, and a refusal is an ephemeral reply where the button was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.buttons import FOLLOW_UP_ACTION, read_press
from adapters.slack.consent import Answered
from adapters.slack.context import ListenerContext
from adapters.slack.intake import Origin, owner_key
from adapters.slack.status_lookup import status_metadata
from adapters.slack.surface import SlackAddress, status_with_note
from adapters.slack.text import message_text
from bot.buttons import FollowUpKind
from bot.errors import UserError
from bot.followups import Press
from bot.i18n import phrase, t
from bot.intake import START_FAILED
from bot.jobs import JSONValue, ThreadAddress
from bot.ports import ThreadGone

log = logging.getLogger(__name__)

HELD_PRESS = "press"  # a follow-up press held for consent, pressed again when the person agrees


def register_follow_ups(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the follow-up buttons' action listener."""

    async def on_press(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext,
    ) -> None:
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        press = read_press(action, owner_key(team, str(body["user"]["id"])))  # a malformed one is refused (400)
        channel = str((body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id"))
        origin = Origin(team=team, user=str(body["user"]["id"]), channel=channel, installation_team=context.team_id)
        await ack()  # within Slack's three seconds; everything else happens after
        token = context.bot_token
        shared.tasks.spawn(lambda there: handle(there, press, origin, respond, token=token), name="slack-follow-up")

    async def handle(
        shared: ListenerContext, press: Press, origin: Origin, respond: AsyncRespond,
        client: AsyncWebClient | None = None, token: str | None = None,
    ) -> None:
        client = client or await shared.slack.workspaces.for_request(token, origin.installed_team)
        origin = await shared.slack.with_locale(origin, client)
        press = replace(press, locale=origin.locale)
        follow_ups, consent = shared.follow_ups, shared.slack.consent
        try:
            job = await follow_ups.check(press)
            if not await consent.admits(press.presser, origin.quota_workspace):
                held: dict[str, JSONValue] = {"press": {"kind": press.kind.value, "job": press.job_id,
                                                        "choice": press.choice}, "origin": dict(origin.to_json())}
                await consent.ask_in_reply(
                    respond, press.presser, HELD_PRESS, held, workspace=origin.quota_workspace, locale=origin.locale
                )
                return
            address = SlackAddress.from_json(job.thread)
            status = _StatusInThread(shared, address, job.locale)
            # The new status goes in the followed job's thread: a restart looks for it there.
            reply = replace(origin, channel=address.channel, thread_ts=address.thread_ts).to_json()
            await follow_ups.start(press, job, status, shared.slack.surface, reply=reply)
        except ThreadGone:
            log.info("a follow-up was dropped: its workspace is not installed any more")
        except UserError as exc:
            await _reply(respond, exc.say(origin.locale))
        except Exception:
            log.exception("a follow-up could not be started")
            await _reply(respond, START_FAILED.say(origin.locale))

    async def resume(held: Mapping[str, JSONValue], answered: Answered) -> None:
        asked = cast(dict[str, JSONValue], held["press"])
        choice = asked.get("choice")
        press = Press(FollowUpKind(str(asked["kind"])), str(asked["job"]), owner_key(answered.team, answered.user),
                      str(choice) if choice is not None else None)
        await handle(shared, press, Origin.from_json(cast(ThreadAddress, held["origin"])), answered.respond,
                     answered.client)

    shared.slack.consent.resumers[HELD_PRESS] = resume
    app.action(FOLLOW_UP_ACTION)(on_press)


async def _reply(respond: AsyncRespond, text: str) -> None:
    """An ephemeral answer to the person who pressed, where they pressed."""
    try:
        await respond(text=message_text(text), response_type="ephemeral", replace_original=False)
    except Exception as exc:  # the response URL expired or Slack is away: nothing else can reach them here
        log.warning("could not answer a follow-up press: %s", type(exc).__name__)


@dataclass(frozen=True)
class _StatusInThread:
    """`bot.ports.StatusOpener` for a follow-up: a new status message in the thread of the job it follows."""

    shared: ListenerContext
    address: SlackAddress
    locale: str | None  # the thread's language: that of the job it follows

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        client = await self.shared.slack.workspaces.client(self.address.team)
        text = message_text(status_with_note(self.address, t(self.locale, "⏳ Starting on more headshots…")))
        try:
            answer = await client.chat_postMessage(
                channel=self.address.channel, thread_ts=self.address.thread_ts, text=text,
                metadata=cast(dict[str, Any] | None, status_metadata(intake_id)),
            )
        except SlackApiError as exc:
            log.warning("could not post a follow-up's status: %s", exc.response.get("error"))
            raise UserError(phrase("I couldn't post in that thread any more, so I didn't start the job.")) from None
        return replace(self.address, status_ts=str(answer["ts"])).to_json()
