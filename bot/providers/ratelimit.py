"""A sliding-window rate limiter whose call log survives restarts (through the job store)."""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Sequence

from bot.ports import CallLog

log = logging.getLogger(__name__)

# agent.ai: 20 requests a minute and 1,000 a day.
AGENTAI_LIMITS: tuple[tuple[int, float], ...] = ((20, 60.0), (1000, 86400.0))


class CallLimiter:
    """Allows at most `limit` calls per `window` seconds, for each (limit, window) pair.

    The call log (the store) counts every process's calls and survives restarts, so neither
    several replicas nor a restart stretch a daily budget. Call times are also kept in memory
    for the synchronous `wait_seconds()`. `block_until()` applies a pause the server asked for.
    """

    def __init__(
        self,
        name: str,
        limits: Sequence[tuple[int, float]] = AGENTAI_LIMITS,
        *,
        calls: CallLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.limits = tuple(limits)
        self._log = calls
        self._clock = clock
        self._times: list[float] = []
        self._blocked_until = 0.0
        self._busy_until = 0.0  # when the shared log last said the next slot frees
        self._loaded = calls is None
        self._horizon = max((window for _limit, window in self.limits), default=0.0)

    @classmethod
    async def load(
        cls,
        calls: CallLog,
        name: str,
        limits: Sequence[tuple[int, float]] = AGENTAI_LIMITS,
        *,
        clock: Callable[[], float] = time.time,
    ) -> CallLimiter:
        """A limiter for provider `name` with its recent calls restored from `calls`."""
        limiter = cls(name, limits, calls=calls, clock=clock)
        await limiter.restore()
        return limiter

    async def restore(self) -> None:
        """Read the recent calls from the call log (once)."""
        if self._log is not None and not self._loaded:
            stored = await self._log.calls_since(self.name, self._clock() - self._horizon)
            self._times = sorted({*self._times, *stored})
        self._loaded = True

    def wait_seconds(self) -> float:
        """Seconds until a call is allowed (0 when one is allowed now)."""
        now = self._clock()
        self._forget_before(now - self._horizon)
        wait = max(0.0, self._blocked_until - now, self._busy_until - now)
        for limit, window in self.limits:
            recent = len(self._times) - bisect.bisect_right(self._times, now - window)
            if recent >= limit:
                # The slot frees when the limit-th most recent call leaves the window.
                wait = max(wait, self._times[-limit] + window - now)
        return wait

    async def acquire(self) -> float:
        """Take a slot and return 0, or return the seconds until one frees (taking nothing).

        With a call log the log decides, so processes sharing it share the limits; this process's
        own memory only answers `wait_seconds()`, and decides alone while the log cannot be reached.
        """
        if not self._loaded:
            await self.restore()
        wait = self.wait_seconds()
        if wait > 0:
            return wait
        now = self._clock()
        # Recorded in memory before any await, so concurrent callers cannot share a slot.
        self._times.append(now)
        if self._log is None:
            return 0.0
        try:
            wait = await self._log.take_call(self.name, now, self.limits)
        except Exception as exc:
            log.warning("%s: the call log is unreachable (%s); limiting this process alone", self.name, exc)
            return 0.0
        if wait > 0:  # other processes used the slots: this call is not made
            self._times.remove(now)
            self._busy_until = max(self._busy_until, now + wait)
        return wait

    def block_until(self, until: float) -> None:
        """Allow no call before `until` (the server said the budget is spent)."""
        self._blocked_until = max(self._blocked_until, until)

    def _forget_before(self, cutoff: float) -> None:
        drop = bisect.bisect_right(self._times, cutoff)
        if drop:
            del self._times[:drop]

