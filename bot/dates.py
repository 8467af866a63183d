"""Dates as people read them."""

from __future__ import annotations

from datetime import UTC, datetime


def day(locale: str | None, at: float) -> str:
    """A date: "7 December 2026" (UTC; the month's name in English until the catalogs format dates)."""
    moment = datetime.fromtimestamp(at, UTC)
    return f"{moment.day} {moment:%B %Y}"
