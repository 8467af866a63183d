"""Requests acknowledged but not yet jobs, in SQLite (`bot.ports.IntakeLog`).

A row is written before anything slow happens to a request and deleted once it is a job or
its refusal was told; what is left after a crash is what nobody has answered yet.
"""

from __future__ import annotations

import json

from bot.jobs import PendingIntake, ThreadAddress
from storage.rows import INTAKE_COLUMNS, intake_from_row, intake_values
from storage.sqlite.writes import SqliteRole

_INSERT = f"INSERT INTO intakes ({', '.join(INTAKE_COLUMNS)}) VALUES ({', '.join('?' for _ in INTAKE_COLUMNS)})"


class SqliteIntakes(SqliteRole):
    """The intake log's part of `SqliteJobStore`, on its connection and its write lock."""

    async def begin_intake(self, intake: PendingIntake) -> None:
        """Record a request the moment it is taken on."""
        await self._write((_INSERT, intake_values(intake)))

    async def intake_opened(self, intake_id: str, thread: ThreadAddress) -> None:
        """Note the request's status message (and thread), posted but not yet a job."""
        await self._write(("UPDATE intakes SET thread = ? WHERE id = ?", (json.dumps(dict(thread)), intake_id)))

    async def end_intake(self, intake_id: str) -> None:
        """The request became a job, or its refusal was told: nothing is left to answer."""
        await self._write(("DELETE FROM intakes WHERE id = ?", (intake_id,)))

    async def open_intakes(self, older_than: float) -> list[PendingIntake]:
        """Requests taken on before `older_than` and never answered, oldest first."""
        async with self._db.execute(
            f"SELECT {', '.join(INTAKE_COLUMNS)} FROM intakes WHERE created_at < ? ORDER BY created_at", (older_than,)
        ) as cursor:
            return [intake_from_row(row) async for row in cursor]
