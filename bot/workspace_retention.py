"""How long each workspace keeps photos and results: the operator's settings, or shorter.

The operator sets the longest (PHOTO_KEEP_HOURS, RESULT_RETENTION_DAYS); a workspace's admins may
shorten either for their workspace, never lengthen it. A value equal to the operator's is no
shortening at all and is stored as none. The retention sweep, the engine (photos deleted at once
when the keep is zero) and the galleries (a page ends with its results) ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.i18n import t, tn

if TYPE_CHECKING:  # the port names `KeepFor` in its signatures
    from bot.ports import WorkspaceRetention


@dataclass(frozen=True)
class KeepFor:
    """How long photos are kept after their job ends (hours) and results (days); None: the operator's."""

    photo_hours: float | None = None
    result_days: float | None = None

    @property
    def shortens(self) -> bool:
        """Whether this shortens anything."""
        return self.photo_hours is not None or self.result_days is not None


class KeepError(UserError):
    """A keep an admin asked for that is not allowed (longer than the operator's, or not a duration)."""


def read_number(text: str | None, locale: str | None = None) -> float | None:
    """A number an admin typed ("12", "1.5", "1,5"); None for nothing at all. Raises `KeepError`."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise KeepError(t(locale, "“{text}” is not a number.", text=text.strip()[:20])) from None
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        raise KeepError(t(locale, "“{text}” is not a number.", text=text.strip()[:20]))
    return value


def hours_in_words(locale: str | None, hours: float) -> str:
    """ "24 hours", "1 hour", "30 minutes"."""
    if 0 < hours < 1:
        return t(locale, "{n} minutes", n=f"{hours * 60:g}")
    if hours == int(hours):
        return tn(locale, "1 hour", "{n} hours", int(hours))
    return t(locale, "{n} hours", n=f"{hours:g}")


def days_in_words(locale: str | None, days: float) -> str:
    """ "30 days", "1 day"."""
    if days == int(days):
        return tn(locale, "1 day", "{n} days", int(days))
    return t(locale, "{n} days", n=f"{days:g}")


class RetentionRules:
    """The retention in force for each workspace, and the check that an admin only shortens it."""

    def __init__(self, store: WorkspaceRetention, *, photo_keep_hours: float, result_retention_days: float) -> None:
        self._store = store
        self.operator = KeepFor(photo_keep_hours, result_retention_days)

    @property
    def photo_hours(self) -> float:
        """The operator's PHOTO_KEEP_HOURS."""
        assert self.operator.photo_hours is not None
        return self.operator.photo_hours

    @property
    def result_days(self) -> float:
        """The operator's RESULT_RETENTION_DAYS."""
        assert self.operator.result_days is not None
        return self.operator.result_days

    def checked(self, keep: KeepFor, locale: str | None = None) -> KeepFor:
        """`keep` as it will be stored (the operator's own values dropped); raises `KeepError` with one
        sentence for a value that would keep anything longer than the operator allows."""
        photos, results = keep.photo_hours, keep.result_days
        if photos is not None and not 0 <= photos <= self.photo_hours:
            raise KeepError(
                t(
                    locale,
                    "Photos can be kept from 0 up to {most} after their job ends on this bot.",
                    most=hours_in_words(locale, self.photo_hours),
                )
            )
        if results is not None and not 0 < results <= self.result_days:
            raise KeepError(
                t(
                    locale,
                    "Results can be kept for more than 0 and up to {most} on this bot.",
                    most=days_in_words(locale, self.result_days),
                )
            )
        return KeepFor(
            None if photos is None or photos == self.photo_hours else photos,
            None if results is None or results == self.result_days else results,
        )

    async def save(self, workspace: str, keep: KeepFor, by: str) -> None:
        """Store a checked keep (`checked`)."""
        await self._store.save_workspace_keep(workspace, keep, by)

    async def own(self, workspace: str) -> KeepFor:
        """What the workspace itself shortened (None where it keeps the operator's)."""
        return await self._store.workspace_keep(workspace) or KeepFor()

    async def shortened(self) -> dict[str, KeepFor]:
        """Every workspace that keeps something shorter than the operator, and what."""
        return await self._store.shortened_keeps()

    async def in_force(self, workspace: str) -> KeepFor:
        """What the workspace keeps, both values set (its own where shorter, else the operator's)."""
        own = await self._store.workspace_keep(workspace) or KeepFor()
        return KeepFor(
            min(self.photo_hours, own.photo_hours) if own.photo_hours is not None else self.photo_hours,
            min(self.result_days, own.result_days) if own.result_days is not None else self.result_days,
        )

    async def photo_keep_seconds(self, workspace: str) -> float:
        """How long a finished job's photos stay in this workspace."""
        kept = (await self.in_force(workspace)).photo_hours
        return (kept if kept is not None else self.photo_hours) * 3600

    async def result_keep_seconds(self, workspace: str) -> float:
        """How long a finished job's results (and gallery) stay in this workspace."""
        kept = (await self.in_force(workspace)).result_days
        return (kept if kept is not None else self.result_days) * 86400


def describe_keep(locale: str | None, keep: KeepFor) -> str:
    """ "photos 2 hours after their job, results 7 days" (both values set)."""
    photos = hours_in_words(locale, keep.photo_hours or 0.0)
    results = days_in_words(locale, keep.result_days or 0.0)
    return t(locale, "photos {photos} after their job ends, results {results}", photos=photos, results=results)
