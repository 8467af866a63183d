"""Discord defer latency: INTERACTION_CREATE to the defer callback at a fake Discord REST server.

200 `/headshot` interactions, each with a portrait attachment on the fake's CDN and from its own
user, are handed to discord.py the way the gateway would (`parse_interaction_create`), all at
once; the figure is the time from each dispatch to its callback arriving at the fake. The same
is done against a bare discord.py client whose `/headshot` only defers. Both log in to the same
fake; the project's core sits behind the real one (its job runner is not started, for the
reason given in `benchmarks.slack_ack`). The work each burst starts after its defers (downloads,
status messages, threads) is left to finish before the next round. The fake runs in this
process, so its handling of that work is charged to the real side. Rounds alternate after one
untimed warm-up burst per side. The real adapter runs twice per round: as it is (the work behind each
defer waits while other defers are under way) and with that wait taken out, as it was.
"""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


class _NoWait:
    """The adapter's answers-first wait, taken out: the work behind each defer starts at once."""

    @contextmanager
    def one(self) -> Iterator[None]:
        yield

    async def quiet(self) -> None:
        return None


async def run(quick: bool) -> list[Row]:
    """Alternate bursts against the bare client and the project's adapter (with and without its wait)."""
    if not available():
        return [Row("discord defer", "-", "-", None, f"<= {RATIO_TARGET}x bare", None, "not measured: no adapter")]
    from bot.wiring.app import build_core, discord_adapter
    from tests.consent import agree_in_bulk
    from tests.discord.fake_discord import FakeDiscord
    from tests.discord.shapes import TOKEN

    rounds = 1 if quick else 15
    sides = ("bare", "real", "no wait")
    p50: dict[str, list[float]] = {side: [] for side in sides}
    p99: dict[str, list[float]] = {side: [] for side in sides}
    fake = await FakeDiscord().start()
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
        settings = make_settings(Path(tmp), discord_token=TOKEN, discord_api_base_url=fake.api)
        core = await build_core(settings)
        adapter = discord_adapter(settings, core)
        # Every sender agreed to the consent question before: the check (after the defer) is part of the work.
        tags = [90, 91, 92, *range(rounds * 3)]
        agree_in_bulk(Path(tmp), (f"discord:{_user(tag, n)}" for tag in tags for n in range(REQUESTS)))
        bare = _bare_client()
        try:
            await adapter.login()
            await bare.login(TOKEN)
            clients = {"bare": bare, "real": adapter.client, "no wait": adapter.client}
            intake = adapter.intake
            assert intake is not None
            waits = {"real": intake.answering, "no wait": _NoWait()}
            # Warm-up burst per side, untimed: first-use paths, and a pool of keep-alive connections
            # (200 fresh connections at once overflow the fake's listen backlog and cost a 1 s SYN retry).
            for n, (side, client) in enumerate(clients.items()):
                if side in waits:
                    intake.answering = waits[side]  # type: ignore[assignment]
                await _round(fake, client, 90 + n)
                await settle()
            for n in range(rounds):
                for side in sides[n % 3:] + sides[:n % 3]:  # each side goes first in turn
                    if side in waits:
                        intake.answering = waits[side]  # type: ignore[assignment]
                    times = await _round(fake, clients[side], n * 3 + sides.index(side))
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
    med99 = {side: statistics.median(p99[side]) for side in sides}
    med50 = {side: statistics.median(p50[side]) for side in sides}
    rows = []
    for side, name, target in (("real", "discord defer", f"<= {RATIO_TARGET}x bare"),
                               ("no wait", "discord defer, no wait", f"<= {RATIO_TARGET}x bare (before)")):
        ratios = sorted(r / b for r, b in zip(p99[side], p99["bare"], strict=True))
        ratio = statistics.median(ratios)
        rows.append(Row(
            name,
            f"p99 {ms(med99[side])} (p50 {ms(med50[side])})",
            f"bare p99 {ms(med99['bare'])} (p50 {ms(med50['bare'])})",
            ratio,
            target,
            ratio <= RATIO_TARGET,
            f"{REQUESTS} at once x {rounds} round(s); median of per-round ratios, "
            f"range {ratios[0]:.2f}-{ratios[-1]:.2f}",
        ))
    return rows
