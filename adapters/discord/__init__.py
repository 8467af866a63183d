"""Discord: `/headshot`, the "Make headshots" message command, and delivery into threads."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
