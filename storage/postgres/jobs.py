"""Jobs on PostgreSQL: the rows, and the queue that leases due jobs to one replica at a time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

import asyncpg

from bot.jobs import ACTIVE_STATES, TERMINAL_STATES, Job, JobChange, JobState
from bot.options import Options
from storage.postgres.connect import GuardedPool
from storage.postgres.wakeups import WAKE_CHANNEL

_COLUMNS = (
    "id owner surface thread provider options photo_count state created_at updated_at attempts "
    "not_before remote_id callback_hash deadline results_total results_done error detail photos_purged workspace locale"
).split()
_ACTIVE = sorted(state.value for state in ACTIVE_STATES)
_TERMINAL = sorted(state.value for state in TERMINAL_STATES)
_DUE = "((state = ANY($1::text[]) AND not_before <= $2) OR (state = 'waiting' AND deadline <= $2))"
_CLAIM = f"""
WITH due AS (
    SELECT id FROM jobs WHERE {_DUE} AND lease_until <= $2
    ORDER BY not_before, created_at LIMIT $5 FOR UPDATE SKIP LOCKED
)
UPDATE jobs SET lease_owner = $3, lease_until = $2 + $4 FROM due WHERE jobs.id = due.id RETURNING jobs.*
"""
# The job, the confirmation of the quota charge held for it, the end of its slot's hold, and the
# wake-up: one statement.
_INSERT = (
    f"WITH added AS (INSERT INTO jobs ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_COLUMNS) + 1))}) RETURNING id), "
    "confirmed AS (UPDATE quota_charges SET held_until = NULL WHERE job_id = $1), "
    "released AS (DELETE FROM job_holds WHERE id = $1) "
    f"SELECT pg_notify('{WAKE_CHANNEL}', '') FROM added"
)
_NEXT_DUE = """
SELECT min(t) FROM (
    SELECT min(greatest(not_before, lease_until)) AS t FROM jobs WHERE state = ANY($1::text[])
    UNION ALL SELECT min(greatest(deadline, lease_until)) FROM jobs WHERE state = 'waiting'
) AS due
"""


class PostgresJobs:
    """`JobQueue` and `JobRecords` on an asyncpg pool."""

    _pool: GuardedPool

    async def add(self, job: Job) -> None:
        """Record a new job, confirm the quota charge held for it, end its slot's hold, and wake every replica."""
        now = time.time()
        job.created_at = job.created_at or now
        job.updated_at = now
        await self._pool.execute(_INSERT, *_to_row(job))

    async def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        row = await self._pool.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
        return _from_row(row) if row else None

    async def update(self, job_id: str, change: JobChange, *, expect: Iterable[JobState] | None = None) -> bool:
        """Apply `change`; with `expect`, only if the job is in one of those states."""
        fields: dict[str, Any] = {name: value for name, value in asdict(change).items() if value is not None}
        fields["updated_at"] = time.time()
        values = [value.value if isinstance(value, JobState) else value for value in fields.values()]
        sets = ", ".join(f"{name} = ${n}" for n, name in enumerate(fields, start=2))
        sql = f"UPDATE jobs SET {sets} WHERE id = $1"
        if expect is not None:
            sql += f" AND state = ANY(${len(values) + 2}::text[])"
            values.append([state.value for state in expect])
        status = await self._pool.execute(sql, job_id, *values)
        return _count(status) > 0

    async def arm_callback(self, job_id: str, callback_hash: str) -> None:
        """Store a new callback secret's hash; the remote id of any earlier submission is dropped."""
        await self._pool.execute(
            "UPDATE jobs SET callback_hash = $2, remote_id = NULL, updated_at = $3 WHERE id = $1",
            job_id, callback_hash, time.time(),
        )

    async def claim(self, worker: str, now: float, limit: int, lease_s: float) -> list[Job]:
        """Lease up to `limit` due jobs nobody holds to `worker`; replicas claiming at once skip each other's rows."""
        rows = await self._pool.fetch(_CLAIM, _ACTIVE, now, worker, lease_s, limit)
        return sorted((_from_row(row) for row in rows), key=lambda job: (job.not_before, job.created_at))

    async def renew(self, worker: str, job_ids: Sequence[str], lease_s: float) -> set[str]:
        """Extend the worker's leases on these jobs; returns the ids it still holds."""
        rows = await self._pool.fetch(
            "UPDATE jobs SET lease_until = $1 WHERE lease_owner = $2 AND id = ANY($3::text[]) RETURNING id",
            time.time() + lease_s, worker, list(job_ids),
        )
        return {str(row["id"]) for row in rows}

    async def release(self, worker: str, job_id: str) -> None:
        """Drop the worker's lease on a job."""
        await self._pool.execute(
            "UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = $1 AND lease_owner = $2", job_id, worker
        )

    async def next_due(self) -> float | None:
        """The earliest time at which some job can be claimed (a held job once its lease ends)."""
        value = await self._pool.fetchval(_NEXT_DUE, _ACTIVE)
        return float(value) if value is not None else None

    async def has_waiting(self) -> bool:
        """Whether some job waits for a provider's callback."""
        return await self._pool.fetchval("SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'waiting')") is True

    async def jobs_for_owner(self, owner: str, limit: int = 10) -> list[Job]:
        """An owner's most recent jobs, newest first."""
        rows = await self._pool.fetch(
            "SELECT * FROM jobs WHERE owner = $1 ORDER BY created_at DESC LIMIT $2", owner, limit
        )
        return [_from_row(row) for row in rows]

    async def unfinished_count(self, owner: str) -> int:
        """How many of an owner's jobs are not finished."""
        value = await self._pool.fetchval(
            "SELECT count(*) FROM jobs WHERE owner = $1 AND NOT state = ANY($2::text[])", owner, _TERMINAL
        )
        return int(value)

    async def unfinished_with_owner_prefix(self, prefix: str) -> list[str]:
        """Ids of the unfinished jobs whose owner key starts with `prefix` (one workspace's users)."""
        rows = await self._pool.fetch(
            "SELECT id FROM jobs WHERE left(owner, length($1)) = $1 AND NOT state = ANY($2::text[])", prefix, _TERMINAL
        )
        return [str(row["id"]) for row in rows]

    async def count_by_state(self) -> dict[str, int]:
        """Job counts by state, in one grouped query."""
        rows = await self._pool.fetch("SELECT state, count(*) AS n FROM jobs GROUP BY state")
        return {str(row["state"]): int(row["n"]) for row in rows}


def _count(status: str) -> int:
    """The row count of a command tag such as `UPDATE 1`."""
    return int(status.rsplit(" ", 1)[-1])


def _to_row(job: Job) -> list[Any]:
    values: list[Any] = []
    for name in _COLUMNS:
        value = getattr(job, name)
        if name == "thread":
            value = json.dumps(dict(value))
        elif name == "options":
            value = json.dumps(value.to_dict())
        elif isinstance(value, JobState):
            value = value.value
        values.append(value)
    return values


def _from_row(row: asyncpg.Record) -> Job:
    data = {name: row[name] for name in _COLUMNS}
    data["thread"] = json.loads(data["thread"])
    data["options"] = Options.from_dict(json.loads(data["options"]))
    data["state"] = JobState(data["state"])
    return Job(**data)
