"""Discord in each person's language, localized commands, and the app installed by a person for themselves."""

from __future__ import annotations

import time
from typing import Any

import pytest

from adapters.discord.surface import MAX_FOLLOW_UPS
from bot.ports import Provider
from tests.discord.conftest import CHANNEL, USER_ID, Harness, HarnessFactory, PackProvider
from tests.discord.fake_discord import EPHEMERAL


@pytest.fixture
def extra_providers() -> dict[str, Provider]:
    return {"pack": PackProvider()}


def option(name: str, value: object) -> dict[str, object]:
    kinds = {int: 4, str: 3, bool: 5}
    return {"name": name, "type": kinds[type(value)], "value": value}


def speaking(data: dict[str, Any], locale: str, guild_locale: str | None = None) -> dict[str, Any]:
    data["locale"] = locale
    if guild_locale is not None:
        data["guild_locale"] = guild_locale
    return data


def installed_by_the_person(data: dict[str, Any]) -> dict[str, Any]:
    """The interaction from a server that did not add the bot: the person installed the app for themselves."""
    data["authorizing_integration_owners"] = {"1": USER_ID}
    data["app_permissions"] = "0"
    return data


async def test_a_german_server_reads_german_and_a_japanese_person_gets_japanese_answers(harness: Harness) -> None:
    fake = harness.fake
    await harness.send(speaking(harness.portrait_command(option("background", "office")), "de", "de"))
    [status] = fake.channel_posts(CHANNEL)
    thread = fake.threads[status["id"]]
    assert thread["name"] == "Porträts für Ada"
    await harness.run_jobs()
    assert status["content"].startswith("✅ 1 Porträt mit Studio (Professionell, Büro, 1:1) — fertig: 1 im Thread")
    [result] = fake.channel_posts(thread["id"])
    assert result["content"].startswith("Porträt 1 von 1")

    await harness.send(speaking(harness.command(name="headshot-status"), "ja"))
    listing = fake.callbacks[-1]["body"]["data"]
    assert listing["flags"] & EPHEMERAL
    assert "完了: 1枚" in listing["content"]
    assert "Studio で1枚 (プロフェッショナル, オフィス, 1:1)" in listing["content"]

    await harness.send(speaking(harness.command([option("style", "editorial")], name="headshot-settings"), "pt-BR"))
    saved = fake.callbacks[-1]["body"]["data"]["content"]
    assert saved.startswith("Salvo. Seus padrões: Studio, Editorial, Estúdio branco, Roupa própria, 1 retrato")

    pdf = b"%PDF-1.7\n" * 50
    await harness.send(speaking(harness.command(files=[("cv.jpg", pdf, "image/jpeg")]), "es-419", "en-US"))
    refusal = fake.followups[-1]["message"]
    assert refusal["flags"] & EPHEMERAL and "no es una imagen (parece un documento PDF)" in refusal["content"]


async def test_a_public_status_speaks_the_servers_language_and_a_private_one_the_persons(harness: Harness) -> None:
    fake = harness.fake
    await harness.send(speaking(harness.portrait_command(), "ja", "fr"))
    await harness.run_jobs()
    [status] = fake.channel_posts(CHANNEL)
    assert status["content"].startswith("✅ 1 portrait avec Studio")
    await harness.send(speaking(harness.portrait_command(option("private", True)), "ja", "fr"))
    await harness.run_jobs()
    dm = fake.dms[USER_ID]
    assert fake.channel_posts(dm)[0]["content"].startswith("✅ Studio で1枚")


async def test_synced_commands_carry_localizations_and_every_install_and_context(harness: Harness) -> None:
    synced = {c["name"]: c for c in harness.fake.commands["global"]}
    assert set(synced) == {"headshot", "Make headshots", "headshot-status", "headshot-settings", "headshot-usage",
                           "headshot-forget", "headshot-my-data", "headshot-favourites", "headshot-admin"}
    admin = synced.pop("headshot-admin")  # a server's own setting: installed with the bot, used in the server
    assert admin["integration_types"] == [0] and admin["contexts"] == [0]
    for command in synced.values():
        assert command["integration_types"] == [0, 1] and sorted(command["contexts"]) == [0, 1, 2]
    headshot = synced["headshot"]
    assert "name_localizations" not in headshot or not headshot["name_localizations"]  # names stay English
    described = headshot["description_localizations"]
    assert described["de"] == "Mach aus Porträtfotos KI-Porträts" and described["ja"].startswith("ポートレート写真")
    assert {"de", "fr", "es-ES", "es-419", "pt-BR", "ja"} <= set(described)
    options = {o["name"]: o for o in headshot["options"]}
    white = next(c for c in options["background"]["choices"] if c["value"] == "studio_white")
    assert white["name"] == "Studio white" and white["name_localizations"]["de"] == "Studio weiß"
    assert options["style"]["description_localizations"]["fr"] == "Le style des portraits"
    assert synced["Make headshots"]["name_localizations"]["de"] == "Porträts erstellen"


async def test_installed_by_a_person_results_arrive_as_follow_ups_and_nothing_is_posted_in_the_channel(
    harness: Harness,
) -> None:
    fake = harness.fake
    command = installed_by_the_person(speaking(harness.portrait_command(option("count", 2)), "de", "en-US"))
    await harness.send(command)
    await harness.run_jobs()
    assert fake.threads == {} and not any(s.path.startswith(f"/api/v10/channels/{CHANNEL}") for s in fake.seen)
    original = fake.originals[command["token"]]
    assert original["content"].startswith("✅ 2 Porträts mit Studio")
    assert "Ich bin hier kein Mitglied" in original["content"]  # the person's language: only they use the app here
    mine = [f for f in fake.followups if f["token"] == command["token"]]
    assert len(mine) == 1 and mine[0]["message"]["content"].startswith("Porträts 1–2 von 2")
    assert len([u for u in fake.uploads if u.message_id == "followup"]) == 2


async def test_a_pack_where_the_app_is_not_in_the_server_is_its_contact_sheet_and_the_gallery_link(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(public_base_url="https://headshots.example.com")
    fake = harness.fake
    command = installed_by_the_person(harness.portrait_command(option("provider", "pack")))
    await harness.send(command)
    await harness.run_jobs()
    mine = [f["message"]["content"] for f in fake.followups if f["token"] == command["token"]]
    assert len(mine) <= MAX_FOLLOW_UPS
    assert mine[0].startswith("All 60 headshots at a glance; the gallery link below has every one at full size")
    assert mine[1].startswith("All 60 headshots on one page")
    assert [u.filename for u in fake.uploads] == ["contact-sheet.jpg"]
    assert fake.originals[command["token"]]["content"].startswith("✅ 60 headshots with Pack")


async def test_results_later_than_the_answers_fifteen_minutes_come_by_direct_message(harness: Harness) -> None:
    fake = harness.fake
    command = installed_by_the_person(harness.portrait_command())
    await harness.send(command)
    harness.surface.clock = lambda: time.time() + 3600  # an hour later: the interaction token is dead
    await harness.run_jobs()
    assert [f for f in fake.followups if f["token"] == command["token"]] == []
    [result] = fake.channel_posts(fake.dms[USER_ID])
    assert result["content"].startswith("Headshot 1 of 1") and len(result["attachments"]) == 1
    assert fake.originals[command["token"]]["content"].startswith("⏳")  # nothing can edit the answer any more
