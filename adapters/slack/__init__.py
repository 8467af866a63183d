"""Slack: the `/headshot` command and modal, the "Make headshots" shortcut, mentions, and delivery."""

from __future__ import annotations

from adapters.slack.app import SlackAdapter

__all__ = ["SlackAdapter"]
