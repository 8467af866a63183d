"""Dates and times as the reader writes them (Babel's CLDR patterns), always in UTC and saying so.

The bot knows nobody's time zone, so every moment it shows is UTC. English is written the
British way ("1 December", "00:00"), which reads unambiguously everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_skeleton

from bot.i18n import language

ENGLISH = "en_GB"


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _reader(locale: str | None) -> Locale:
    return _locale(language(locale) or ENGLISH)


@dataclass(frozen=True)
class DayAndMonth:
    """A moment's UTC day, put in words when the reader is known (a `bot.i18n.Sayable`)."""

    moment: float

    def say(self, locale: str | None) -> str:
        """The day in the reader's way: "1 December", "1. Dezember"."""
        return day_and_month(locale, self.moment)


def day_and_month(locale: str | None, moment: float) -> str:
    """The UTC day of a moment: "1 December", "1. Dezember", "12月1日"."""
    return str(format_skeleton("MMMMd", datetime.fromtimestamp(moment, UTC), tzinfo=UTC, locale=_reader(locale)))


def clock_time(locale: str | None, moment: float) -> str:
    """The UTC time of day of a moment, as the reader writes it: "00:00", "0:00"."""
    return str(format_skeleton("Hm", datetime.fromtimestamp(moment, UTC), tzinfo=UTC, locale=_reader(locale)))


def short_date_time(locale: str | None, moment: float) -> str:
    """A UTC date and time in a few characters: "3 Mar, 14:05 UTC", "3. März, 14:05 UTC"."""
    reader = _reader(locale)
    when = datetime.fromtimestamp(moment, UTC)
    date = format_skeleton("MMMd", when, tzinfo=UTC, locale=reader)
    pattern = str(reader.datetime_formats.get("short", "{1}, {0}"))
    return pattern.replace("{1}", date).replace("{0}", clock_time(locale, moment)) + " UTC"


def long_date_time(locale: str | None, moment: float) -> str:
    """A full UTC date and time: "3 March 2026, 14:05 UTC", "3. März 2026, 14:05 UTC"."""
    reader = _reader(locale)
    when = datetime.fromtimestamp(moment, UTC)
    date = format_date(when.date(), format="long", locale=reader)
    pattern = str(reader.datetime_formats.get("medium", "{1}, {0}"))
    return pattern.replace("{1}", date).replace("{0}", clock_time(locale, moment)) + " UTC"


def day(locale: str | None, moment: float) -> str:
    """A UTC date as the reader writes it: "7 December 2026", "7. Dezember 2026", "2026年12月7日"."""
    return str(format_date(datetime.fromtimestamp(moment, UTC).date(), format="long", locale=_reader(locale)))
