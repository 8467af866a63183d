"""The discord.py client: minimal intents, command sync at login, and the gateway the REST root names."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
import yarl
from discord import app_commands

from adapters.discord.buttons import DYNAMIC_ITEMS, PressHandler
from adapters.discord.consent import AnswerHandler, ConsentButton
from adapters.discord.pick_items import PICK_ITEMS, PickHandler
from adapters.discord.translator import CatalogTranslator

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Only guild events: commands and context menus bring their messages resolved, so no message content."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class HeadshotClient(discord.Client):
    """A plain client with a command tree that syncs its commands once logged in."""

    def __init__(self, *, guild_ids: Sequence[int] = ()) -> None:
        # Nothing the bot sends may ping anyone: its texts quote file names and providers' words.
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())
        self.tree: app_commands.CommandTree[HeadshotClient] = app_commands.CommandTree(self)
        self.guild_ids = list(guild_ids)
        # Presses on follow-up components go here (`adapters.discord.buttons.handler_of`).
        self.follow_ups: PressHandler | None = None
        # Presses on the picks of delivered headshots go here (`adapters.discord.pick_items.picks_of`).
        self.picks: PickHandler | None = None
        # Answers to consent questions go here (`adapters.discord.consent.ConsentButton`).
        self.consent: AnswerHandler | None = None
        self.add_dynamic_items(*DYNAMIC_ITEMS, *PICK_ITEMS, ConsentButton)
        self.sync_at_login = True  # False for a client that only delivers (its twin syncs)

    async def setup_hook(self) -> None:
        """Runs at login, before the gateway: make the commands known to Discord, in every language."""
        await self.tree.set_translator(CatalogTranslator())
        if self.sync_at_login:
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


def aim_discord_py_for_this_process(*, rest_root: str | None = None, gateway: yarl.URL | None = None) -> None:
    """Set where discord.py sends REST calls and opens its gateway, for every client in this process.

    discord.py keeps both as class attributes (`Route.BASE` builds every REST URL, interaction
    callbacks and webhooks too; `DiscordWebSocket.DEFAULT_GATEWAY` is where a plain client
    connects, and falls back to after an INVALID_SESSION), so the bot runs one Discord client
    per process. This is the only place that changes them.
    """
    if rest_root is not None:
        discord.http.Route.BASE = rest_root.rstrip("/")
    if gateway is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


async def use_gateway_of(client: discord.Client) -> yarl.URL:
    """Point discord.py's gateway at the URL that `GET /gateway/bot` on our REST root returns.

    A plain `Client` connects to its built-in default gateway without asking the REST API; a
    stand-in for Discord or a proxy must get its own gateway too.
    """
    _shards, url, _limits = await client.http.get_bot_gateway()
    gateway = yarl.URL(url)
    aim_discord_py_for_this_process(gateway=gateway)
    return gateway
