"""Campaign rosters as Block Kit: each campaign's counts, then who is where (people as Slack mentions)."""

from __future__ import annotations

from typing import Any

from adapters.slack.text import escaped
from bot.campaigns.model import Roster
from bot.campaigns.words import roster_counts, where_they_are
from bot.i18n import t

PEOPLE_SHOWN = 25
MAX_TEXT = 2900


def roster_blocks(
    rosters: list[Roster], locale: str | None = None, people_shown: int = PEOPLE_SHOWN
) -> list[dict[str, Any]]:
    """Two blocks per campaign: its counts, and its first people with how far each has come."""
    blocks: list[dict[str, Any]] = []
    for roster in rosters:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escaped(roster_counts(locale, roster))}*"}}
        )
        lines = [
            f"• <@{escaped(str(line.invitee.address.get('user', '')))}> — {escaped(where_they_are(locale, line))}"
            for line in roster.people[:people_shown]
        ]
        if len(roster.people) > people_shown:
            lines.append(t(locale, "…and {n} more", n=len(roster.people) - people_shown))
        text = "\n".join(lines)[:MAX_TEXT]
        if text:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return blocks
