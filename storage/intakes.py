"""Requests acknowledged but not yet jobs, in SQLite (`bot.ports.IntakeLog`).

A row is written before anything slow happens to a request and deleted once it is a job or
its refusal was told; what is left after a crash is what nobody has answered yet.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiosqlite

from bot.jobs import PendingIntake, ThreadAddress
from storage.writes import write_at_once


class SqliteIntakes:
    """The intake log's part of `SqliteJobStore`, on its connection and its write lock."""

    _db: aiosqlite.Connection
    _writing: asyncio.Lock

    async def _intake_write(self, sql: str, params: tuple[Any, ...]) -> None:
        async with self._writing:
            await write_at_once(self._db, (sql, params))

    async def begin_intake(self, intake: PendingIntake) -> None:
        """Record a request the moment it is taken on."""
        await self._intake_write(
            "INSERT INTO intakes (id, owner, surface, reply, thread, created_at, locale) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (intake.id, intake.owner, intake.surface, json.dumps(dict(intake.reply)), None, intake.created_at,
             intake.locale),
        )

    async def intake_opened(self, intake_id: str, thread: ThreadAddress) -> None:
        """Note the request's status message (and thread), posted but not yet a job."""
        await self._intake_write("UPDATE intakes SET thread = ? WHERE id = ?", (json.dumps(dict(thread)), intake_id))

    async def end_intake(self, intake_id: str) -> None:
        """The request became a job, or its refusal was told: nothing is left to answer."""
        await self._intake_write("DELETE FROM intakes WHERE id = ?", (intake_id,))

    async def open_intakes(self, older_than: float) -> list[PendingIntake]:
        """Requests taken on before `older_than` and never answered, oldest first."""
        async with self._db.execute(
            "SELECT id, owner, surface, reply, thread, created_at, locale FROM intakes WHERE created_at < ? "
            "ORDER BY created_at",
            (older_than,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            PendingIntake(
                id=str(row[0]), owner=str(row[1]), surface=str(row[2]), reply=json.loads(row[3]),
                thread=json.loads(row[4]) if row[4] else None, created_at=float(row[5]), locale=row[6],
            )
            for row in rows
        ]
