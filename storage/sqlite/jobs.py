"""Jobs in SQLite: the rows, and the queue that leases due jobs to one worker at a time."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from bot.jobs import ACTIVE_STATES, TERMINAL_STATES, Job, JobChange, JobState
from storage.rows import JOB_COLUMNS, change_sets, job_from_row, job_values
from storage.sqlite.charges import CONFIRM
from storage.sqlite.writes import SqliteRole

_ACTIVE = {f"active{n}": state.value for n, state in enumerate(sorted(ACTIVE_STATES))}
_ACTIVE_IN = f"state IN ({', '.join(':' + name for name in _ACTIVE)})"
_TERMINAL = [state.value for state in TERMINAL_STATES]
# Active jobs whose time has come, and waiting ones past their deadline: the jobs with work to do.
_DUE = f"(({_ACTIVE_IN} AND not_before <= :now) OR (state = 'waiting' AND deadline IS NOT NULL AND deadline <= :now))"
_INSERT = f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({', '.join('?' for _ in JOB_COLUMNS)})"


def _stamped(job: Job) -> list[Any]:
    """The row of a job being recorded now."""
    now = time.time()
    job.created_at = job.created_at or now
    job.updated_at = now
    return job_values(job)


class SqliteJobs(SqliteRole):
    """`JobQueue`, `JobRecords` and `JobCensus` for `SqliteJobStore`."""

    async def admit(self, job: Job) -> None:
        """Record the job, confirm the quota charge held for it and end its slot's hold, in one transaction."""
        await self._write(
            (_INSERT, _stamped(job)),
            (CONFIRM, (job.id,)),
            ("DELETE FROM job_holds WHERE id = ?", (job.id,)),  # the job counts now, not its hold
        )

    async def add(self, job: Job) -> None:
        """Record a job, and nothing else: a charge or a slot's hold under its id stays as it was."""
        await self._write((_INSERT, _stamped(job)))

    async def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        async with self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)) as cursor:
            row = await cursor.fetchone()
        return job_from_row(row) if row else None

    async def update(self, job_id: str, change: JobChange, *, expect: Iterable[JobState] | None = None) -> bool:
        """Apply `change`; with `expect`, only if the job is in one of those states.

        Returns whether a row changed, so callers can act exactly once on a transition.
        """
        sets, params = change_sets(change, time.time(), lambda _n: "?")
        sql = f"UPDATE jobs SET {sets} WHERE id = ?"
        params.append(job_id)
        if expect is not None:
            states = [s.value for s in expect]
            sql += f" AND state IN ({', '.join('?' for _ in states)})"
            params.extend(states)
        return await self._write((sql, params)) > 0

    async def arm_callback(self, job_id: str, callback_hash: str) -> None:
        """Store a new callback secret's hash; the remote id of any earlier submission is dropped."""
        await self._write((
            "UPDATE jobs SET callback_hash = ?, remote_id = NULL, updated_at = ? WHERE id = ?",
            (callback_hash, time.time(), job_id),
        ))

    async def claim(self, worker: str, now: float, limit: int, lease_s: float) -> list[Job]:
        """Lease up to `limit` due jobs that nobody holds to `worker`, earliest first."""
        sql = (
            "UPDATE jobs SET lease_owner = :worker, lease_until = :until WHERE id IN ("
            f"SELECT id FROM jobs WHERE {_DUE} AND lease_until <= :now "
            "ORDER BY not_before, created_at LIMIT :limit) RETURNING *"
        )
        params = {**_ACTIVE, "worker": worker, "until": now + lease_s, "now": now, "limit": limit}
        async with self._immediate() as db:
            rows = await db.execute_fetchall(sql, params)
        jobs = [job_from_row(row) for row in rows]
        return sorted(jobs, key=lambda job: (job.not_before, job.created_at))

    async def renew(self, worker: str, job_ids: Sequence[str], lease_s: float) -> set[str]:
        """Extend the worker's leases on these jobs; returns the ids it still holds."""
        if not job_ids:
            return set()
        marks = ", ".join("?" for _ in job_ids)
        async with self._immediate() as db:
            rows = await db.execute_fetchall(
                f"UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND id IN ({marks}) RETURNING id",
                (time.time() + lease_s, worker, *job_ids),
            )
        return {str(row[0]) for row in rows}

    async def release(self, worker: str, job_id: str) -> None:
        """Drop the worker's lease on a job."""
        await self._write((
            "UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?", (job_id, worker)
        ))

    async def next_due(self) -> float | None:
        """The earliest time at which some job can be claimed (a held job once its lease ends)."""
        sql = (
            f"SELECT MIN(t) FROM (SELECT MIN(MAX(not_before, lease_until)) AS t FROM jobs WHERE {_ACTIVE_IN} "
            "UNION ALL SELECT MIN(MAX(deadline, lease_until)) FROM jobs WHERE state = 'waiting')"
        )
        async with self._db.execute(sql, _ACTIVE) as cursor:
            row = await cursor.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def has_waiting(self) -> bool:
        """Whether some job waits for a provider's callback."""
        async with self._db.execute("SELECT 1 FROM jobs WHERE state = 'waiting' LIMIT 1") as cursor:
            return await cursor.fetchone() is not None

    async def jobs_for_owner(self, owner: str, limit: int = 10) -> list[Job]:
        """An owner's most recent jobs, newest first."""
        async with self._db.execute(
            "SELECT * FROM jobs WHERE owner = ? ORDER BY created_at DESC LIMIT ?", (owner, limit)
        ) as cursor:
            return [job_from_row(row) async for row in cursor]

    async def unfinished_count(self, owner: str) -> int:
        """How many of an owner's jobs are not finished."""
        async with self._db.execute(
            "SELECT COUNT(*) FROM jobs WHERE owner = ? AND state NOT IN (?, ?)", (owner, *_TERMINAL)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def unfinished_with_owner_prefix(self, prefix: str) -> list[str]:
        """Ids of the unfinished jobs whose owner key starts with `prefix` (one workspace's users)."""
        async with self._db.execute(
            "SELECT id FROM jobs WHERE substr(owner, 1, ?) = ? AND state NOT IN (?, ?)",
            (len(prefix), prefix, *_TERMINAL),
        ) as cursor:
            return [str(row[0]) async for row in cursor]

    async def count_by_state(self) -> dict[str, int]:
        """Job counts by state (one grouped query over the state index)."""
        async with self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state") as cursor:
            return {str(row[0]): int(row[1]) async for row in cursor}
