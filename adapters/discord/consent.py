"""The consent question on Discord: an ephemeral message with Agree / No thanks, and resuming what it held back.

The buttons are persistent components (`headshot:consent:agree:<id>`, `headshot:consent:decline:<id>`),
`DynamicItem`s registered when the client is built, so an answer given after a restart, or on
another replica, still finds its held request: the id in the `custom_id` names it in the store.
Agree records the answer and runs the held request through its ordinary path on the press's own
interaction (which becomes the status), then turns the question into a thank-you; No thanks
keeps nothing. The rule is the core's (`bot.consent.gate`); this module only draws and resumes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import discord

from adapters.discord.surface import fit
from adapters.discord.translator import discord_locale
from bot.consent.gate import ConsentGate, Question
from bot.consent.terms import DataCommands
from bot.errors import UserError
from bot.intake import START_FAILED
from bot.jobs import JSONValue

log = logging.getLogger(__name__)

COMMANDS = DataCommands(export="/headshot-my-data", forget="/headshot-forget")
PENDING = r"(?P<pending>[0-9a-f]{32})"
MAX_LABEL = 80

# Runs a held request of one kind again, on the interaction of the Agree press.
Resume = Callable[[Mapping[str, JSONValue], discord.Interaction], Awaitable[None]]


class AnswerHandler(Protocol):
    """What a press on a consent button is handed to (`DiscordConsent`)."""

    async def answer(self, interaction: discord.Interaction, pending_id: str, agreed: bool) -> None:
        """Record the answer and resume or drop the held request."""
        ...



class ConsentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"headshot:consent:(?P<answer>agree|decline):{PENDING}"
):
    """Agree or No thanks on a consent question; the `custom_id` names the held request."""

    def __init__(self, pending_id: str, agreed: bool, label: str) -> None:
        style = discord.ButtonStyle.success if agreed else discord.ButtonStyle.secondary
        custom_id = f"headshot:consent:{'agree' if agreed else 'decline'}:{pending_id}"
        super().__init__(discord.ui.Button(label=label[:MAX_LABEL], style=style, custom_id=custom_id))
        self.pending_id = pending_id
        self.agreed = agreed

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ConsentButton:
        return cls(match["pending"], match["answer"] == "agree", getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: AnswerHandler | None = getattr(interaction.client, "consent", None)
        if handler is None:
            raise RuntimeError("the Discord client has no consent handler")
        await handler.answer(interaction, self.pending_id, self.agreed)


def question_view(question: Question) -> discord.ui.View:
    """The question's two buttons."""
    view = discord.ui.View(timeout=None)
    view.add_item(ConsentButton(question.pending_id, True, question.agree_label))
    view.add_item(ConsentButton(question.pending_id, False, question.decline_label))
    return view


def _question_address(interaction: discord.Interaction) -> dict[str, JSONValue]:
    """Where the question will be, so it can be changed once answered (the asking interaction's answer)."""
    return {"application_id": str(interaction.application_id), "token": interaction.token}


class DiscordConsent:
    """Asks the core's gate, shows its question to the asker alone, and resumes held requests by kind."""

    def __init__(self, gate: ConsentGate, client: discord.Client) -> None:
        self.gate = gate
        self.client = client
        self.resumers: dict[str, Resume] = {}

    async def admits(self, owner: str, workspace: str | None) -> bool:
        """Whether the owner agreed to the terms in force."""
        return await self.gate.admits(owner, workspace)

    async def ask(
        self,
        interaction: discord.Interaction,
        owner: str,
        kind: str,
        data: Mapping[str, JSONValue],
        workspace: str | None,
        *,
        in_place: bool,
    ) -> None:
        """Hold the request and ask, to the asker alone, on an interaction already deferred: in place of its
        answer when that is ephemeral (`in_place`), else instead of it (the public "thinking" goes)."""
        held = {**data, "kind": kind, "question": _question_address(interaction)}
        question = await self.gate.ask(
            owner, "discord", held, commands=COMMANDS, locale=discord_locale(interaction), workspace=workspace
        )
        view = question_view(question)
        if in_place:
            await interaction.edit_original_response(content=fit(question.text), view=view)
            return
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.warning("could not remove the answer to interaction %s", interaction.id)
        await interaction.followup.send(fit(question.text), view=view, ephemeral=True)

    async def answer(self, interaction: discord.Interaction, pending_id: str, agreed: bool) -> None:
        """Record the answer; resume the held request on this interaction (Agree) or drop it (No thanks)."""
        owner, locale = f"discord:{interaction.user.id}", discord_locale(interaction)
        try:
            if not agreed:
                sentence = await self.gate.decline(pending_id, owner, locale=locale)
                await interaction.response.edit_message(content=fit(sentence), view=None)
                return
            pending = await self.gate.agree(pending_id, owner, locale=locale)
        except UserError as exc:
            await interaction.response.send_message(fit(str(exc)), ephemeral=True)
            return
        resume = self.resumers.get(str(pending.resume.get("kind")))
        if resume is None:  # a kind this version does not know (written by a newer one)
            log.warning("a held Discord request of an unknown kind was dropped")
            await interaction.response.send_message(START_FAILED, ephemeral=True)
            return
        await resume(pending.resume, interaction)
        if interaction.message is not None:
            await self._settle_question(
                pending.resume.get("question"), interaction.message.id, self.gate.thanks(locale)
            )

    async def _settle_question(self, address: JSONValue, message_id: int, text: str) -> None:
        """The answered question loses its buttons and says thank you: an ephemeral message can be changed
        only through the interaction that made it (while it lives, 15 minutes)."""
        if not isinstance(address, dict):
            return
        route = discord.http.Route(
            "PATCH",
            "/webhooks/{application_id}/{token}/messages/{message_id}",
            application_id=str(address.get("application_id")),
            token=str(address.get("token")),
            message_id=message_id,
        )
        try:
            await self.client.http.request(route, json={"content": fit(text), "components": []})
        except discord.HTTPException as exc:
            log.info("an answered consent question could not be changed any more (%s)", exc.status)
