"""Discord defer latency: INTERACTION_CREATE to the defer callback at a fake Discord REST server.

200 `/headshot` interactions, each with a portrait attachment on the fake's CDN and from its own
user, are handed to discord.py the way the gateway would (`parse_interaction_create`), all at
once; the figure is the time from each dispatch to its callback arriving at the fake. The same
is done against a bare discord.py client whose `/headshot` only defers. Both log in to the same
fake; the project's core sits behind the real one (its job runner is not started, for the
reason given in `benchmarks.slack_ack`). The work each burst starts after its defers (downloads,
status messages, threads) is left to finish before the next round. The fake runs in this
process, so its handling of that work is charged to the real side. Rounds alternate after one
untimed warm-up burst per side.
"""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from benchmarks.common import make_settings, ms, percentile
from benchmarks.table import Row

REQUESTS = 200
RATIO_TARGET = 1.25
ROUND_TIMEOUT_S = 30.0


def available() -> bool:
    """Whether the Discord adapter and its test fake exist in this checkout."""
    return all(importlib.util.find_spec(m) is not None for m in ("adapters.discord", "tests.discord.fake_discord"))


def _interactions(fake: Any, tag: int, count: int) -> list[dict[str, Any]]:
    from tests.discord.conftest import CHANNEL, payload
    from tests.images import astronaut_jpeg

    made = []
    for n in range(count):
        data = payload("headshot_command")
        attachment = {**fake.add_file(CHANNEL, "me.jpg", astronaut_jpeg(), "image/jpeg"), "ephemeral": True}
        data["data"]["options"] = [{"name": "photo", "type": 11, "value": attachment["id"]}]
        data["data"]["resolved"] = {"attachments": {attachment["id"]: attachment}}
        data["member"]["user"]["id"] = _user(tag, n)
        made.append(data)
    return made


def _user(tag: int, n: int) -> str:
    return str(1188000000000000000 + tag * 10_000 + n)


async def _round(fake: Any, client: Any, tag: int) -> list[float]:
    """Dispatch a burst of interactions; seconds from each dispatch to its callback."""
    batch = _interactions(fake, tag, REQUESTS)
    sent: dict[str, float] = {}
    for data in batch:
        fake.interaction(data)
    for data in batch:
        sent[data["token"]] = time.monotonic()
        client._connection.parse_interaction_create(data)
    deadline = time.monotonic() + ROUND_TIMEOUT_S
    while time.monotonic() < deadline:
        arrived = {c["token"]: c["at"] for c in fake.callbacks if c["token"] in sent}
        if len(arrived) == len(sent):
            return [arrived[t] - sent[t] for t in sent]
        await asyncio.sleep(0.01)
    raise TimeoutError(f"only {len(arrived)} of {len(sent)} interactions were deferred in time")


async def settle(timeout: float = 30.0) -> None:
    """Wait (bounded) for every running command handler: a burst's downloads, status messages, threads."""
    invokers = [t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker"]
    if invokers:
        await asyncio.wait(invokers, timeout=timeout)


def _bare_client() -> discord.Client:
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)

    @tree.command(name="headshot", description="Make headshots")
    async def headshot(interaction: discord.Interaction, photo: discord.Attachment) -> None:
        await interaction.response.defer(thinking=True)

    del headshot
    return client


async def run(quick: bool) -> list[Row]:
    """Alternate bursts against the bare client and the project's adapter."""
    if not available():
        return [Row("discord defer", "-", "-", None, f"<= {RATIO_TARGET}x bare", None, "not measured: no adapter")]
    from bot.wiring.app import build_core, discord_adapter
    from tests.consent import agree_in_bulk
    from tests.discord.fake_discord import FakeDiscord
    from tests.discord.shapes import TOKEN

    rounds = 1 if quick else 5
    p50: dict[str, list[float]] = {"bare": [], "real": []}
    p99: dict[str, list[float]] = {"bare": [], "real": []}
    fake = await FakeDiscord().start()
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
        settings = make_settings(Path(tmp), discord_token=TOKEN, discord_api_base_url=fake.api)
        core = await build_core(settings)
        adapter = discord_adapter(settings, core)
        # Every sender agreed to the consent question before: the check (after the defer) is part of the work.
        tags = [90, 91, *range(rounds * 2)]
        agree_in_bulk(Path(tmp), (f"discord:{_user(tag, n)}" for tag in tags for n in range(REQUESTS)))
        bare = _bare_client()
        try:
            await adapter.login()
            await bare.login(TOKEN)
            clients = {"bare": bare, "real": adapter.client}
            # Warm-up burst per side, untimed: first-use paths, and a pool of keep-alive connections
            # (200 fresh connections at once overflow the fake's listen backlog and cost a 1 s SYN retry).
            for n, client in enumerate(clients.values()):
                await _round(fake, client, 90 + n)
                await settle()
            for n in range(rounds):
                for side in (["bare", "real"] if n % 2 == 0 else ["real", "bare"]):
                    times = await _round(fake, clients[side], n * 2 + (side == "real"))
                    p50[side].append(percentile(times, 50))
                    p99[side].append(percentile(times, 99))
                    await settle()
        finally:
            # Jobs still being taken in would meet a closed connection pool: stop them first, quietly.
            invokers = [t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker"]
            for task in invokers:
                task.cancel()
            await asyncio.gather(*invokers, return_exceptions=True)
            await adapter.stop()
            await bare.close()
            await core.close()
            await fake.close()
    real99, bare99 = statistics.median(p99["real"]), statistics.median(p99["bare"])
    return [
        Row(
            "discord defer",
            f"p99 {ms(real99)} (p50 {ms(statistics.median(p50['real']))})",
            f"bare p99 {ms(bare99)} (p50 {ms(statistics.median(p50['bare']))})",
            real99 / bare99,
            f"<= {RATIO_TARGET}x bare",
            real99 / bare99 <= RATIO_TARGET,
            f"{REQUESTS} at once x {rounds} round(s), median of rounds",
        )
    ]
