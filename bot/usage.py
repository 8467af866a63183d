"""What the bot says about quotas: refusals, what is left, and usage reports, for every surface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.quotas import Period, QuotaPolicy, Scope, Use


def in_words(seconds: float) -> str:
    """A wait as words: "5 h 10 min", "1 day 3 h", "9 days", "less than a minute"."""
    minutes = int(max(0.0, seconds) // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days >= 3:
        return f"{days} days"
    if days:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "less than a minute"


def resets(use: Use, now: float) -> str:
    """When a window's allowance comes back: "at 00:00 UTC, in 5 h 10 min"."""
    end = use.window.end
    wait = in_words(end - now)
    if use.window.limit.period is Period.DAY:
        return f"at 00:00 UTC, in {wait}"
    day = datetime.fromtimestamp(end, UTC)
    return f"on {day.day} {day:%B} at 00:00 UTC, in {wait}"


def _span(period: Period) -> str:
    return "today" if period is Period.DAY else "this month"


def refusal(use: Use, needed: int, label: str, now: float) -> str:
    """The one sentence that refuses a request: which limit, how much is used, when it resets."""
    limit = use.window.limit
    user = limit.scope is Scope.USER
    noun = "headshot" if needed == 1 else "headshots"
    if needed > limit.images:
        whose = "your" if user else "this workspace's"
        return (
            f"A {label} request counts {needed} {noun}, more than {whose} whole allowance of {limit.images} "
            f"{'a day' if limit.period is Period.DAY else 'a month'}; please choose another provider."
        )
    span = "for today" if limit.period is Period.DAY else "for this month"
    used = f"You have used {use.used} of your" if user else f"This workspace has used {use.used} of its"
    extra = "" if use.used >= limit.images else f", and this request needs {needed}"
    return f"{used} {limit.images} {label} headshots {span}{extra}; the allowance resets {resets(use, now)}."


def choice_note(use: Use | None) -> str:
    """What is left of a provider, for its entry in a list of choices: "3 left today" ("" if unlimited)."""
    if use is None:
        return ""
    left = "none" if use.left == 0 else str(use.left)
    return f"{left} left {_span(use.window.limit.period)}"


def usage_lines(uses: Sequence[Use], labels: Mapping[str, str], now: float) -> list[str]:
    """One line per limit in force for a user: whose use, how much, when it resets."""
    lines = []
    for use in uses:
        limit = use.window.limit
        label = labels.get(limit.provider, limit.provider)
        who = "You" if limit.scope is Scope.USER else "This workspace"
        lines.append(
            f"{label}: {who} used {use.used} of {limit.images} {_span(limit.period)} ({use.left} left); "
            f"resets {resets(use, now)}."
        )
    return lines


def usage_text(uses: Sequence[Use], labels: Mapping[str, str], now: float, *, bullet: str = "• ") -> str:
    """A user's usage report (`usage` on a chat surface)."""
    if not uses:
        return "No headshot limits are set on this bot: you may make as many as you like."
    lines = usage_lines(uses, labels, now)
    return "Your headshot allowance (UTC):\n" + "\n".join(bullet + line for line in lines)


@dataclass(frozen=True)
class UsageRow:
    """One row of the operator's usage table."""

    workspace: str
    who: str  # "workspace" or a user's key
    provider: str
    period: Period
    used: int
    limit: int | None
    resets: str


def usage_table(rows: Sequence[UsageRow]) -> str:
    """The operator's usage as an aligned text table."""
    head = ("WORKSPACE", "WHO", "PROVIDER", "PERIOD", "USED", "LIMIT", "RESETS")
    body = [
        (r.workspace, r.who, r.provider, r.period.value, str(r.used), str(r.limit) if r.limit is not None else "-",
         r.resets)
        for r in rows
    ]
    widths = [max(len(cells[n]) for cells in (head, *body)) for n in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
                     for cells in (head, *body))


def limit_lines(policy: QuotaPolicy) -> list[str]:
    """The limits in force, one line each (for `check`)."""
    return [
        f"{limit.images} {limit.provider} images per {limit.scope.value} per UTC {limit.period.value} "
        f"({limit.variable})"
        for limit in policy.limits
    ]
