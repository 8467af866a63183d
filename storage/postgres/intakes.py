"""Requests acknowledged but not yet jobs, on PostgreSQL (`bot.ports.IntakeLog`).

Several replicas look for requests left open. Handing one out marks it as being answered for a
while, in the same statement, so two replicas looking at once never both answer it; one whose
answerer died is handed out again after that while.
"""

from __future__ import annotations

import json
import time

from bot.jobs import PendingIntake, ThreadAddress
from storage.postgres.connect import GuardedPool

ANSWERING_S = 120.0


class PostgresIntakes:
    """The intake log's part of `PostgresStore`."""

    _pool: GuardedPool

    async def begin_intake(self, intake: PendingIntake) -> None:
        """Record a request the moment it is taken on."""
        await self._pool.execute(
            "INSERT INTO intakes (id, owner, surface, reply, thread, created_at, locale) "
            "VALUES ($1, $2, $3, $4, NULL, $5, $6)",
            intake.id, intake.owner, intake.surface, json.dumps(dict(intake.reply)), intake.created_at, intake.locale,
        )

    async def intake_opened(self, intake_id: str, thread: ThreadAddress) -> None:
        """Note the request's status message (and thread), posted but not yet a job."""
        await self._pool.execute("UPDATE intakes SET thread = $2 WHERE id = $1", intake_id, json.dumps(dict(thread)))

    async def end_intake(self, intake_id: str) -> None:
        """The request became a job, or its refusal was told: nothing is left to answer."""
        await self._pool.execute("DELETE FROM intakes WHERE id = $1", intake_id)

    async def open_intakes(self, older_than: float) -> list[PendingIntake]:
        """Requests taken on before `older_than` and never answered, oldest first; each is handed
        to one caller (for `ANSWERING_S` seconds), whichever replica asks."""
        now = time.time()
        rows = await self._pool.fetch(
            "UPDATE intakes SET answering_until = $2 WHERE id IN ("
            "SELECT id FROM intakes WHERE created_at < $1 AND answering_until < $3 FOR UPDATE SKIP LOCKED"
            ") RETURNING id, owner, surface, reply, thread, created_at, locale",
            older_than, now + ANSWERING_S, now,
        )
        found = [
            PendingIntake(
                id=str(row["id"]), owner=str(row["owner"]), surface=str(row["surface"]), reply=json.loads(row["reply"]),
                thread=json.loads(row["thread"]) if row["thread"] else None, created_at=float(row["created_at"]),
                locale=row["locale"],
            )
            for row in rows
        ]
        return sorted(found, key=lambda intake: intake.created_at)
