"""Start-up: command sync, the gateway named by `GET /gateway/bot`, and the invite link."""

from __future__ import annotations

import asyncio

import discord
import pytest

from adapters.discord.invite import InvalidToken, application_id, invite_url, user_install_url
from tests.discord.conftest import CHANNEL, HarnessFactory, payload
from tests.discord.fake_discord import EPHEMERAL, FakeDiscord
from tests.discord.shapes import APP_ID, TOKEN


async def test_commands_are_synced_globally_with_the_configured_providers(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    synced = {c["name"]: c for c in harness.fake.commands["global"]}
    assert set(synced) == {
        "headshot", "Make headshots", "headshot-status", "headshot-settings", "headshot-usage", "headshot-my-data",
        "headshot-forget", "headshot-favourites", "headshot-admin",
    }
    assert synced["Make headshots"]["type"] == 3
    options = {o["name"]: o for o in synced["headshot"]["options"]}
    assert [options[n]["type"] for n in ("photo", "photo2", "photo3")] == [11, 11, 11]
    assert options["photo"]["required"] and not options["photo2"].get("required")
    providers = options["provider"]["choices"]
    assert [(p["name"], p["value"]) for p in providers] == [
        ("Studio — offline framing, background and tone, free, a few seconds", "studio")
    ]
    assert providers[0]["name_localizations"]["de"].startswith("Studio — Zuschnitt")
    ratios = [c["value"] for c in options["aspect_ratio"]["choices"]]
    assert ratios == ["1:1", "3:4", "4:3", "2:3", "3:2", "9:16", "16:9"]
    assert [c["value"] for c in options["count"]["choices"]] == [1, 2, 3, 4]
    assert all(o["description"] for o in options.values())


async def test_commands_are_synced_to_each_listed_guild(make_harness: HarnessFactory) -> None:
    harness = await make_harness(discord_guild_ids="111,222")
    assert set(harness.fake.commands) == {"111", "222"}
    for guild in ("111", "222"):
        assert {c["name"] for c in harness.fake.commands[guild]} >= {"headshot", "Make headshots"}
    paths = [s.path for s in harness.fake.seen if s.method == "PUT"]
    assert paths == [f"/api/v10/applications/{APP_ID}/guilds/111/commands",
                     f"/api/v10/applications/{APP_ID}/guilds/222/commands"]


async def test_start_connects_through_the_gateway_that_the_rest_root_names(make_harness: HarnessFactory) -> None:
    harness = await make_harness(login=False)
    fake: FakeDiscord = harness.fake
    await asyncio.wait_for(harness.adapter.start(), timeout=20)
    assert harness.adapter.exclusive is not None and not fake.identified  # REST only, until the lease is held
    await asyncio.wait_for(harness.adapter.exclusive.open(), timeout=20)

    assert harness.adapter.client.is_ready()
    (identify,) = fake.identified
    assert identify["token"] == TOKEN
    assert identify["intents"] == discord.Intents(guilds=True).value
    order = [s.path for s in fake.seen if s.path in ("/api/v10/gateway/bot", "/gateway")]
    assert order == ["/api/v10/gateway/bot", "/gateway"]

    # An interaction arriving over that gateway is handled like any other.
    status = payload("headshot_command")
    status["data"] = {"id": "1187000000000000301", "name": "headshot-status", "type": 1}
    fake.interaction(status)
    await fake.dispatch("INTERACTION_CREATE", status)
    for _ in range(100):
        if fake.callbacks:
            break
        await asyncio.sleep(0.05)
    (answer,) = fake.callbacks
    assert answer["body"]["data"]["flags"] & EPHEMERAL
    assert "no headshot jobs" in answer["body"]["data"]["content"]
    assert fake.channel_posts(CHANNEL) == []

    await harness.adapter.stop()
    assert harness.adapter.client.is_closed()


def test_invite_url_asks_for_exactly_the_needed_permissions() -> None:
    url = invite_url(TOKEN)
    view, send, attach, history = 1 << 10, 1 << 11, 1 << 15, 1 << 16
    create_public_threads, send_in_threads = 1 << 35, 1 << 38
    expected = view | send | attach | history | create_public_threads | send_in_threads
    assert expected == 309237746688
    assert url == (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
        f"&scope=bot%20applications.commands&permissions={expected}&integration_type=0"
    )
    assert user_install_url(TOKEN) == (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}&scope=applications.commands&integration_type=1"
    )


def test_the_application_id_comes_from_the_token_without_a_network_call() -> None:
    assert application_id(TOKEN) == int(APP_ID)
    assert application_id("MTIzNDU2Nzg5MDEyMzQ1Njc4.GhXk2Q.x") == 123456789012345678
    with pytest.raises(InvalidToken):
        application_id("not a token!")
    with pytest.raises(InvalidToken):
        invite_url(None)
