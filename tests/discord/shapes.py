"""Discord's object shapes (API v10) as the fake Discord sends them: user, application, message, thread."""

from __future__ import annotations

import base64
import time
from typing import Any

APP_ID = "1187312198642487296"
# A bot token's first part is the bot's id in base64, as Discord makes them.
TOKEN = base64.b64encode(APP_ID.encode()).decode().rstrip("=") + ".GhXk2Q.fake-signature-for-tests-only"
BOT_USER: dict[str, Any] = {
    "id": APP_ID, "username": "Headshots", "discriminator": "0", "global_name": None, "avatar": None,
    "bot": True, "flags": 0, "public_flags": 0, "verified": True, "mfa_enabled": False,
}
DISCORD_EPOCH_MS = 1420070400000
_last_id = [0]


def snowflake() -> str:
    """A new unique id, made like Discord's: the milliseconds since Discord's epoch above 22 bits."""
    _last_id[0] = max(_last_id[0] + 1, (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22)
    return str(_last_id[0])


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def application() -> dict[str, Any]:
    """`GET /oauth2/applications/@me`."""
    return {
        "id": APP_ID, "name": "Headshots", "icon": None, "description": "", "summary": "",
        "bot_public": True, "bot_require_code_grant": False, "verify_key": "ab" * 32,
        "owner": {**BOT_USER, "id": "1187000000000000001", "username": "owner", "bot": False},
        "flags": 0, "team": None, "bot": BOT_USER, "interactions_endpoint_url": None,
    }


def message(channel_id: str, content: str, *, author: dict[str, Any] = BOT_USER, **extra: Any) -> dict[str, Any]:
    """A message object; the bot is the author unless told otherwise."""
    return {
        "id": snowflake(), "channel_id": channel_id, "author": author, "content": content,
        "timestamp": now_iso(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
        "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False,
        "type": 0, "flags": 0, "components": [], **extra,
    }


def thread_channel(message_id: str, parent_id: str, guild_id: str | None, name: str, archive: int) -> dict[str, Any]:
    """A public thread started from a message: it takes the message's id."""
    return {
        "id": message_id, "type": 11, "guild_id": guild_id, "parent_id": parent_id, "owner_id": APP_ID,
        "name": name, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0,
        "message_count": 0, "member_count": 1, "total_message_sent": 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": archive, "archive_timestamp": now_iso(),
                            "locked": False, "create_timestamp": now_iso()},
    }


def ready(gateway_url: str) -> dict[str, Any]:
    """The READY dispatch's data: who we are, no guilds yet, where to resume."""
    return {
        "v": 10, "user": BOT_USER, "guilds": [], "session_id": "fake-gateway-1",
        "resume_gateway_url": gateway_url, "application": {"id": APP_ID, "flags": 0},
        "private_channels": [], "relationships": [],
    }


def dm_channel(channel_id: str, user_id: str) -> dict[str, Any]:
    """The bot's direct message channel with a user."""
    recipient = {"id": user_id, "username": "ada", "global_name": "Ada", "discriminator": "0", "avatar": None,
                 "public_flags": 0}
    return {"id": channel_id, "type": 1, "last_message_id": None, "flags": 0, "recipients": [recipient]}


def member(user: dict[str, Any]) -> dict[str, Any]:
    """A guild member wrapping a user, as interactions carry them."""
    return {
        "avatar": None, "banner": None, "communication_disabled_until": None, "deaf": False, "flags": 0,
        "joined_at": "2024-05-01T10:00:00.000000+00:00", "mute": False, "nick": None, "pending": False,
        "permissions": "2248473465835073", "premium_since": None, "roles": [], "user": user,
    }
