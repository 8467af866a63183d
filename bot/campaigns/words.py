"""What people read about campaigns: the invitation, the reminder, and the roster's words."""

from __future__ import annotations

from bot.brand_kit import BrandKit
from bot.campaigns.model import Roster, RosterLine
from bot.dates import day
from bot.i18n import t, tn


def invitation(locale: str | None, name: str, deadline: float, kit: BrandKit) -> str:
    """The invitation a campaign sends each person."""
    look = "" if kit.is_open else " " + t(locale, "Everyone's will match: {look}.", look=kit.describe(locale))
    return t(
        locale,
        "*{name}*: this workspace is making everyone's headshots, and you are invited. "
        "Send one or more clear photos of yourself by {deadline}.{look}",
        name=name,
        deadline=day(locale, deadline),
        look=look,
    )


def reminder(locale: str | None, name: str, deadline: float) -> str:
    """The one reminder, to those who have not picked a favourite yet."""
    return t(
        locale,
        "*{name}* ends on {deadline}: make your headshots and pick your favourite before then.",
        name=name,
        deadline=day(locale, deadline),
    )


def open_button(locale: str | None) -> str:
    """The label of the button that opens the request."""
    return t(locale, "Make my headshots")


def where_they_are(locale: str | None, line: RosterLine) -> str:
    """How far one person has come, in a few words."""
    if line.favourite:
        return t(locale, "favourite picked")
    if line.delivered:
        return t(locale, "headshots delivered")
    if line.photos_sent:
        return t(locale, "photos sent")
    if line.unreachable:
        return t(locale, "could not be reached")
    return t(locale, "invited") if line.invited else t(locale, "not invited yet")


def roster_counts(locale: str | None, roster: Roster) -> str:
    """ "Headshot day (until 12 December 2026): 20 people · 18 invited · 9 sent photos · 7 delivered ·
    4 picked a favourite"."""
    return t(
        locale,
        "{name} (until {deadline}): {people} · {invited} invited · {sent} sent photos · "
        "{delivered} delivered · {favourite} picked a favourite",
        name=roster.campaign.name,
        deadline=day(locale, roster.campaign.deadline),
        people=tn(locale, "1 person", "{n} people", len(roster.people)),
        invited=roster.count("invited"),
        sent=roster.count("photos_sent"),
        delivered=roster.count("delivered"),
        favourite=roster.count("favourite"),
    )
