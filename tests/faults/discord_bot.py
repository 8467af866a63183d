"""`serve` with Discord as its only chat platform, for the fault tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.discord.conftest import CHANNEL as DISCORD_CHANNEL
from tests.discord.conftest import payload as discord_payload
from tests.discord.fake_discord import FakeDiscord
from tests.faults.harness import DISCORD_TOKEN, BotProcess, eventually
from tests.images import astronaut_jpeg


class DiscordBot(BotProcess):
    """`serve` with Discord as its only chat platform: the gateway and REST of a `FakeDiscord`."""

    def __init__(self, root: Path, discord: FakeDiscord, http: aiohttp.ClientSession) -> None:
        super().__init__(root, None, http)  # type: ignore[arg-type]  # no Slack, Runflow or agent.ai here
        self.discord = discord

    def platform_env(self) -> dict[str, str]:
        """Discord only: no Slack, Runflow or agent.ai settings."""
        return {"DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_BASE_URL": self.discord.api}

    def run_output(self) -> str:
        """What the current run printed so far."""
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"run-{self.runs}.*")))

    async def start(self, fault: str | None = None) -> None:
        """Start the server and wait until it is healthy and connected to the gateway."""
        await super().start(fault)
        await eventually(lambda: "connected to Discord as" in self.run_output(), 30, "the gateway to be ready")

    def command(self, *files: tuple[str, bytes, str], count: int = 1, provider: str = "studio") -> dict[str, Any]:
        """A `/headshot` interaction whose attachments are hosted on the fake's CDN."""
        data = discord_payload("headshot_command")
        options: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for n, (filename, body, kind) in enumerate(files):
            attachment = {**self.discord.add_file(DISCORD_CHANNEL, filename, body, kind), "ephemeral": True}
            resolved[attachment["id"]] = attachment
            options.append({"name": "photo" if n == 0 else f"photo{n + 1}", "type": 11, "value": attachment["id"]})
        options += [{"name": "provider", "type": 3, "value": provider}, {"name": "count", "type": 4, "value": count}]
        data["data"]["options"] = options
        data["data"]["resolved"] = {"attachments": resolved}
        return data

    async def request_portrait(self, count: int = 1) -> dict[str, Any]:
        """Send `/headshot` with a real portrait over the gateway; returns the interaction."""
        interaction = self.command(("me.jpg", astronaut_jpeg(), "image/jpeg"), count=count)
        await self.discord.deliver_interaction(interaction)
        return interaction

    def status_message(self) -> dict[str, Any] | None:
        """The public answer to the (single) `/headshot` in the channel: the job's status message."""
        posts = self.discord.channel_posts(DISCORD_CHANNEL)
        assert len(posts) <= 1, [p["content"] for p in posts]
        return posts[0] if posts else None

    async def status_ended(self, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the status message says the job is over (✅ or ❌); returns it."""

        def over() -> bool:
            status = self.status_message()
            return status is not None and status["content"].startswith(("✅", "❌"))

        await eventually(over, timeout, "the status message to say the job ended")
        status = self.status_message()
        assert status is not None
        return status

    def thread_of(self, status: dict[str, Any]) -> str:
        """The id of the thread started on the status message."""
        return str(self.discord.threads[status["id"]]["id"])
