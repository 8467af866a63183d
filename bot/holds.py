"""Retries the store could not record, held back in memory.

A step that fails is normally retried after a backoff written into the job's row. When the
store cannot take even that write (a full disk), the row still says "due now", and without a
note kept here the runner would try the job again at once, over and over. The note lasts as
long as the backoff would have; the job is tried again after it, and the store gets another
chance to record what happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class _Hold:
    until: float
    attempts: int


class HeldRetries:
    """Jobs whose next try is held back in memory, each with the attempts it has used."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._holds: dict[str, _Hold] = {}

    def is_held(self, job_id: str) -> bool:
        """Whether the job must not be tried yet."""
        hold = self._holds.get(job_id)
        return hold is not None and hold.until > self._clock()

    def attempts(self, job_id: str) -> int:
        """The attempts counted in memory for a job (0 when none were)."""
        hold = self._holds.get(job_id)
        return hold.attempts if hold else 0

    def hold(self, job_id: str, attempts: int, delay: float) -> None:
        """Hold a job back for `delay` seconds, remembering its attempts."""
        self._holds[job_id] = _Hold(self._clock() + delay, attempts)

    def release(self, job_id: str) -> None:
        """Forget a job's hold (the store has its state again)."""
        self._holds.pop(job_id, None)


class Throttled:
    """Logs a recurring problem at most once per `interval` seconds, saying how often it recurred."""

    def __init__(
        self, logger: logging.Logger, interval: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = logger
        self._interval = interval
        self._clock = clock
        self._last = float("-inf")
        self._held_back = 0

    def warning(self, message: str, *args: object, exc_info: BaseException | None = None) -> None:
        """Log now if the interval has passed since the last line, else only count it."""
        now = self._clock()
        if now - self._last < self._interval:
            self._held_back += 1
            return
        if self._held_back:
            message += f" (and {self._held_back} more times in the last {self._interval:.0f} s)"
        self._log.warning(message, *args, exc_info=exc_info)
        self._last, self._held_back = now, 0
