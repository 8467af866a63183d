"""The real discord.py client and our adapter on a real core, against the fake Discord."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import discord
import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.surface import DiscordThread
from bot.ports import Generated, GenerationInput, Provider, ResultImage
from bot.request import Capabilities
from bot.wiring.app import Core, build_core, discord_adapter
from tests.conftest import make_settings
from tests.consent import agree
from tests.discord import shapes
from tests.discord.fake_discord import FakeDiscord
from tests.discord.shapes import TOKEN, snowflake
from tests.doubles import jpeg
from tests.images import astronaut_jpeg

PAYLOADS = Path(__file__).parent / "payloads"
GUILD = "1187000000000000100"
CHANNEL = "1187000000000000200"
USER_ID = "1187000000000000500"
OWNER = f"discord:{USER_ID}"
ALL_NEEDED = 311455763521  # a typical bot role: everything the bot needs and a little more


@cache
def _raw(name: str) -> str:
    return (PAYLOADS / f"{name}.json").read_text()


def payload(name: str) -> dict[str, Any]:
    """A recorded payload from `payloads/`, with a fresh interaction id and token."""
    data = cast(dict[str, Any], json.loads(_raw(name)))
    if "token" in data:
        data["id"] = snowflake()
        data["token"] = f"interaction-token-{data['id']}"
    return data


def permissions(**without: bool) -> str:
    """`app_permissions` of the typical role with some permissions taken away."""
    value = discord.Permissions(ALL_NEEDED)
    value.update(**{name: False for name in without})
    return str(value.value)


@dataclass
class PackProvider:
    """A provider that answers at once with a pack of `size` small JPEGs (a Runflow-sized pack)."""

    size: int = 60
    name: str = "pack"
    calls: int = 0
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(
        label="Pack", description="Pack — a fixed pack of headshots", min_photos=1, max_photos=None,
        min_outputs=60, max_outputs=60, honours=frozenset(), expected_seconds=1,
    ))

    def wait_seconds(self) -> float:
        return 0.0

    async def generate(self, task: GenerationInput) -> Generated:
        self.calls += 1
        return Generated(images=[ResultImage(data=jpeg(48, 48, n)) for n in range(self.size)], remote_id="pack-1")


@dataclass
class Harness:
    """A logged-in adapter on a real core, and ways to act like Discord towards it."""

    fake: FakeDiscord
    core: Core
    adapter: DiscordAdapter

    @property
    def surface(self) -> DiscordThread:
        return cast(DiscordThread, self.adapter.surface)

    def command(self, options: list[dict[str, Any]] | None = None, *, files: list[tuple[str, bytes, str]] | None = None,
                name: str = "headshot", app_permissions: str | None = None) -> dict[str, Any]:
        """A slash command payload; `files` become attachment options hosted on the fake CDN."""
        data = payload("headshot_command")
        data["data"]["name"] = name
        data["data"]["options"] = list(options or [])
        data["data"]["resolved"] = {"attachments": {}}
        for n, (filename, body, kind) in enumerate(files or []):
            attachment = {**self.fake.add_file(CHANNEL, filename, body, kind), "ephemeral": True}
            data["data"]["resolved"]["attachments"][attachment["id"]] = attachment
            data["data"]["options"].insert(n, {"name": "photo" if n == 0 else f"photo{n + 1}", "type": 11,
                                               "value": attachment["id"]})
        if not data["data"]["options"]:
            del data["data"]["options"]
        if app_permissions is not None:
            data["app_permissions"] = app_permissions
        return data

    def portrait_command(self, *options: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """`/headshot` with the astronaut portrait and the given options."""
        return self.command(list(options), files=[("me.jpg", astronaut_jpeg(), "image/jpeg")], **kwargs)

    def press(self, message: dict[str, Any], custom_id: str, *, values: list[str] | None = None,
              user: dict[str, Any] | None = None) -> dict[str, Any]:
        """The INTERACTION_CREATE (type 3) Discord sends when someone (the asker unless `user` says otherwise)
        uses a component of a message the bot sent, as the fake has that message."""
        data = payload("component_select" if values is not None else "component_button")
        data["data"]["custom_id"] = custom_id
        if values is not None:
            data["data"]["values"] = values
        data["message"] = message
        data["channel_id"] = channel_id = message["channel_id"]
        guild = self.fake.guild_of(channel_id)
        if guild is None:  # a direct message: a user, no member, no guild
            for key in ("guild", "guild_id", "guild_locale", "member"):
                del data[key]
            data.update(context=1, authorizing_integration_owners={"0": "0"}, user=user or payload(
                "component_button")["member"]["user"], channel=shapes.dm_channel(channel_id, USER_ID))
        else:
            data["channel"] = self.fake.channel_object(channel_id, guild)
            if user is not None:
                data["member"]["user"] = user
        return data

    async def send(self, data: dict[str, Any]) -> None:
        """Deliver an INTERACTION_CREATE as the gateway would, and wait for its handler to finish."""
        before = {t for t in asyncio.all_tasks() if _is_handler(t)}
        self.fake.interaction(data)
        self.adapter.client._connection.parse_interaction_create(data)  # type: ignore[arg-type]
        await asyncio.sleep(0)
        running = {t for t in asyncio.all_tasks() if _is_handler(t)} - before
        await asyncio.wait_for(asyncio.gather(*running), timeout=20)

    async def run_jobs(self) -> None:
        await self.core.runner.run_until_idle()


def _is_handler(task: asyncio.Task[Any]) -> bool:
    """Whether a task runs an interaction's handler: a command's, or a component's (a persistent one too)."""
    return task.get_name() == "CommandTree-invoker" or task.get_name().startswith("discord-ui-")


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()


@pytest.fixture
def extra_providers() -> dict[str, Provider]:
    """Providers a test module runs beside the configured ones (override it in the module)."""
    return {}


@pytest.fixture
async def make_harness(
    tmp_path: Path, fake: FakeDiscord, extra_providers: dict[str, Provider]
) -> AsyncIterator[HarnessFactory]:
    """Build (and afterwards tear down) a logged-in harness; keyword arguments go to Settings."""
    built: list[Harness] = []

    async def make(*, login: bool = True, consented: bool = True, **settings: Any) -> Harness:
        config = make_settings(tmp_path, discord_token=TOKEN, discord_api_base_url=fake.api, **settings)
        core = await build_core(config, providers=extra_providers)
        adapter: DiscordAdapter = discord_adapter(config, core)
        if consented:  # the tests' person has agreed to the consent question already
            await agree(core, OWNER)
        cast(DiscordThread, adapter.surface).retry_delay = 0.01
        harness = Harness(fake, core, adapter)
        built.append(harness)
        if login:
            await adapter.login()
        return harness

    yield make
    for harness in built:
        await harness.adapter.stop()
        await harness.core.close()


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness()
