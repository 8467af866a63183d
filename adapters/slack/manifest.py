"""The Slack app manifest: one paste at api.slack.com/apps creates the app with everything it needs."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# A person allows the bot once to set their profile photo: the start, and where Slack sends them back.
USER_AUTH_PATH = "/slack/user-auth"
USER_AUTH_CALLBACK_PATH = "/slack/user-auth/callback"
USER_SCOPES = ["users.profile:write"]
# Slack tells the app when it is removed, so that the workspace's tokens can be deleted at once.
UNINSTALL_EVENTS = ["app_uninstalled", "tokens_revoked"]


def _template() -> dict[str, Any]:
    return dict(json.loads(resources.files("adapters.slack").joinpath("manifest.json").read_text()))


def bot_scopes() -> list[str]:
    """The bot scopes the app asks for (one list, in the manifest)."""
    return list(_template()["oauth_config"]["scopes"]["bot"])


def build_manifest(public_base_url: str | None, *, oauth: bool = False) -> dict[str, Any]:
    """The manifest for HTTP delivery at `public_base_url`, or for Socket Mode when it is None.

    With `oauth` (SLACK_CLIENT_ID is set) it names the redirect URLs of the install flow and of a
    person's permission to set their photo (with the user scope that asks for), and subscribes to
    the uninstall events; many workspaces need HTTP events, never Socket Mode.
    """
    manifest = _template()
    settings = manifest["settings"]
    if oauth:
        settings["event_subscriptions"]["bot_events"] += UNINSTALL_EVENTS
        if public_base_url:
            base = public_base_url.rstrip("/")
            manifest["oauth_config"]["redirect_urls"] = [base + REDIRECT_PATH, base + USER_AUTH_CALLBACK_PATH]
            manifest["oauth_config"]["scopes"]["user"] = list(USER_SCOPES)
    if public_base_url:
        url = public_base_url.rstrip("/") + EVENTS_PATH
        for command in manifest["features"]["slash_commands"]:
            command["url"] = url
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
        settings["socket_mode_enabled"] = False
    else:
        settings["socket_mode_enabled"] = True
    return manifest


def render_manifest(public_base_url: str | None, *, oauth: bool = False) -> str:
    """The manifest as JSON text (Slack accepts JSON manifests as they are)."""
    return json.dumps(build_manifest(public_base_url, oauth=oauth), indent=2, ensure_ascii=False)
