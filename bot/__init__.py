"""headshot-bot: AI headshots for chat, through one shared core."""

__version__ = "0.1.0"
