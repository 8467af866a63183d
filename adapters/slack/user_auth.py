"""A person's one-time permission for "Set as my Slack photo": Slack's OAuth v2 with a user scope.

`GET /slack/user-auth` sends the browser to Slack's authorize page (`SLACK_OAUTH_BASE_URL`) with
`user_scope=users.profile:write`, the client id, the redirect URL and a one-time `state` (stored
hashed, as for installs, and set as a cookie so that only the browser that started may finish).
`GET /slack/user-auth/callback` checks both, exchanges the `code` with `oauth.v2.access` and keeps
`authed_user.access_token` sealed (`adapters.slack.user_tokens`). This flow is the bot's own, not
Bolt's: with a bot token Bolt stays in single-workspace mode, and the client id and secret serve
this one feature.
"""

from __future__ import annotations

import hmac
import html
import logging
import re
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from adapters.slack.installations import STATE_SECONDS, OneTimeStateStore
from adapters.slack.manifest import USER_AUTH_CALLBACK_PATH, USER_AUTH_PATH, USER_SCOPES
from adapters.slack.user_tokens import SlackUserTokens
from bot.i18n import t
from bot.ports import OneTimeStates, UserCredentials

log = logging.getLogger(__name__)

STATE_COOKIE = "headshot-user-auth-state"
TEAM_ID = re.compile(r"^[TE][A-Z0-9]{1,30}$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the callback's address holds a one-time code
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}


class UserAuthStore(OneTimeStates, UserCredentials, Protocol):
    """The store's roles the flow uses: one-time states, and people's sealed tokens."""


@dataclass(frozen=True)
class UserAuthConfig:
    """What the flow needs, as plain values: the app's credentials, SECRET_KEY (the tokens are sealed
    with a key derived from it), where the bot is reachable, and the store."""

    client_id: str
    client_secret: str
    secret_key: str
    public_base_url: str
    store: UserAuthStore
    authorize_url: str = "https://slack.com/oauth/v2/authorize"

    @property
    def start_url(self) -> str:
        """Where a person is sent to allow it."""
        return self.public_base_url.rstrip("/") + USER_AUTH_PATH

    @property
    def redirect_uri(self) -> str:
        """Where Slack sends the browser back."""
        return self.public_base_url.rstrip("/") + USER_AUTH_CALLBACK_PATH


class SlackUserAuth:
    """The two routes of the flow, on the bot's web server; `link(team)` is what a person is given."""

    def __init__(
        self, config: UserAuthConfig, states: OneTimeStates, tokens: SlackUserTokens, api: AsyncWebClient
    ) -> None:
        self.config = config
        self._states = OneTimeStateStore(states)
        self._tokens = tokens
        self._api = api  # no token: it reaches SLACK_API_BASE_URL for the exchange

    def link(self, team: str) -> str:
        """The address that starts the flow for a person of `team` (Slack preselects that workspace)."""
        return str(URL(self.config.start_url).with_query(team=team))

    def install(self, app: web.Application) -> None:
        """Add `GET /slack/user-auth` and `GET /slack/user-auth/callback`."""
        app.router.add_get(USER_AUTH_PATH, self.start)
        app.router.add_get(USER_AUTH_CALLBACK_PATH, self.callback)

    async def start(self, request: web.Request) -> web.StreamResponse:
        """Send the browser to Slack with a new one-time state (also its cookie): a redirect, raised."""
        state = await self._states.async_issue()
        query = {
            "client_id": self.config.client_id,
            "user_scope": ",".join(USER_SCOPES),
            "redirect_uri": self.config.redirect_uri,
            "state": state,
        }
        team = request.query.get("team", "")
        if TEAM_ID.match(team):
            query["team"] = team
        response = web.HTTPFound(str(URL(self.config.authorize_url).update_query(query)), headers=PAGE_HEADERS)
        response.set_cookie(
            STATE_COOKIE, state, max_age=int(STATE_SECONDS), path=USER_AUTH_PATH, httponly=True, samesite="Lax",
            secure=self.config.public_base_url.startswith("https://"),
        )
        raise response

    async def callback(self, request: web.Request) -> web.Response:
        """Check the state, exchange the code, keep the token; a page says how it went."""
        state, cookie = request.query.get("state", ""), request.cookies.get(STATE_COOKIE, "")
        if request.query.get("error"):
            return _page(t(None, "Nothing changed"), t(None, "You did not allow it, so Headshots cannot set your "
                                                               "Slack photo. You can allow it any time."), 200)
        if not state or not hmac.compare_digest(state.encode(), cookie.encode()):
            return _page(t(None, "Not allowed"), t(None, "This link was not started in this browser, or it has "
                                                          "expired. Press the button in Slack again."), 400)
        if not await self._states.async_consume(state):
            return _page(t(None, "Not allowed"), t(None, "This link was already used or has expired. Press the "
                                                          "button in Slack again."), 400)
        code = request.query.get("code", "")
        if not code:
            return _page(t(None, "Not allowed"), t(None, "Slack did not send an authorization code."), 400)
        try:
            answer = await self._api.oauth_v2_access(
                client_id=self.config.client_id, client_secret=self.config.client_secret, code=code,
                redirect_uri=self.config.redirect_uri,
            )
        except SlackApiError as exc:
            log.warning("Slack refused a user authorisation: %s", exc.response.get("error"))
            return _page(t(None, "Not allowed"), t(None, "Slack did not accept the authorization. Press the "
                                                          "button in Slack again."), 400)
        user = answer.get("authed_user") or {}
        token, granted = user.get("access_token"), str(user.get("scope") or "").split(",")
        team = (answer.get("team") or {}).get("id")
        if not token or not team or not user.get("id") or not set(USER_SCOPES) <= set(granted):
            return _page(t(None, "Not allowed"), t(None, "Slack did not grant permission to change your photo."), 400)
        await self._tokens.save(str(team), str(user["id"]), str(token))
        log.info("a person of workspace %s allowed Headshots to set their Slack photo", team)
        return _page(t(None, "Done"), t(None, "Headshots can now set your Slack photo. Go back to Slack and "
                                               "press “Set as my Slack photo” again."), 200)


def _page(title: str, text: str, status: int) -> web.Response:
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Headshots</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(text)}</p></body></html>"
    )
    response = web.Response(status=status, text=body, content_type="text/html", headers=PAGE_HEADERS)
    response.del_cookie(STATE_COOKIE, path=USER_AUTH_PATH)
    return response
