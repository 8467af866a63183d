"""Quotas: how many images each provider may make per user and per workspace, per UTC day or month.

Plain data: the policy read once from the settings, the windows it counts over, the charges
and uses the ledger (`bot.ports.QuotaLedger`) keeps. `bot.quota_guard` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

_VARIABLE = re.compile(r"^QUOTA_(?P<provider>.+?)_PER_(?P<scope>USER|WORKSPACE)_PER_(?P<period>DAY|MONTH)$")


class Scope(StrEnum):
    """Whose use a limit counts."""

    USER = "user"
    WORKSPACE = "workspace"


class Period(StrEnum):
    """The UTC calendar span a limit counts over."""

    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True)
class Limit:
    """At most `images` images from `provider` per `scope` per `period`."""

    provider: str
    scope: Scope
    period: Period
    images: int

    @property
    def variable(self) -> str:
        """The setting that sets this limit."""
        return f"QUOTA_{self.provider.upper()}_PER_{self.scope.upper()}_PER_{self.period.upper()}"


class QuotaSettingError(ValueError):
    """A quota setting that cannot be used; names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable


@dataclass(frozen=True)
class QuotaPolicy:
    """Every limit in force (none: nothing is limited)."""

    limits: tuple[Limit, ...] = ()

    @classmethod
    def from_variables(cls, variables: Mapping[str, str | None], providers: Sequence[str]) -> QuotaPolicy:
        """Parse `QUOTA_<PROVIDER>_PER_<USER|WORKSPACE>_PER_<DAY|MONTH>` settings; blank means unset."""
        limits = []
        for raw_name, raw_value in sorted(variables.items()):
            name = raw_name.upper()
            match = _VARIABLE.match(name)
            if match is None:
                shape = "QUOTA_<PROVIDER>_PER_<USER|WORKSPACE>_PER_<DAY|MONTH>"
                raise QuotaSettingError(name, f"is not a quota setting; they are named {shape}.")
            provider = match["provider"].lower()
            if provider not in providers:
                known = ", ".join(providers)
                raise QuotaSettingError(name, f"names no provider “{provider}”; the providers are {known}.")
            value = (raw_value or "").strip()
            if not value:
                continue
            if not value.isdigit():  # also refuses "-1", "2.5" and "lots"
                raise QuotaSettingError(name, f"must be a whole number of images, 0 or more (it is “{value}”).")
            limits.append(Limit(provider, Scope(match["scope"].lower()), Period(match["period"].lower()), int(value)))
        return cls(tuple(limits))

    def for_provider(self, provider: str) -> tuple[Limit, ...]:
        """The limits on one provider."""
        return tuple(limit for limit in self.limits if limit.provider == provider)


def quota_workspace(owner: str, workspace: str | None) -> str:
    """The workspace whose allowance a request counts against: the place it was asked in (the
    adapter's key for it), or for a direct message, which has none, the person's own."""
    return workspace or owner


def window(period: Period, now: float) -> tuple[float, float]:
    """The start and end (UTC) of the day or calendar month that contains `now`."""
    moment = datetime.fromtimestamp(now, UTC)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.DAY:
        return start.timestamp(), (start + timedelta(days=1)).timestamp()
    start = start.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start.timestamp(), end.timestamp()


@dataclass(frozen=True)
class Window:
    """One limit as it applies to one requester now: which key is counted, from when to when."""

    limit: Limit
    key: str
    start: float
    end: float


@dataclass(frozen=True)
class Charge:
    """The images one job counts against its owner's and its workspace's limits."""

    job_id: str
    provider: str
    owner: str
    workspace: str
    images: int
    at: float


@dataclass(frozen=True)
class Use:
    """How much of one window is used."""

    window: Window
    used: int

    @property
    def left(self) -> int:
        """Images still allowed in this window."""
        return max(0, self.window.limit.images - self.used)


def tightest(uses: Iterable[Use]) -> Use | None:
    """The use with the fewest images left (the shorter period on a tie)."""
    return min(uses, key=lambda use: (use.left, use.window.limit.period is Period.MONTH), default=None)


@dataclass(frozen=True)
class ChargeTotal:
    """Images charged to one owner in one workspace for one provider since some moment."""

    workspace: str
    owner: str
    provider: str
    images: int
