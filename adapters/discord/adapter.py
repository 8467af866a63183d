"""The Discord adapter as `serve` sees it: built from its token and URLs, started, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiohttp import web

from adapters.discord.client import HeadshotClient, aim_discord_py_for_this_process, use_gateway_of
from adapters.discord.commands import install_commands
from adapters.discord.intake import DiscordIntake
from adapters.discord.surface import DiscordThread
from bot.downloads import Downloader
from bot.intake import JobIntake
from bot.service import HeadshotService

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0


class DiscordAdapter:
    """The bot on Discord: commands over the gateway, deliveries over REST with the bot token."""

    def __init__(self, client: HeadshotClient, surface: DiscordThread, token: str) -> None:
        self.client = client
        self.surface = surface
        self._token = token
        self._gateway: asyncio.Task[None] | None = None

    @classmethod
    def build(
        cls,
        *,
        token: str,
        api_base_url: str,
        guild_ids: Sequence[int],
        service: HeadshotService,
        intake: JobIntake,
        downloader: Downloader,
    ) -> DiscordAdapter:
        """Build the client, its commands and the surface; nothing connects yet."""
        aim_discord_py_for_this_process(rest_root=api_base_url)
        client = HeadshotClient(guild_ids=guild_ids)
        surface = DiscordThread(client)
        install_commands(client.tree, service, DiscordIntake(intake, downloader, surface))
        return cls(client, surface, token)

    def install_routes(self, app: web.Application) -> None:
        """Discord reaches the bot over the gateway: no HTTP routes."""

    async def login(self) -> None:
        """Log in over REST and sync the commands: enough for deliveries and for handling interactions."""
        if self.client.user is None:
            await self.client.login(self._token)

    async def start(self) -> None:
        """Log in, then connect to the gateway in a background task; returns once connected."""
        await self.login()
        gateway = await use_gateway_of(self.client)
        self._gateway = asyncio.create_task(self._run_gateway(), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({self._gateway, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._gateway in done:
                self._gateway.result()  # raises why the connection ended
            log.warning("the Discord gateway at %s is slow to get ready; still trying", gateway.host)
            return
        log.info("connected to Discord as %s", self.client.user)

    async def _run_gateway(self) -> None:
        await self.client.connect(reconnect=True)

    async def stop(self) -> None:
        """Close the gateway connection and the REST client."""
        await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._gateway, timeout=10)
            self._gateway = None
