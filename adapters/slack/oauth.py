"""Slack for many workspaces: Bolt's own install flow on our web server, and removal of workspaces.

`GET /slack/install` answers the "Add to Slack" page (a link to Slack with the bot's scopes,
`client_id`, `redirect_uri` and a one-time `state`, also set as a cookie); `GET
/slack/oauth_redirect` is where Slack sends the browser back: the `state` is checked against the
cookie and our store (once) before anything else the query says, even an `error`; then Bolt
exchanges the `code` with `oauth.v2.access` and saves the installation. Without this browser's
valid state the answer is a 4xx that changes no cookie. `app_uninstalled` and `tokens_revoked`
delete the workspace's tokens at once.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth import OAuthStateUtils
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installations import OneTimeStateStore, SealedInstallationStore, SealingKey
from adapters.slack.manifest import INSTALL_PATH, REDIRECT_PATH, bot_scopes
from adapters.slack.user_tokens import SlackUserTokens
from bot.i18n import from_accept_language, phrase, t
from bot.ports import Installations, OneTimeStates

log = logging.getLogger(__name__)

REFRESH_MINUTES_BEFORE = 120
_FAILURES = {
    "invalid_browser": phrase("This install link was not started in this browser, or it has expired."),
    "invalid_state": phrase("This install link was already used or has expired."),
    "missing_code": phrase("Slack did not send an authorization code."),
    "invalid_code": phrase("Slack did not accept the authorization code."),
    "storage_error": phrase("The installation could not be saved."),
    "access_denied": phrase("The installation was cancelled."),
}

# The failures that mean the state was not this browser's valid one.
_NOT_THIS_BROWSERS = frozenset({"invalid_browser", "invalid_state"})


class OAuthStore(Installations, OneTimeStates, Protocol):
    """The store roles the install flow uses."""


@dataclass(frozen=True)
class OAuthConfig:
    """Everything OAuth mode needs, as plain values."""

    client_id: str
    client_secret: str
    secret_key: str
    store: OAuthStore
    authorize_url: str = "https://slack.com/oauth/v2/authorize"
    redirect_uri: str | None = None  # PUBLIC_BASE_URL + REDIRECT_PATH; Slack uses the app's own without it


def oauth_settings(config: OAuthConfig, api: AsyncWebClient) -> tuple[AsyncOAuthSettings, SealedInstallationStore]:
    """Bolt's OAuth settings on our stores; `api` (no token) reaches SLACK_API_BASE_URL."""
    installations = SealedInstallationStore(config.store, SealingKey(config.secret_key))
    # Every value explicitly: Bolt would read SLACK_* from the environment for the missing ones.
    settings = AsyncOAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=bot_scopes(),
        user_scopes=[],
        redirect_uri=config.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=config.authorize_url,
        installation_store=installations,
        state_store=OneTimeStateStore(config.store),
        callback_options=AsyncCallbackOptions(success=_succeeded, failure=_failed),
        token_rotation_expiration_minutes=REFRESH_MINUTES_BEFORE,
        logger=log,
    )
    # Bolt's default would refresh rotated tokens at slack.com whatever SLACK_API_BASE_URL says,
    # and call auth.test on every request; this one uses `api` and remembers each token's answer.
    settings.authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=config.client_id,
        client_secret=config.client_secret,
        token_rotation_expiration_minutes=REFRESH_MINUTES_BEFORE,
        cache_enabled=True,
        client=api,
    )
    return settings, installations


