"""The brand kit on Discord: `/headshot-admin` for members with Manage Server, `/headshot` held to it."""

from __future__ import annotations

from typing import Any

import discord

from bot.brand_kit import BrandKit
from bot.workspace_retention import KeepFor
from tests.discord.conftest import GUILD, OWNER, Harness
from tests.discord.fake_discord import EPHEMERAL
from tests.discord.test_discord_commands import option
from tests.discord.test_discord_quotas import in_dm

WORKSPACE = f"discord:{GUILD}"
MANAGER = str(discord.Permissions(2248473465835073 | discord.Permissions(manage_guild=True).value).value)


def admin_command(harness: Harness, *options: dict[str, Any], manager: bool = True) -> dict[str, Any]:
    data = harness.command(list(options), name="headshot-admin")
    if manager:
        data["member"]["permissions"] = MANAGER
    return data


def flag(name: str, value: bool) -> dict[str, Any]:
    return {"name": name, "type": 5, "value": value}


def answer(harness: Harness) -> dict[str, Any]:
    data: dict[str, Any] = harness.fake.callbacks[-1]["body"]["data"]
    assert data["flags"] & EPHEMERAL
    return data


async def test_the_command_is_offered_to_server_managers(harness: Harness) -> None:
    [synced] = [c for cs in harness.fake.commands.values() for c in cs if c["name"] == "headshot-admin"]
    assert int(synced["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert {o["name"] for o in synced["options"]} >= {"styles", "backgrounds", "attire", "aspect_ratios", "lock"}


async def test_a_member_without_manage_server_gets_one_sentence(harness: Harness) -> None:
    await harness.send(admin_command(harness, option("styles", "casual"), manager=False))
    assert answer(harness)["content"] == "Only this workspace's admins can change its headshot settings."
    assert await harness.core.store.brand_kit(WORKSPACE) is None


async def test_a_manager_sets_the_kit_with_words_and_sees_it(harness: Harness) -> None:
    await harness.send(
        admin_command(
            harness, option("styles", "Executive, professional"), option("backgrounds", "studio white, office")
        )
    )
    assert answer(harness)["content"] == (
        "Saved. Headshots in this server now follow: Styles: Professional, Executive; "
        "Backgrounds: Studio white, Office. It keeps photos 24 hours after their job ends, results 30 days."
    )
    assert await harness.core.store.brand_kit(WORKSPACE) == BrandKit(
        style=("professional", "executive"), background=("studio_white", "office")
    )

    await harness.send(admin_command(harness, option("aspect_ratios", "3:4")))  # the rest stays
    kit = await harness.core.store.brand_kit(WORKSPACE)
    assert kit is not None and kit.style == ("professional", "executive") and kit.aspect_ratio == ("3:4",)
    await harness.send(admin_command(harness))
    assert answer(harness)["content"].startswith("Headshots in this server follow: Styles: Professional, Executive;")


async def test_a_word_that_is_no_choice_and_a_lock_of_two_are_refused(harness: Harness) -> None:
    await harness.send(admin_command(harness, option("styles", "glamorous")))
    assert answer(harness)["content"].startswith("“glamorous” is not one of the choices; pick from: Professional,")
    await harness.send(admin_command(harness, option("styles", "executive, casual"), flag("lock", True)))
    assert "exactly one value of each" in answer(harness)["content"]
    assert await harness.core.store.brand_kit(WORKSPACE) is None


async def test_a_locked_look_is_one_look_for_everyone(harness: Harness) -> None:
    await harness.send(
        admin_command(
            harness,
            option("styles", "executive"),
            option("backgrounds", "office"),
            option("attire", "business formal"),
            option("aspect_ratios", "3:4"),
            flag("lock", True),
        )
    )
    assert answer(harness)["content"] == (
        "Saved. Headshots in this server now follow: Executive, Office, Business formal, 3:4. "
        "It keeps photos 24 hours after their job ends, results 30 days."
    )
    await harness.send(harness.portrait_command(option("style", "casual")))
    [refusal] = harness.fake.followups
    assert refusal["message"]["flags"] & EPHEMERAL
    assert refusal["message"]["content"] == (
        "This workspace uses one look for everyone: Executive, Office, Business formal, 3:4."
    )
    assert await harness.core.store.jobs_for_owner(OWNER) == []

    await harness.send(harness.portrait_command())  # naming nothing, it gets the look
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    assert (job.options.style, job.options.background, job.options.aspect_ratio) == ("executive", "office", "3:4")


async def test_in_a_direct_message_there_is_no_server_to_set(harness: Harness) -> None:
    await harness.send(in_dm(harness, admin_command(harness, option("styles", "casual"))))
    assert answer(harness)["content"] == "A brand kit belongs to a server: use /headshot-admin in one."


def number(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": 10, "value": value}


async def test_a_manager_shortens_the_keeps_never_past_the_bots(harness: Harness) -> None:
    await harness.send(admin_command(harness, number("photo_keep_hours", 48)))
    assert answer(harness)["content"] == "Photos can be kept from 0 up to 24 hours after their job ends on this bot."
    await harness.send(admin_command(harness, number("photo_keep_hours", 0.5), number("result_retention_days", 7)))
    assert answer(harness)["content"].endswith("It keeps photos 30 minutes after their job ends, results 7 days.")
    await harness.send(admin_command(harness, number("result_retention_days", 30)))  # back to the bot's
    assert answer(harness)["content"].endswith("It keeps photos 30 minutes after their job ends, results 30 days.")
    assert await harness.core.store.workspace_keep(WORKSPACE) == KeepFor(0.5, None)
    await harness.send(admin_command(harness, number("photo_keep_hours", 1), manager=False))
    assert await harness.core.store.workspace_keep(WORKSPACE) == KeepFor(0.5, None)
