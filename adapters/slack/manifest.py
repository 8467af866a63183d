"""The Slack app manifest: one paste at api.slack.com/apps creates the app with everything it needs."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from adapters.slack.app import EVENTS_PATH


def build_manifest(public_base_url: str | None) -> dict[str, Any]:
    """The manifest for HTTP delivery at `public_base_url`, or for Socket Mode when it is None."""
    manifest: dict[str, Any] = json.loads(resources.files("adapters.slack").joinpath("manifest.json").read_text())
    settings = manifest["settings"]
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


def render_manifest(public_base_url: str | None) -> str:
    """The manifest as JSON text (Slack accepts JSON manifests as they are)."""
    return json.dumps(build_manifest(public_base_url), indent=2, ensure_ascii=False)
