"""Quotas applied: refuse, hold and report images through the ledger, on an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from bot.metrics import Metrics
from bot.options import Options
from bot.ports import QuotaLedger
from bot.quotas import Charge, Period, QuotaPolicy, Scope, Use, Window, tightest, window
from bot.request import Capabilities, Field, Problem, RequestError
from bot.usage import UsageRow, refusal, resets

# A hold lapses if its request is neither accepted nor given up by then (its process died).
HOLD_SECONDS = 1800.0


def images_for(capabilities: Capabilities, options: Options) -> int:
    """How many images a request counts: its count, or the provider's fixed pack (a Runflow job: 60)."""
    return options.count if "count" in capabilities.honours else capabilities.max_outputs


class QuotaExceeded(RequestError):
    """A request that would pass a limit; the sentence names the limit, the use and the reset.

    It belongs to the provider field: choosing another provider is what gets past it.
    """

    def __init__(self, use: Use, needed: int, label: str, now: float) -> None:
        super().__init__(Problem(Field.PROVIDER, refusal(use, needed, label, now)))
        self.use = use
        self.needed = needed

    @property
    def provider(self) -> str:
        """The provider whose limit was reached."""
        return self.use.window.limit.provider

    @property
    def scope(self) -> Scope:
        """Whose limit it was."""
        return self.use.window.limit.scope


class QuotaGuard:
    """A policy applied through the ledger.

    `check` only reads (fast enough to run before a platform's acknowledgement); `hold` is the
    atomic check-and-take that decides, when a request starts.
    """

    def __init__(
        self,
        policy: QuotaPolicy,
        ledger: QuotaLedger,
        *,
        clock: Callable[[], float] = time.time,
        hold_seconds: float = HOLD_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self.policy = policy
        self.ledger = ledger
        self.clock = clock
        self.hold_seconds = hold_seconds
        self.metrics = metrics or Metrics()

    def windows(self, provider: str, owner: str, workspace: str, now: float) -> list[Window]:
        """Every limit on `provider` as it applies to this owner and workspace at `now`."""
        found = []
        for limit in self.policy.for_provider(provider):
            start, end = window(limit.period, now)
            found.append(Window(limit, owner if limit.scope is Scope.USER else workspace, start, end))
        return found

    async def check(self, provider: str, label: str, owner: str, workspace: str, images: int) -> None:
        """Raise `QuotaExceeded` for a request that would pass a limit now; holds nothing."""
        now = self.clock()
        for use in await self._uses([provider], owner, workspace, now):
            if use.used + images > use.window.limit.images:
                raise self._refuse(use, images, label, now)

    async def hold(self, job_id: str, provider: str, label: str, owner: str, workspace: str, images: int) -> Charge:
        """Hold a job's images (every job is charged, limited or not), or raise `QuotaExceeded` holding nothing."""
        now = self.clock()
        charge = Charge(job_id, provider, owner, workspace, images, now)
        windows = self.windows(provider, owner, workspace, now)
        refused = await self.ledger.hold_charge(charge, windows, now + self.hold_seconds)
        if refused is not None:
            index, used = refused
            raise self._refuse(Use(windows[index], used), images, label, now)
        return charge

    def _refuse(self, use: Use, images: int, label: str, now: float) -> QuotaExceeded:
        limit = use.window.limit
        self.metrics.quota_refused(limit.provider, f"{limit.scope.value}_{limit.period.value}")
        return QuotaExceeded(use, images, label, now)

    async def release(self, job_id: str) -> None:
        """Give back a hold whose request was not accepted."""
        await self.ledger.release_charge(job_id)

    async def uses(self, owner: str, workspace: str, providers: Iterable[str]) -> list[Use]:
        """The owner's and the workspace's use of every limit in force on these providers."""
        return await self._uses(providers, owner, workspace, self.clock())

    async def left(self, owner: str, workspace: str, providers: Iterable[str]) -> dict[str, Use]:
        """For each limited provider, its use with the fewest images left."""
        uses = await self.uses(owner, workspace, providers)
        found: dict[str, Use] = {}
        for provider in dict.fromkeys(use.window.limit.provider for use in uses):
            use = tightest(u for u in uses if u.window.limit.provider == provider)
            if use is not None:
                found[provider] = use
        return found

    async def report(self, workspace: str | None = None) -> list[UsageRow]:
        """The operator's view: each workspace's and each of its users' use this day and month.

        Every provider with use or a limit appears; `workspace` (a key, or the id at its end)
        narrows it to one workspace.
        """
        now = self.clock()
        spans = {period: window(period, now) for period in Period}
        totals = {period: await self.ledger.charge_totals(start, now) for period, (start, _) in spans.items()}
        users: dict[tuple[Period, str, str], int] = {}
        places: dict[tuple[Period, str, str], int] = {}
        members: set[tuple[str, str, str]] = set()
        for period, rows in totals.items():
            for row in rows:
                users[period, row.owner, row.provider] = users.get((period, row.owner, row.provider), 0) + row.images
                key = (period, row.workspace, row.provider)
                places[key] = places.get(key, 0) + row.images
                members.add((row.workspace, row.owner, row.provider))
        found = []
        for place, provider in sorted({(w, p) for w, _, p in members}):
            if workspace is not None and not _names(place, workspace):
                continue
            found.extend(self._rows(place, "workspace", provider, Scope.WORKSPACE, places, spans, now))
            for owner in sorted(o for w, o, p in members if (w, p) == (place, provider)):
                found.extend(self._rows(place, owner, provider, Scope.USER, users, spans, now))
        if workspace is not None and not found:  # nothing used there yet: its limits, untouched
            for provider in sorted({limit.provider for limit in self.policy.limits}):
                found.extend(self._rows(workspace, "workspace", provider, Scope.WORKSPACE, places, spans, now))
        return found

    def _rows(
        self,
        place: str,
        who: str,
        provider: str,
        scope: Scope,
        counted: Mapping[tuple[Period, str, str], int],
        spans: Mapping[Period, tuple[float, float]],
        now: float,
    ) -> list[UsageRow]:
        key = place if scope is Scope.WORKSPACE else who
        limits = {limit.period: limit for limit in self.policy.for_provider(provider) if limit.scope is scope}
        rows = []
        for period in Period:
            limit = limits.get(period)
            used = counted.get((period, key, provider), 0)
            start, end = spans[period]
            when = str(resets(Use(Window(limit, key, start, end), used), now)) if limit else "-"
            rows.append(UsageRow(place, who, provider, period, used, limit.images if limit else None, when))
        return rows

    async def _uses(self, providers: Iterable[str], owner: str, workspace: str, now: float) -> list[Use]:
        windows = [w for provider in providers for w in self.windows(provider, owner, workspace, now)]
        if not windows:  # nothing limited: no trip to the store at all
            return []
        counted = await self.ledger.charged(windows, now)
        return [Use(w, used) for w, used in zip(windows, counted, strict=True)]


def _names(key: str, wanted: str) -> bool:
    """Whether an operator's `--workspace` value names this workspace key (whole, or the id at its end)."""
    return key == wanted or key.endswith(":" + wanted)
