"""Quotas on Discord: an ephemeral refusal before any download, what is left as the provider is typed, usage."""

from __future__ import annotations

from typing import Any

import pytest

from bot.ports import Provider
from bot.quotas import Limit, Period, QuotaPolicy, Scope
from tests.discord.conftest import CHANNEL, GUILD, OWNER, Harness, HarnessFactory, payload
from tests.discord.fake_discord import EPHEMERAL
from tests.discord.test_discord_commands import option
from tests.doubles import ScriptedProvider
from tests.test_quotas import Clock

LIMITS = QuotaPolicy((
    Limit("scripted", Scope.USER, Period.DAY, 2), Limit("scripted", Scope.WORKSPACE, Period.MONTH, 40),
))


@pytest.fixture
def scripted() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
def extra_providers(scripted: ScriptedProvider) -> dict[str, Provider]:
    return {"scripted": scripted}


async def limited(make_harness: HarnessFactory) -> Harness:
    harness = await make_harness(quotas=LIMITS)
    harness.core.quotas.clock = Clock("2026-11-21 18:50")
    return harness


def in_dm(harness: Harness, data: dict[str, Any]) -> dict[str, Any]:
    dm = payload("headshot_command_dm")
    for key in ("channel", "channel_id", "context", "user", "authorizing_integration_owners"):
        if key in dm:
            data[key] = dm[key]
    data.pop("guild_id", None)
    data.pop("member", None)
    data.pop("guild", None)
    return data


async def test_over_the_limit_is_an_ephemeral_sentence_and_nothing_is_downloaded(
    make_harness: HarnessFactory, scripted: ScriptedProvider
) -> None:
    harness = await limited(make_harness)
    fake = harness.fake
    await harness.send(harness.portrait_command(option("provider", "scripted"), option("count", 2)))
    await harness.run_jobs()
    assert len(scripted.calls) == 1
    downloads = [s for s in fake.seen if s.path.startswith("/attachments/")]

    await harness.send(harness.portrait_command(option("provider", "scripted")))
    (followup,) = fake.followups
    assert followup["message"]["flags"] & EPHEMERAL
    assert followup["message"]["content"] == (
        "You have used 2 of your 2 Scripted headshots for today; the allowance resets at 00:00 UTC, in 5 h 10 min."
    )
    assert [s for s in fake.seen if s.path.startswith("/attachments/")] == downloads
    assert len(fake.deleted) == 1 and len(scripted.calls) == 1
    assert len(await harness.core.service.recent_jobs(OWNER)) == 1


async def test_with_limits_the_provider_is_suggested_with_what_is_left(make_harness: HarnessFactory) -> None:
    harness = await limited(make_harness)
    options = {o["name"]: o for o in harness.fake.commands["global"][0]["options"]}
    assert options["provider"].get("autocomplete") and not options["provider"].get("choices")
    await harness.send(harness.portrait_command(option("provider", "scripted"), option("count", 1)))
    await harness.run_jobs()

    typing = harness.command([{"name": "provider", "type": 3, "value": "", "focused": True}])
    typing["type"] = 4
    await harness.send(typing)
    suggested = harness.fake.callbacks[-1]["body"]
    assert suggested["type"] == 8
    assert suggested["data"]["choices"] == [
        {"name": "Studio — offline framing, background and tone, free, a few seconds", "value": "studio"},
        {"name": "Scripted — 1 left today", "value": "scripted"},
    ]
    narrowed = harness.command([{"name": "provider", "type": 3, "value": "scri", "focused": True}])
    narrowed["type"] = 4
    await harness.send(narrowed)
    assert [c["value"] for c in harness.fake.callbacks[-1]["body"]["data"]["choices"]] == ["scripted"]


async def test_without_limits_the_choices_stay_fixed(harness: Harness) -> None:
    options = {o["name"]: o for o in harness.fake.commands["global"][0]["options"]}
    assert options["provider"]["choices"] and not options["provider"].get("autocomplete")


async def test_usage_is_ephemeral_and_a_dm_counts_as_the_users_own_workspace(make_harness: HarnessFactory) -> None:
    harness = await limited(make_harness)
    await harness.send(harness.portrait_command(option("provider", "scripted"), option("count", 2)))
    await harness.run_jobs()
    await harness.send(harness.command(name="headshot-usage"))
    answer = harness.fake.callbacks[-1]["body"]["data"]
    assert answer["flags"] & EPHEMERAL
    assert answer["content"] == (
        "Your headshot allowance (UTC):\n"
        "• Scripted: You used 2 of 2 today (0 left); resets at 00:00 UTC, in 5 h 10 min.\n"
        "• Scripted: This workspace used 2 of 40 this month (38 left); resets on 1 December at 00:00 UTC, in 9 days."
    )
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    assert job.workspace == f"discord:{GUILD}"

    await harness.send(in_dm(harness, harness.command(name="headshot-usage")))
    in_private = harness.fake.callbacks[-1]["body"]["data"]["content"]
    assert "You used 2 of 2 today" in in_private and "This workspace used 0 of 40" in in_private
    assert CHANNEL not in in_private
