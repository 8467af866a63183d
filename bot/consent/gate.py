"""The consent rule every chat surface goes through before it fetches a photo.

A person who has not agreed to the terms in force is asked instead of served: their request is
held (`PendingRequest`: ids and links only, never a photo's bytes) under an id that the
question's buttons carry. Agree records who, when, the version and the exact words, and hands
the held request back to its surface to run through the ordinary intake; No thanks drops it and
keeps nothing. `forget` deletes agreements and held requests with everything else, so a
forgotten person is asked again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.consent.records import ConsentRecord, PendingRequest
from bot.consent.terms import CONSENT_VERSION, ConsentTerms, DataCommands, ProviderReach, RetentionInForce
from bot.errors import UserError
from bot.i18n import t
from bot.jobs import JSONValue
from bot.ports import ConsentLog

# An unanswered question's request is dropped after this long (platforms' signed photo links expire within a day).
PENDING_KEEP_S = 24 * 3600.0


@dataclass(frozen=True)
class Question:
    """What a surface shows: the words, the two buttons' labels, and the id both buttons carry."""

    pending_id: str
    text: str
    agree_label: str
    decline_label: str


class ConsentAnswerRefused(UserError):
    """A press on a consent button that can do nothing (someone else's question, or one already answered);
    the message says so to whoever pressed."""


class ConsentGate:
    """Decides whether a person may be served, asks them when not, and records their answer."""

    def __init__(
        self,
        log: ConsentLog,
        *,
        providers: Sequence[ProviderReach],
        retention: RetentionInForce,
        privacy_policy_url: str | None = None,
        version: str = CONSENT_VERSION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._log = log
        self._providers = tuple(providers)
        self._retention = retention
        self._privacy_policy_url = privacy_policy_url
        self.version = version
        self._clock = clock

    def terms(self, workspace: str | None = None) -> ConsentTerms:
        """The terms in force where a person asks (`workspace`: where a shorter retention may apply)."""
        return ConsentTerms(self.version, self._providers, self._retention, self._privacy_policy_url)

    async def admits(self, owner: str, workspace: str | None = None) -> bool:
        """Whether the owner's agreement covers the terms in force. Surfaces ask after their platform's
        acknowledgement, so a busy store is waited for rather than taken for one that is away."""
        return self.terms(workspace).covered_by(await self._log.latest_consent(owner))

    async def ask(
        self,
        owner: str,
        surface: str,
        resume: Mapping[str, JSONValue],
        *,
        commands: DataCommands,
        locale: str | None = None,
        workspace: str | None = None,
    ) -> Question:
        """Hold a request (`resume`: what its surface needs to run it later) and word its question."""
        shown = self.terms(workspace).shown(locale, commands)
        now = self._clock()
        pending = PendingRequest(uuid.uuid4().hex, owner, surface, dict(resume), shown, now)
        await self._log.add_pending_request(pending, drop_before=now - PENDING_KEEP_S)
        return Question(pending.id, shown.wording, t(locale, "Agree"), t(locale, "No thanks"))

    async def agree(self, pending_id: str, answerer: str, *, locale: str | None = None) -> PendingRequest:
        """Record the answerer's agreement to the words they were shown and hand back their held request,
        once; raises `ConsentAnswerRefused` for someone else's question or one already answered."""
        pending = await self._waiting(pending_id, answerer, locale)
        await self._log.record_consent(ConsentRecord(pending.owner, pending.terms, self._clock()))
        if not await self._log.end_pending_request(pending.id):  # a second press, at the same moment
            raise ConsentAnswerRefused(t(locale, "You already answered this question."))
        return pending

    async def decline(self, pending_id: str, answerer: str, *, locale: str | None = None) -> str:
        """Drop the held request and keep nothing; returns the one sentence for the person."""
        pending = await self._waiting(pending_id, answerer, locale)
        await self._log.end_pending_request(pending.id)
        return t(locale, "Understood: I made no headshots and kept nothing of your request.")

    def thanks(self, locale: str | None = None) -> str:
        """What an answered question turns into after Agree."""
        return t(locale, "Thank you; your answer is recorded. Starting on your request…")

    async def _waiting(self, pending_id: str, answerer: str, locale: str | None) -> PendingRequest:
        pending = await self._log.pending_request(pending_id)
        if pending is None or pending.created_at < self._clock() - PENDING_KEEP_S:
            raise ConsentAnswerRefused(
                t(locale, "This question was already answered or has expired; send your request again if you like.")
            )
        if pending.owner != answerer:
            raise ConsentAnswerRefused(t(locale, "This question is for someone else."))
        return pending