def install_oauth_routes(web_app: web.Application, app: AsyncApp) -> None:
    """`GET /slack/install` and `GET /slack/oauth_redirect`, handled by Bolt's OAuth flow."""
    flow = app.oauth_flow
    assert flow is not None

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def redirect(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        # Bolt believes `error` before it looks at the state; here the state comes first.
        handle = _answer_error if "error" in request.query else flow.handle_callback
        return await to_aiohttp_response(await handle(bolt_request))

    async def _answer_error(request: AsyncBoltRequest) -> BoltResponse:
        """Slack sent the browser back with `error` (the person cancelled, say): believed only with this
        browser's valid state, which it uses up; otherwise refused as any bad state is."""
        settings = flow.settings
        state = request.query.get("state", [""])[0]
        if not settings.state_utils.is_valid_browser(state, request.headers):
            reason, status = "invalid_browser", 400
        elif not await settings.state_store.async_consume(state):
            reason, status = "invalid_state", 401
        else:
            reason, status = request.query["error"][0], 200
        return await flow.failure_handler(AsyncFailureArgs(
            request=request, reason=reason, suggested_status_code=status, settings=settings,
            default=flow.default_callback_options,
        ))

    web_app.router.add_get(INSTALL_PATH, install)
    web_app.router.add_get(REDIRECT_PATH, redirect)


def register_removal(
    app: AsyncApp,
    installations: SealedInstallationStore | None,
    removed: Callable[[str], Awaitable[None]],
    user_tokens: SlackUserTokens | None = None,
) -> None:
    """Delete a workspace's tokens when it removes the app or revokes them; then `removed(team)`.

    `installations` is None in single-workspace mode: then only people's own tokens (`user_tokens`,
    for their Slack photos) are deleted, everyone's at uninstall and those `tokens.oauth` names."""

    async def on_uninstalled(context: AsyncBoltContext) -> None:
        if user_tokens is not None:
            await user_tokens.forget_workspace(str(context.team_id))
        if installations is None:
            log.info("workspace %s removed the app; its people's tokens are deleted", context.team_id)
            return
        await installations.async_delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
        log.info("workspace %s removed the app; its tokens are deleted", context.team_id)
        await removed(str(context.team_id))

    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        for user in tokens.get("oauth") or []:
            if user_tokens is not None:
                await user_tokens.forget(str(context.team_id), str(user))
            if installations is not None:
                await installations.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=str(user)
                )
        if tokens.get("bot") and installations is not None:
            await installations.async_delete_bot(enterprise_id=context.enterprise_id, team_id=context.team_id)
            log.info("workspace %s revoked the bot's tokens; they are deleted", context.team_id)
            await removed(str(context.team_id))

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)


def _reader(request: AsyncBoltRequest) -> str | None:
    """The installing browser's language."""
    found = request.headers.get("accept-language") or []
    return from_accept_language(found[0] if found else None)


def _page(title: str, text: str, status: int, cookie: str | None, locale: str | None = None) -> BoltResponse:
    lang = html.escape((locale or "en").replace("_", "-"))
    body = (
        f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Headshots</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
        f"<body style=\"font-family: sans-serif; max-width: 36em; margin: 3em auto\"><h1>{html.escape(title)}</h1>"
        f"<p>{text}</p></body></html>"
    )
    headers: dict[str, str | Sequence[str]] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    if cookie is not None:
        headers["Set-Cookie"] = [cookie]
    return BoltResponse(status=status, body=body, headers=headers)


async def _succeeded(args: AsyncSuccessArgs) -> BoltResponse:
    locale = _reader(args.request)
    team = args.installation.team_name or args.installation.team_id or t(locale, "your workspace")
    # Escaped whole, then the markup the sentence means is put back around its two names.
    text = html.escape(t(
        locale, "Headshots is installed in {team}. Type {command} in any channel to start.", team="\0", command="\1",
    )).replace("\0", f"<b>{html.escape(team)}</b>").replace("\1", "<code>/headshot</code>")
    return _page(t(locale, "Installed"), text, 200, _forget_state_cookie(args.settings), locale)


async def _failed(args: AsyncFailureArgs) -> BoltResponse:
    locale = _reader(args.request)
    reason = _FAILURES.get(args.reason) or phrase("Slack answered with an error.")
    if args.error is not None:
        log.warning("a Slack installation failed (%s): %r", args.reason, args.error)
    start_again, nothing = t(locale, "Start again"), t(locale, "Nothing was installed.")
    again = f"<a href=\"{INSTALL_PATH}\">{html.escape(start_again)}</a>."
    text = f"{html.escape(reason.say(locale))} {html.escape(nothing)} {again}"
    title = t(locale, "Not installed")
    # Without this browser's valid state the answer changes no cookie: any link could otherwise end an install.
    cookie = None if args.reason in _NOT_THIS_BROWSERS else _forget_state_cookie(args.settings)
    return _page(title, text, args.suggested_status_code, cookie, locale)


def _forget_state_cookie(settings: AsyncOAuthSettings) -> str:
    return OAuthStateUtils(cookie_name=settings.state_cookie_name).build_set_cookie_for_deletion()
