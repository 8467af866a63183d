"""Where Bolt keeps each workspace's installation and the one-time OAuth `state`: the project's store.

An installation (its bot token, refresh token, ids) is sealed with AES-GCM under a key derived
from SECRET_KEY with HKDF, the workspace bound in as associated data, so that the database never
holds a token in clear and a row cannot be moved to another workspace. With a different
SECRET_KEY the rows cannot be opened: those workspaces count as not installed (each is reported
once) until they install the app again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.ports import Installations, OneTimeStates

log = logging.getLogger(__name__)

_VERSION = b"\x01"
_NONCE = 12
STATE_SECONDS = 600


class UnreadableInstallation(Exception):
    """A sealed installation that this SECRET_KEY cannot open (or that was damaged)."""


class SealingKey:
    """AES-256-GCM with a key derived from SECRET_KEY (one key per `purpose`); each blob is bound to its
    workspace (or whatever key it is stored under)."""

    def __init__(self, secret_key: str, purpose: bytes = b"headshot-bot installations v1") -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
        self._aead = AESGCM(derived.derive(secret_key.encode()))

    def seal(self, plain: bytes, workspace: str) -> bytes:
        """Version byte, random nonce, ciphertext and tag."""
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plain, workspace.encode())

    def open(self, sealed: bytes, workspace: str) -> bytes:
        """The plain bytes; raises `UnreadableInstallation` for another key, another workspace or damage."""
        if sealed[:1] != _VERSION or len(sealed) < 1 + _NONCE + 16:
            raise UnreadableInstallation(workspace)
        try:
            return self._aead.decrypt(sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :], workspace.encode())
        except InvalidTag:
            raise UnreadableInstallation(workspace) from None


def installation_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None) -> str:
    """The key an installation is stored under: its team, or its organisation for an org-wide installation."""
    if is_enterprise_install and enterprise_id:
        return f"slack:enterprise:{enterprise_id}"
    return f"slack:team:{team_id}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):  # the models read ISO text back as timestamps of either type
        return value.isoformat()
    raise TypeError(type(value).__name__)


class SealedInstallationStore(AsyncInstallationStore):
    """Bolt's installation store on our `Installations` port: one sealed record per workspace.

    The app asks only for bot scopes, so a workspace has one installation; the installing user's
    token, if Slack ever sends one, lives in the same record.
    """

    def __init__(self, store: Installations, key: SealingKey) -> None:
        self._store = store
        self._key = key
        self._reported: set[str] = set()

    @property
    def logger(self) -> logging.Logger:
        """Bolt's interface asks for one."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Seal and store (replacing the workspace's earlier installation)."""
        key = installation_key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        plain = json.dumps(installation.to_dict_for_copying(), default=_plain).encode()
        await self._store.save_installation(key, self._key.seal(plain, key))
        self._reported.discard(key)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The workspace's installation (for `user_id`: only if that user installed it)."""
        key = installation_key(enterprise_id, team_id, is_enterprise_install)
        sealed = await self._store.installation(key)
        if sealed is None:
            return None
        try:
            data = json.loads(self._key.open(sealed, key))
        except UnreadableInstallation:
            self._report(key)
            return None
        installation = Installation(**data)
        if user_id is not None and installation.user_id != user_id:
            return None
        return installation

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        """The workspace's bot (token, ids), if installed."""
        found = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return found.to_bot() if found is not None and found.bot_token else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot's tokens were revoked: the installation is of no use any more."""
        await self._delete(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Without `user_id`: forget the workspace; with it: drop that user's token if it is stored."""
        if user_id is None:
            await self._delete(enterprise_id, team_id)
            return
        found = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if found is not None and found.user_token is not None:
            found.user_token = found.user_refresh_token = found.user_token_expires_at = None
            await self.async_save(found)

    async def _delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        # Events about an org-wide installation name the organisation and no team.
        await self._store.delete_installation(installation_key(enterprise_id, team_id, team_id is None))

    async def unreadable(self) -> list[str]:
        """The stored workspaces this SECRET_KEY cannot open (each reported once)."""
        found = []
        for key, sealed in await self._store.installations():
            try:
                self._key.open(sealed, key)
            except UnreadableInstallation:
                found.append(key)
        self._reported.update(found)
        return found

    def _report(self, key: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            log.error(
                "the stored installation of %s cannot be decrypted with this SECRET_KEY (was it changed?); "
                "that workspace counts as not installed until it installs the app again", key,
            )


class OneTimeStateStore(AsyncOAuthStateStore):
    """OAuth `state` values: random, stored only as hashes, accepted once within ten minutes."""

    def __init__(self, store: OneTimeStates, expiration_seconds: float = STATE_SECONDS) -> None:
        self._store = store
        self._seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        """Bolt's interface asks for one."""
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for one install attempt."""
        state = secrets.token_urlsafe(32)
        await self._store.issue_state(_hash(state), time.time() + self._seconds)
        return state

    async def async_consume(self, state: str) -> bool:
        """Whether `state` was issued here, has not expired and was not used before."""
        if not state:
            return False
        return await self._store.consume_state(_hash(state), time.time())


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
