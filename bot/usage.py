"""What the bot says about quotas: refusals, what is left, and usage reports, for every surface.

Refusals are `Phrase`s (they are raised before the reader is known); reports are said in the
reader's language at once. The operator's table and limit lines are English (the command line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.dates import DayAndMonth
from bot.i18n import Phrase, phrase, phrase_n, t, tn
from bot.quotas import Period, QuotaPolicy, Scope, Use


def in_words(seconds: float) -> Phrase:
    """A wait as words: "5 h 10 min", "1 day 3 h", "9 days", "less than a minute"."""
    minutes = int(max(0.0, seconds) // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days and (days >= 3 or not hours):
        return phrase_n("1 day", "{n} days", days)
    if days:
        return phrase_n("1 day {hours} h", "{n} days {hours} h", days, hours=hours)
    if hours and minutes:
        return phrase("{hours} h {minutes} min", hours=hours, minutes=minutes)
    if hours:
        return phrase("{hours} h", hours=hours)
    return phrase("{minutes} min", minutes=minutes) if minutes else phrase("less than a minute")


def resets(use: Use, now: float) -> Phrase:
    """When a window's allowance comes back: "at 00:00 UTC, in 5 h 10 min"."""
    end = use.window.end
    wait = in_words(end - now)
    if use.window.limit.period is Period.DAY:
        return phrase("at 00:00 UTC, in {wait}", wait=wait)
    return phrase("on {day} at 00:00 UTC, in {wait}", day=DayAndMonth(end), wait=wait)


def _too_big(scope: Scope, period: Period, needed: int, label: str, allowance: int) -> Phrase:
    """A request larger than a whole allowance."""
    values: dict[str, object] = {"label": label, "allowance": allowance}
    if scope is Scope.USER and period is Period.DAY:
        return phrase_n(
            "A {label} request counts 1 headshot, more than your whole allowance of {allowance} a day; "
            "please choose another provider.",
            "A {label} request counts {n} headshots, more than your whole allowance of {allowance} a day; "
            "please choose another provider.", needed, **values)
    if scope is Scope.USER:
        return phrase_n(
            "A {label} request counts 1 headshot, more than your whole allowance of {allowance} a month; "
            "please choose another provider.",
            "A {label} request counts {n} headshots, more than your whole allowance of {allowance} a month; "
            "please choose another provider.", needed, **values)
    if period is Period.DAY:
        return phrase_n(
            "A {label} request counts 1 headshot, more than this workspace's whole allowance of {allowance} a day; "
            "please choose another provider.",
            "A {label} request counts {n} headshots, more than this workspace's whole allowance of {allowance} "
            "a day; please choose another provider.", needed, **values)
    return phrase_n(
        "A {label} request counts 1 headshot, more than this workspace's whole allowance of {allowance} a month; "
        "please choose another provider.",
        "A {label} request counts {n} headshots, more than this workspace's whole allowance of {allowance} "
        "a month; please choose another provider.", needed, **values)


def _all_used(scope: Scope, period: Period, values: Mapping[str, object]) -> Phrase:
    """A limit with nothing left."""
    if scope is Scope.USER and period is Period.DAY:
        return phrase(
            "You have used {used} of your {allowance} {label} headshots for today; the allowance resets {resets}.",
            **values)
    if scope is Scope.USER:
        return phrase(
            "You have used {used} of your {allowance} {label} headshots for this month; the allowance resets "
            "{resets}.", **values)
    if period is Period.DAY:
        return phrase(
            "This workspace has used {used} of its {allowance} {label} headshots for today; the allowance "
            "resets {resets}.", **values)
    return phrase(
        "This workspace has used {used} of its {allowance} {label} headshots for this month; the allowance "
        "resets {resets}.", **values)


def _not_enough(scope: Scope, period: Period, values: Mapping[str, object]) -> Phrase:
    """A limit with some left, but less than the request needs."""
    if scope is Scope.USER and period is Period.DAY:
        return phrase(
            "You have used {used} of your {allowance} {label} headshots for today, and this request needs "
            "{needed}; the allowance resets {resets}.", **values)
    if scope is Scope.USER:
        return phrase(
            "You have used {used} of your {allowance} {label} headshots for this month, and this request needs "
            "{needed}; the allowance resets {resets}.", **values)
    if period is Period.DAY:
        return phrase(
            "This workspace has used {used} of its {allowance} {label} headshots for today, and this request "
            "needs {needed}; the allowance resets {resets}.", **values)
    return phrase(
        "This workspace has used {used} of its {allowance} {label} headshots for this month, and this request "
        "needs {needed}; the allowance resets {resets}.", **values)


def refusal(use: Use, needed: int, label: str, now: float) -> Phrase:
    """The one sentence that refuses a request: which limit, how much is used, when it resets."""
    limit = use.window.limit
    if needed > limit.images:
        return _too_big(limit.scope, limit.period, needed, label, limit.images)
    values = {"used": use.used, "allowance": limit.images, "label": label, "resets": resets(use, now),
              "needed": needed}
    if use.used >= limit.images:
        return _all_used(limit.scope, limit.period, values)
    return _not_enough(limit.scope, limit.period, values)


def choice_note(use: Use | None, locale: str | None = None) -> str:
    """What is left of a provider, for its entry in a list of choices: "3 left today" ("" if unlimited)."""
    if use is None:
        return ""
    day = use.window.limit.period is Period.DAY
    if use.left == 0:
        return t(locale, "none left today") if day else t(locale, "none left this month")
    if day:
        return tn(locale, "1 left today", "{n} left today", use.left)
    return tn(locale, "1 left this month", "{n} left this month", use.left)


def _usage_line(use: Use, label: str, locale: str | None, now: float) -> str:
    limit = use.window.limit
    values = {"label": label, "used": use.used, "allowance": limit.images, "left": use.left,
              "resets": resets(use, now)}
    if limit.scope is Scope.USER and limit.period is Period.DAY:
        return t(locale, "{label}: You used {used} of {allowance} today ({left} left); resets {resets}.", **values)
    if limit.scope is Scope.USER:
        return t(locale, "{label}: You used {used} of {allowance} this month ({left} left); resets {resets}.",
                 **values)
    if limit.period is Period.DAY:
        return t(locale, "{label}: This workspace used {used} of {allowance} today ({left} left); resets {resets}.",
                 **values)
    return t(locale, "{label}: This workspace used {used} of {allowance} this month ({left} left); resets {resets}.",
             **values)


def usage_lines(uses: Sequence[Use], labels: Mapping[str, str], now: float, locale: str | None = None) -> list[str]:
    """One line per limit in force for a user: whose use, how much, when it resets."""
    return [_usage_line(use, labels.get(use.window.limit.provider, use.window.limit.provider), locale, now)
            for use in uses]


def usage_text(
    uses: Sequence[Use], labels: Mapping[str, str], now: float, *, bullet: str = "• ", locale: str | None = None
) -> str:
    """A user's usage report (`usage` on a chat surface)."""
    if not uses:
        return t(locale, "No headshot limits are set on this bot: you may make as many as you like.")
    lines = usage_lines(uses, labels, now, locale)
    return t(locale, "Your headshot allowance (UTC):") + "\n" + "\n".join(bullet + line for line in lines)


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
