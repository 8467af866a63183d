"""The OAuth2 links that install the app: on a server (the bot, with exactly the permissions it uses),
or by a person for themselves (its commands in their DMs, group DMs and any server)."""

from __future__ import annotations

import base64
from urllib.parse import quote, urlencode

from adapters.discord.permissions import NEEDED
from bot.errors import UserError

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = "bot applications.commands"
USER_SCOPES = "applications.commands"
GUILD_INSTALL, USER_INSTALL = 0, 1  # Discord's integration types


class InvalidToken(UserError):
    """A bot token whose first segment is not a base64-encoded user id; the message says so."""


def application_id(token: str) -> int:
    """The bot's application id, read from the bot token itself (no network call).

    A Discord bot token is three dot-separated parts; the first is the bot user's id in
    unpadded base64. A bot user's id is its application's id, so the invite link can be
    printed offline, before the bot has ever connected.
    """
    first = token.strip().split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except ValueError:  # not base64 (binascii.Error), or not even ASCII
        raise InvalidToken("DISCORD_TOKEN does not look like a bot token (its first part is not base64).") from None
    if not decoded.isdigit():
        raise InvalidToken("DISCORD_TOKEN does not look like a bot token (its first part is not a user id).")
    return int(decoded)


def invite_url(token: str | None) -> str:
    """The server install URL for the bot token's application: bot + slash-command scopes, needed permissions only."""
    if token is None:
        raise InvalidToken("DISCORD_TOKEN is not set; the invite link is made from it.")
    query = {
        "client_id": str(application_id(token)),
        "scope": SCOPES,
        "permissions": str(NEEDED.value),
        "integration_type": str(GUILD_INSTALL),
    }
    # quote, not quote_plus: "%20" between scopes, as Discord's own link generator writes it.
    return f"{AUTHORIZE_URL}?{urlencode(query, quote_via=quote)}"


def user_install_url(token: str | None) -> str:
    """The URL with which a person installs the app for themselves: commands only, no bot, no permissions.
    (The app's Installation settings must allow User Install.)"""
    if token is None:
        raise InvalidToken("DISCORD_TOKEN is not set; the invite link is made from it.")
    query = {"client_id": str(application_id(token)), "scope": USER_SCOPES, "integration_type": str(USER_INSTALL)}
    return f"{AUTHORIZE_URL}?{urlencode(query, quote_via=quote)}"


def invite_text(token: str | None) -> str:
    """What `headshot-bot discord-invite` prints: both install links, each with a line saying what it does."""
    return (
        f"Add the bot to a server:\n{invite_url(token)}\n"
        f"Install it for yourself (DMs, group DMs and servers without the bot):\n{user_install_url(token)}"
    )
