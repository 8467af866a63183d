"""The discord.py client: minimal intents, command sync at login, and the gateway the REST root names."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
import yarl
from discord import app_commands

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Only guild events: commands and context menus bring their messages resolved, so no message content."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class HeadshotClient(discord.Client):
    """A plain client with a command tree that syncs its commands once logged in."""

    def __init__(self, *, guild_ids: Sequence[int] = ()) -> None:
        super().__init__(intents=intents())
        self.tree: app_commands.CommandTree[HeadshotClient] = app_commands.CommandTree(self)
        self.guild_ids = list(guild_ids)

    async def setup_hook(self) -> None:
        """Runs at login, before the gateway: make the commands known to Discord."""
        await sync_commands(self.tree, self.guild_ids)


async def sync_commands(tree: app_commands.CommandTree[HeadshotClient], guild_ids: Sequence[int]) -> None:
    """Sync to each listed guild (instant, for development) or globally (may take a while to appear)."""
    if not guild_ids:
        synced = await tree.sync()
        log.info("synced %d commands globally", len(synced))
        return
    for guild_id in guild_ids:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.Forbidden:
            log.error("cannot register commands in server %d: the bot is not in it or lacks applications.commands",
                      guild_id)
            continue
        log.info("synced %d commands to server %d", len(synced), guild_id)


async def use_gateway_of(client: discord.Client) -> yarl.URL:
    """Point discord.py's gateway at the URL that `GET /gateway/bot` on our REST root returns.

    A plain `Client` connects to its built-in default gateway (and falls back to it after an
    INVALID_SESSION) without asking the REST API; a stand-in for Discord or a proxy must get
    its own gateway too. The default is a class attribute: one Discord client per process.
    """
    _shards, url, _limits = await client.http.get_bot_gateway()
    gateway = yarl.URL(url)
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    return gateway
