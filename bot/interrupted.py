"""Requests a process was killed in the middle of: whoever is still waiting is told.

`JobIntake.start` writes a request down before anything slow happens to it and crosses it off
once it is a job or refused. Whatever is left was cut short: its status message (if one was
posted, even if its address was never written down) is set to say so, or the adapter tells the
person where they asked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from bot.holds import Throttled
from bot.i18n import phrase
from bot.jobs import PendingIntake, ThreadAddress
from bot.ports import ChatSurface, IntakeLog, JobRecords

log = logging.getLogger(__name__)

INTERRUPTED = phrase("❌ I was restarted before your headshots could start, so nothing was made; please try again.")
# A request still open after this is dead: its downloads time out, and it is refused, well before.
STALE_SECONDS = 180.0
CHECK_EVERY_SECONDS = 30.0


class Teller(Protocol):
    """A chat platform's way of telling the person behind a request, at the address it recorded."""

    async def tell(self, reply: ThreadAddress, text: str) -> None:
        """Tell the person (ephemerally where the platform can) `text`."""
        ...

    async def end_unrecorded_status(self, intake: PendingIntake, text: str) -> bool:
        """Set `text` on a status message the request posted before its address was written down;
        False when the platform finds none."""
        ...


class InterruptedIntakes:
    """Finds the requests left open and answers each once."""

    def __init__(
        self,
        intakes: IntakeLog,
        records: JobRecords,
        surfaces: Mapping[str, ChatSurface],
        tellers: Mapping[str, Teller],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._intakes = intakes
        self._records = records
        self._surfaces = surfaces
        self._tellers = tellers
        self._clock = clock
        self._trouble = Throttled(log)

    async def answer(self, older_than: float) -> int:
        """Tell whoever is behind each request left open since before `older_than`; returns how many."""
        told = 0
        for intake in await self._intakes.open_intakes(older_than):
            if await self._records.get(intake.id) is None:  # else it became a job just before the end
                told += await self._tell(intake)
            await self._intakes.end_intake(intake.id)
        if told:
            log.info("answered %d request(s) cut short by a restart", told)
        return told

    async def _tell(self, intake: PendingIntake) -> bool:
        surface, teller = self._surfaces.get(intake.surface), self._tellers.get(intake.surface)
        try:
            text = INTERRUPTED.say(intake.locale)
            if intake.thread is not None and surface is not None:
                await surface.set_status(intake.thread, text)
            elif teller is not None:
                # Killed between posting the status and writing its address down, the status is
                # found by what it carries; only without one is the person told where they asked.
                if not await teller.end_unrecorded_status(intake, text):
                    await teller.tell(intake.reply, text)
            else:
                log.warning("a request cut short on %s cannot be answered there any more", intake.surface)
                return False
        except Exception as exc:  # one try: a person told twice is worse than one told late
            log.warning("could not tell someone their request was cut short (%s)", type(exc).__name__)
            return False
        return True

    async def watch(self, started_at: float | None) -> None:
        """Answer the requests left before `started_at` (the start of a process that is the store's only
        user: all of them are dead), then, every half minute, those left open too long by anyone."""
        first = started_at if started_at is not None else self._clock() - STALE_SECONDS
        while True:
            try:
                await self.answer(first)
            except Exception as exc:
                self._trouble.warning("could not look for requests cut short (%s)", exc)
            await asyncio.sleep(CHECK_EVERY_SECONDS)
            first = self._clock() - STALE_SECONDS
