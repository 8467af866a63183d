"""Each person's own Slack token (a user token with `users.profile:write`), kept sealed in the store.

A token is sealed with AES-GCM under a key derived from SECRET_KEY for this purpose alone (not the
installations' key), bound to its owner key (`slack:<team>:<user>`), so the database never holds
it in clear and a row cannot be moved to another person. It goes with `/headshot forget` (the
store's `forget_owner`), with its workspace (uninstall) and with `tokens_revoked`; a token Slack
no longer accepts is deleted when a call finds out.
"""

from __future__ import annotations

import json
import logging

from adapters.slack.installations import SealingKey, UnreadableInstallation
from adapters.slack.intake import owner_key
from bot.ports import UserCredentials

log = logging.getLogger(__name__)

PURPOSE = b"headshot-bot slack user tokens v1"


class SlackUserTokens:
    """People's user tokens by workspace and user, sealed with SECRET_KEY."""

    def __init__(self, store: UserCredentials, secret_key: str) -> None:
        self._store = store
        self._key = SealingKey(secret_key, PURPOSE)

    async def save(self, team: str, user: str, token: str) -> None:
        """Keep (or replace) a person's token."""
        owner = owner_key(team, user)
        await self._store.save_user_credential(owner, self._key.seal(json.dumps({"token": token}).encode(), owner))

    async def token(self, team: str, user: str) -> str | None:
        """A person's token, if they authorised and it can be opened with this SECRET_KEY."""
        owner = owner_key(team, user)
        sealed = await self._store.user_credential(owner)
        if sealed is None:
            return None
        try:
            return str(json.loads(self._key.open(sealed, owner))["token"])
        except (UnreadableInstallation, ValueError, KeyError):
            log.warning("a stored user token of workspace %s cannot be opened (was SECRET_KEY changed?)", team)
            return None

    async def forget(self, team: str, user: str) -> bool:
        """Delete a person's token; whether there was one."""
        return await self._store.delete_user_credential(owner_key(team, user))

    async def forget_workspace(self, team: str) -> int:
        """Delete the tokens of everyone in a workspace; how many."""
        return await self._store.delete_user_credentials_with_prefix(owner_key(team, ""))
