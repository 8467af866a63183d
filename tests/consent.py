"""People who already agreed to the consent question, for tests about everything that comes after it.

Agreement goes through the core's own gate (a question asked and answered), as a person's would.
"""

from __future__ import annotations

from bot.app import Core
from bot.consent.terms import DataCommands

COMMANDS = DataCommands(export="/headshot my-data", forget="/headshot forget")
SLACK_TEAMS = ("T0TEAM",)
SLACK_USERS = ("U0USER", "U0OTHER", "U0STUDIO", "U0AGENT", "U0RUNFLOW", "U0BEFORE", "U0AFTER", "U0DURING")


async def agree(core: Core, *owners: str) -> None:
    """Each owner asks once and agrees."""
    for owner in owners:
        question = await core.consents.ask(owner, "test", {"kind": "none"}, commands=COMMANDS)
        await core.consents.agree(question.pending_id, owner)


def slack_people(teams: tuple[str, ...] = SLACK_TEAMS) -> list[str]:
    """The owner keys of the Slack users the tests use."""
    return [f"slack:{team}:{user}" for team in teams for user in SLACK_USERS]
