"""The consent rule in the core, on a real SQLite store: what the question says, and when it is asked again."""

from __future__ import annotations

import pytest

from bot.consent.gate import ConsentAnswerRefused, ConsentGate
from bot.consent.terms import ConsentTerms, ProviderReach, RetentionInForce, consent_text
from bot.wiring.app import Core
from tests.conftest import CoreFactory
from tests.consent import COMMANDS

OWNER = "slack:T0:U1"
STUDIO = ProviderReach("studio", "Studio", runs_here=True)
AGENTAI = ProviderReach("agentai", "agent.ai", runs_here=False)
RUNFLOW = ProviderReach("runflow", "Runflow", runs_here=False)


def gate(core: Core, *providers: ProviderReach, hours: float = 24, days: float = 30, version: str = "1") -> ConsentGate:
    return ConsentGate(
        core.store,
        providers=providers or (STUDIO,),
        retention=RetentionInForce(hours, days),
        privacy_policy_url=None,
        version=version,
    )


async def agree(consents: ConsentGate, owner: str = OWNER) -> None:
    question = await consents.ask(owner, "test", {"kind": "job"}, commands=COMMANDS)
    await consents.agree(question.pending_id, owner)


def words(*providers: ProviderReach, hours: float = 24, days: float = 30, url: str | None = None) -> str:
    return consent_text(None, ConsentTerms("7", providers, RetentionInForce(hours, days), url), COMMANDS)


def test_the_text_names_what_is_kept_how_long_who_receives_the_photos_and_the_version() -> None:
    text = words(STUDIO, AGENTAI, RUNFLOW, url="https://example.com/privacy")
    assert "the photos you send, the headshots made from them, the options you choose" in text
    assert "kept 24 hours after their headshots are delivered" in text and "kept 30 days after delivery" in text
    assert "usage counts stay 32 days" in text
    assert "Studio (built into this bot: your photos never leave this server)" in text
    assert "agent.ai (a service outside this server, which receives your photos)" in text
    assert "Runflow (a service outside this server" in text
    assert "What agent.ai, Runflow do with the photos they receive is governed by their own terms" in text
    assert "trains no models" in text and "`/headshot my-data`" in text and "`/headshot forget`" in text
    assert "Privacy policy: https://example.com/privacy" in text and text.endswith("(Consent text version 7.)")
    assert len(text) < 2000  # one Discord message


def test_with_only_the_studio_nothing_is_said_about_outside_services() -> None:
    text = words(STUDIO, hours=0, days=7.5)
    assert "outside this server" not in text and "their own terms" not in text and "Privacy policy" not in text
    assert "deleted as soon as their headshots are delivered" in text and "kept 7.5 days after delivery" in text


async def test_nobody_is_admitted_before_agreeing_and_the_agreement_records_the_words(core: Core) -> None:
    consents = gate(core)
    assert not await consents.admits(OWNER)
    question = await consents.ask(OWNER, "test", {"kind": "job", "channel": "C1"}, commands=COMMANDS)
    assert not await consents.admits(OWNER)  # asking is not agreeing
    (held,) = await core.store.pending_requests(OWNER)
    held_request = await consents.agree(question.pending_id, OWNER)
    assert held_request.resume == {"kind": "job", "channel": "C1"} and held_request.id == held.id
    assert await consents.admits(OWNER) and not await consents.admits("slack:T0:U2")
    record = await core.store.latest_consent(OWNER)
    assert record is not None and record.terms.wording == question.text and record.terms.version == "1"
    assert record.terms.providers == ("studio",) and await core.store.pending_requests(OWNER) == []


async def test_a_new_version_a_new_outside_provider_or_a_longer_retention_asks_again(core: Core) -> None:
    await agree(gate(core, STUDIO, AGENTAI))
    assert await gate(core, STUDIO, AGENTAI).admits(OWNER)
    assert await gate(core, STUDIO).admits(OWNER)  # fewer receivers: nothing new to agree to
    assert await gate(core, STUDIO, AGENTAI, hours=0, days=7).admits(OWNER)  # shorter: still covered
    assert not await gate(core, STUDIO, AGENTAI, version="2").admits(OWNER)
    assert not await gate(core, STUDIO, AGENTAI, RUNFLOW).admits(OWNER)
    assert not await gate(core, STUDIO, AGENTAI, hours=48).admits(OWNER)
    assert not await gate(core, STUDIO, AGENTAI, days=31).admits(OWNER)


async def test_an_answer_counts_once_and_only_from_the_person_asked(core: Core) -> None:
    consents = gate(core)
    question = await consents.ask(OWNER, "test", {"kind": "job"}, commands=COMMANDS)
    with pytest.raises(ConsentAnswerRefused, match="for someone else"):
        await consents.agree(question.pending_id, "slack:T0:U2")
    with pytest.raises(ConsentAnswerRefused, match="for someone else"):
        await consents.decline(question.pending_id, "slack:T0:U2")
    await consents.agree(question.pending_id, OWNER)
    with pytest.raises(ConsentAnswerRefused, match="already answered"):
        await consents.agree(question.pending_id, OWNER)
    with pytest.raises(ConsentAnswerRefused, match="already answered"):
        await consents.decline(question.pending_id, OWNER)


async def test_no_thanks_keeps_no_record_and_drops_the_held_request(core: Core) -> None:
    consents = gate(core)
    question = await consents.ask(OWNER, "test", {"kind": "job"}, commands=COMMANDS)
    assert await consents.decline(question.pending_id, OWNER) == (
        "Understood: I made no headshots and kept nothing of your request."
    )
    assert await core.store.consent_records(OWNER) == [] and await core.store.pending_requests(OWNER) == []
    assert not await consents.admits(OWNER)


async def test_a_question_left_a_day_unanswered_has_expired(core: Core) -> None:
    now = [1_000_000.0]
    consents = ConsentGate(
        core.store, providers=[STUDIO], retention=RetentionInForce(24, 30), version="1", clock=lambda: now[0]
    )
    question = await consents.ask(OWNER, "test", {"kind": "job"}, commands=COMMANDS)
    now[0] += 24 * 3600 + 1
    with pytest.raises(ConsentAnswerRefused, match="has expired"):
        await consents.agree(question.pending_id, OWNER)
    assert await core.store.consent_records(OWNER) == []


async def test_the_core_asks_about_the_configured_providers_and_retention(make_core: CoreFactory) -> None:
    core = await make_core(photo_keep_hours=0, result_retention_days=14, privacy_policy_url="https://x.test/p")
    question = await core.consents.ask(OWNER, "test", {"kind": "job"}, commands=COMMANDS)
    assert "Scripted (a service outside this server" in question.text  # a provider not known to run here
    assert "deleted as soon as their headshots are delivered" in question.text
    assert "kept 14 days after delivery" in question.text and "Privacy policy: https://x.test/p" in question.text
