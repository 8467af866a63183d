"""Fixtures for the reliability and privacy tests: the fakes, and the bot as a subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from tests.discord.fake_discord import FakeDiscord
from tests.faults.discord_bot import DiscordBot
from tests.faults.harness import BOT_TOKEN, BotProcess, Fakes, start_fakes
from tests.slack import fake_slack


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Fakes]:
    # The fake Slack accepts one bot token; ours is distinctive so that leaks can be grepped for.
    monkeypatch.setattr(fake_slack, "TOKEN", BOT_TOKEN)
    async with AsyncExitStack() as stack:
        yield await start_fakes(stack)


@pytest.fixture
async def bot(tmp_path: Path, fakes: Fakes) -> AsyncIterator[BotProcess]:
    async with aiohttp.ClientSession() as http:
        process = BotProcess(tmp_path, fakes, http)
        try:
            yield process
        finally:
            process.kill()
            # Shown by pytest only when the test failed: the bot's own account of what happened.
            print(process.output()[-30_000:])


@pytest.fixture
async def discord_bot(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    """`serve` against a fake Discord only (no Slack settings); not started yet."""
    fake = await FakeDiscord().start()
    try:
        async with aiohttp.ClientSession() as http:
            process = DiscordBot(tmp_path, fake, http)
            try:
                yield process
            finally:
                process.kill()
                print(process.output()[-30_000:])
    finally:
        await fake.close()
