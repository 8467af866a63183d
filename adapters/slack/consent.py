"""The consent question on Slack: an ephemeral message with Agree / No thanks, and resuming what it held back.

Whatever asked first (`/headshot`, the shortcut, a mention or direct message, a modal submission,
a button on results) is held by the core's `ConsentGate` under an id that both buttons carry in
their `value`. Agree records the answer and runs the held request through its ordinary path (the
modal opens on the press's own trigger); No thanks keeps nothing. The rule is the core's; this
module only draws the question and hands the held request back to its listener.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.intake import Origin, owner_key
from adapters.slack.links import MAX_BUTTON_TEXT, MAX_SECTION_TEXT
from adapters.slack.text import message_text
from bot.consent.gate import ConsentGate, Question
from bot.consent.terms import DataCommands
from bot.errors import UserError
from bot.intake import START_FAILED
from bot.jobs import JSONValue

if TYPE_CHECKING:
    from adapters.slack.context import ListenerContext
    from adapters.slack.workspaces import Workspaces

log = logging.getLogger(__name__)

AGREE_ACTION = "consent_agree"
DECLINE_ACTION = "consent_decline"
BLOCK_ID = "consent"
COMMANDS = DataCommands(export="/headshot my-data", forget="/headshot forget")


@dataclass(frozen=True)
class Answered:
    """An Agree press, as a held request needs it to go on: who pressed, where, and a fresh trigger."""

    team: str
    user: str
    workspace: str | None
    trigger_id: str | None
    respond: AsyncRespond
    client: AsyncWebClient


# Runs a held request of one kind again (its listener registers it under that kind).
Resume = Callable[[Mapping[str, JSONValue], Answered], Awaitable[None]]


def question_blocks(question: Question) -> list[Block]:
    """The question's words in a section, its two buttons under it, each carrying the held request's id."""
    text = message_text(question.text, limit=MAX_SECTION_TEXT)
    agree = ButtonElement(
        action_id=AGREE_ACTION, text=question.agree_label[:MAX_BUTTON_TEXT], value=question.pending_id, style="primary"
    )
    decline = ButtonElement(
        action_id=DECLINE_ACTION, text=question.decline_label[:MAX_BUTTON_TEXT], value=question.pending_id
    )
    actions = ActionsBlock(block_id=BLOCK_ID, elements=[agree, decline])
    return [SectionBlock(text=MarkdownTextObject(text=text)), actions]


class SlackConsent:
    """Asks the core's gate, shows its question, and resumes held requests by their kind."""

    def __init__(self, gate: ConsentGate, workspaces: Workspaces) -> None:
        self.gate = gate
        self.workspaces = workspaces
        self.resumers: dict[str, Resume] = {}

    async def admits(self, owner: str, workspace: str | None) -> bool:
        """Whether the owner agreed to the terms in force."""
        return await self.gate.admits(owner, workspace)

    async def _question(
        self, owner: str, kind: str, data: Mapping[str, JSONValue], workspace: str | None, locale: str | None
    ) -> Question:
        return await self.gate.ask(
            owner, "slack", {"kind": kind, **data}, commands=COMMANDS, locale=locale, workspace=workspace
        )

    async def ask_in_reply(
        self,
        respond: AsyncRespond,
        owner: str,
        kind: str,
        data: Mapping[str, JSONValue],
        *,
        workspace: str | None,
        locale: str | None = None,
    ) -> None:
        """Ask through a command's, shortcut's or button's response URL (only the asker sees it)."""
        question = await self._question(owner, kind, data, workspace, locale)
        await respond(
            text=message_text(question.text),
            blocks=question_blocks(question),
            response_type="ephemeral",
            replace_original=False,
        )

    async def ask_where(
        self, origin: Origin, kind: str, data: Mapping[str, JSONValue], *, locale: str | None = None
    ) -> None:
        """Ask where a mention or direct message came from, to the asker alone (a direct message when
        an ephemeral cannot be posted)."""
        question = await self._question(origin.owner, kind, data, origin.quota_workspace, locale)
        client = await self.workspaces.client(origin.installed_team)
        text, blocks = message_text(question.text), question_blocks(question)
        try:
            await client.chat_postEphemeral(channel=origin.channel, user=origin.user, text=text, blocks=blocks)
        except SlackApiError:
            opened = await client.conversations_open(users=origin.user)
            await client.chat_postMessage(channel=str(opened["channel"]["id"]), text=text, blocks=blocks)

    async def answer(
        self, answered: Answered, owner: str, pending_id: str, agreed: bool, locale: str | None = None
    ) -> None:
        """Record the answer to a question and resume (Agree) or drop (No thanks) what it held."""
        try:
            if not agreed:
                sentence = await self.gate.decline(pending_id, owner, locale=locale)
                await _respond(answered.respond, sentence, replace=True)
                return
            pending = await self.gate.agree(pending_id, owner, locale=locale)
        except UserError as exc:
            await _respond(answered.respond, exc.say(locale), replace=False)
            return
        resume = self.resumers.get(str(pending.resume.get("kind")))
        if resume is None:  # a kind this version does not know (written by a newer one)
            log.warning("a held Slack request of an unknown kind was dropped")
            await _respond(answered.respond, START_FAILED.say(locale), replace=True)
            return
        # Side by side: a modal must open within the press's trigger (3 s), whatever the thank-you costs.
        await asyncio.gather(
            _respond(answered.respond, self.gate.thanks(locale), replace=True), resume(pending.resume, answered)
        )


async def _respond(respond: AsyncRespond, text: str, *, replace: bool) -> None:
    try:
        await respond(text=message_text(text), response_type="ephemeral", replace_original=replace)
    except Exception as exc:  # the response URL expired or Slack is away: nothing else reaches them here
        log.warning("could not answer a consent press: %s", type(exc).__name__)


def register_consent(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the Agree / No thanks listener; the work happens after Slack's acknowledgement."""

    async def on_answer(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext,
    ) -> None:
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))
        user = str(body["user"]["id"])
        pending_id, agreed = str(action["value"]), action["action_id"] == AGREE_ACTION
        installation, trigger, token = context.team_id, body.get("trigger_id"), context.bot_token
        await ack()

        async def answer(there: ListenerContext) -> None:
            client = await there.slack.workspaces.for_request(token, installation or team)
            answered = Answered(team, user, installation, trigger, respond, client)
            await there.slack.consent.answer(answered, owner_key(team, user), pending_id, agreed)

        shared.tasks.spawn(answer, name="slack-consent")

    app.action(AGREE_ACTION)(on_answer)
    app.action(DECLINE_ACTION)(on_answer)
