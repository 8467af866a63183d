"""Which token a Web API call carries: the one bot token, or the installation of the call's workspace.

Every call made for a workspace (modals, downloads, uploads, status updates, deliveries hours
later) asks for that workspace's token at the moment of the call, so a token rotated or revoked
meanwhile is never used, and no call for one workspace can carry another's token.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installations import SealedInstallationStore
from adapters.slack.web_api import web_client
from bot.ports import ThreadGone

log = logging.getLogger(__name__)


class WorkspaceGone(ThreadGone):
    """The workspace has no installation (uninstalled, revoked, or unreadable with this SECRET_KEY)."""


class Workspaces:
    """Web API clients per workspace; subclasses say where the token comes from."""

    def __init__(
        self, api_base_url: str, http: aiohttp.ClientSession, on_rate_limited: Callable[[], None] = lambda: None
    ) -> None:
        self.api_base_url = api_base_url
        self._http = http
        self._on_rate_limited = on_rate_limited

    async def token(self, team: str | None) -> str:
        """The bot token to use for `team`; raises `WorkspaceGone` when there is none."""
        raise NotImplementedError

    async def client(self, team: str | None) -> AsyncWebClient:
        """A Web API client carrying `team`'s bot token (all clients share one connection pool)."""
        return self.with_token(await self.token(team))

    def with_token(self, token: str) -> AsyncWebClient:
        """A Web API client carrying `token` (the one a request was authorised with, say)."""
        return web_client(token, self.api_base_url, self._http, self._on_rate_limited)

    async def for_request(self, token: str | None, team: str | None) -> AsyncWebClient:
        """The client for work that follows a request: with the token Slack's request was authorised with
        (already refreshed if it had to be), else `team`'s."""
        return self.with_token(token) if token else await self.client(team)


class OneWorkspace(Workspaces):
    """Single-workspace mode: SLACK_BOT_TOKEN for every call."""

    def __init__(
        self, token: str, api_base_url: str, http: aiohttp.ClientSession,
        on_rate_limited: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(api_base_url, http, on_rate_limited)
        self._token = token

    async def token(self, team: str | None) -> str:
        """The one bot token."""
        return self._token


class InstalledWorkspaces(Workspaces):
    """OAuth mode: each workspace's own installation, its token refreshed first when it is about to expire."""

    def __init__(
        self,
        installations: SealedInstallationStore,
        rotator: AsyncTokenRotator,
        api_base_url: str,
        http: aiohttp.ClientSession,
        on_rate_limited: Callable[[], None] = lambda: None,
        *,
        refresh_minutes_before: int = 120,
    ) -> None:
        super().__init__(api_base_url, http, on_rate_limited)
        self.installations = installations
        self._rotator = rotator
        self._refresh_minutes = refresh_minutes_before
        # Uploads run side by side: one refresh per workspace at a time, the others use its result.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def token(self, team: str | None) -> str:
        """The workspace's current bot token."""
        if not team:
            raise WorkspaceGone("the thread does not name its workspace")
        async with self._locks[team]:
            found = await self.installations.async_find_installation(enterprise_id=None, team_id=team)
            if found is None or found.bot_token is None:
                raise WorkspaceGone(f"workspace {team} is not installed")
            if found.bot_refresh_token is None:
                return found.bot_token
            try:
                refreshed = await self._rotator.perform_token_rotation(
                    installation=found, minutes_before_expiration=self._refresh_minutes
                )
            except SlackTokenRotationError as exc:  # Slack refused the refresh token: the installation is dead
                error = exc.api_error.response.get("error")
                log.warning("workspace %s: the token could not be refreshed (%s)", team, error)
                raise WorkspaceGone(f"workspace {team}: token refresh refused") from None
            if refreshed is None:
                return found.bot_token
            await self.installations.async_save(refreshed)
            return str(refreshed.bot_token)
