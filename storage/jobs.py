"""The job store: jobs, results and deliveries in one SQLite file (WAL, versioned schema)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiosqlite

from bot.jobs import ACTIVE_STATES, TERMINAL_STATES, GalleryLink, Job, JobChange, JobState, JSONValue, StoredResult
from bot.options import Options
from storage.charges import CONFIRM, SqliteCharges
from storage.consent_rows import FORGOTTEN_WITH_OWNER
from storage.consents import SqliteConsents
from storage.intakes import SqliteIntakes
from storage.limits import SqliteLimits
from storage.migrations import MIGRATIONS
from storage.writes import write_at_once

_COLUMNS = (
    "id owner surface thread provider options photo_count state created_at updated_at attempts "
    "not_before remote_id callback_hash deadline results_total results_done error detail photos_purged workspace"
).split()
_ACTIVE = {f"active{n}": state.value for n, state in enumerate(sorted(ACTIVE_STATES))}
_ACTIVE_IN = f"state IN ({', '.join(':' + name for name in _ACTIVE)})"
# Active jobs whose time has come, and waiting ones past their deadline: the jobs with work to do.
_DUE = f"(({_ACTIVE_IN} AND not_before <= :now) OR (state = 'waiting' AND deadline IS NOT NULL AND deadline <= :now))"


class SqliteJobStore(SqliteCharges, SqliteIntakes, SqliteLimits, SqliteConsents):
    """Every store port (`bot.ports.JobStore`) on aiosqlite. One connection per process; SQLite serialises writers.

    Coroutines share the connection, and with it the open transaction: `_write` runs one
    write (its statements and their commit) at a time, so no statement lands in another's
    transaction and is committed or rolled back with it. One process serves a SQLite file,
    so the leases left in it at start-up belong to a process that is gone: opening drops them.
    """

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._writing = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> SqliteJobStore:
        """Open (creating and migrating if needed) the store at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, timeout=30)
        db.row_factory = sqlite3.Row
        store = cls(db)
        try:
            await _use_wal(db)
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA secure_delete=ON")  # forgotten rows are overwritten, not left in free pages
            await db.execute("PRAGMA busy_timeout=30000")
            await store._migrate()
            await store._write(("UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE lease_until > 0", ()))
        except BaseException:
            await db.close()  # an open connection's thread would keep the process alive
            raise
        return store

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def _user_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        version = await self._user_version()
        while version < len(MIGRATIONS):
            script = MIGRATIONS[version]
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={version + 1};\nCOMMIT;"
                )
            except sqlite3.OperationalError:
                # Another process opening the same new file may have applied this step first.
                await self._db.rollback()
                if await self._user_version() <= version:
                    raise
            version = await self._user_version()

    async def _write(self, *statements: tuple[str, Iterable[Any]]) -> int:
        """Run statements and commit them as one unit; returns the rows the first one changed."""
        async with self._writing:
            return await write_at_once(self._db, *statements)

    async def ping(self) -> bool:
        """Whether the database answers."""
        try:
            async with self._db.execute("SELECT 1") as cursor:
                return (await cursor.fetchone()) is not None
        except (sqlite3.Error, ValueError):  # ValueError: the connection is closed
            return False

    # Jobs -----------------------------------------------------------------------------------

    async def add(self, job: Job) -> None:
        """Record a new job, confirm the charge held for it and end its slot's hold, in one transaction."""
        now = time.time()
        job.created_at = job.created_at or now
        job.updated_at = now
        values = _to_row(job)
        marks = ", ".join("?" for _ in _COLUMNS)
        await self._write(
            (f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({marks})", values),
            (CONFIRM, (job.id,)),
            ("DELETE FROM job_holds WHERE id = ?", (job.id,)),  # the job counts now, not its hold
        )

    async def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        return await self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    async def update(self, job_id: str, change: JobChange, *, expect: Iterable[JobState] | None = None) -> bool:
        """Apply `change`; with `expect`, only if the job is in one of those states.

        Returns whether a row changed, so callers can act exactly once on a transition.
        """
        fields: dict[str, Any] = {name: value for name, value in asdict(change).items() if value is not None}
        fields["updated_at"] = time.time()
        sets = ", ".join(f"{name} = ?" for name in fields)
        params: list[Any] = [value.value if isinstance(value, JobState) else value for value in fields.values()]
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

    # Queue ----------------------------------------------------------------------------------

    async def claim(self, worker: str, now: float, limit: int, lease_s: float) -> list[Job]:
        """Lease up to `limit` due jobs that nobody holds to `worker`, earliest first."""
        sql = (
            "UPDATE jobs SET lease_owner = :worker, lease_until = :until WHERE id IN ("
            f"SELECT id FROM jobs WHERE {_DUE} AND lease_until <= :now "
            "ORDER BY not_before, created_at LIMIT :limit) RETURNING *"
        )
        params = {**_ACTIVE, "worker": worker, "until": now + lease_s, "now": now, "limit": limit}
        async with self._writing:
            try:
                rows = await self._db.execute_fetchall(sql, params)
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise
        jobs = [_from_row(row) for row in rows]
        return sorted(jobs, key=lambda job: (job.not_before, job.created_at))

    async def renew(self, worker: str, job_ids: Sequence[str], lease_s: float) -> set[str]:
        """Extend the worker's leases on these jobs; returns the ids it still holds."""
        if not job_ids:
            return set()
        marks = ", ".join("?" for _ in job_ids)
        async with self._writing:
            try:
                rows = await self._db.execute_fetchall(
                    f"UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND id IN ({marks}) RETURNING id",
                    (time.time() + lease_s, worker, *job_ids),
                )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise
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

    # Owners ---------------------------------------------------------------------------------

    async def jobs_for_owner(self, owner: str, limit: int = 10) -> list[Job]:
        """An owner's most recent jobs, newest first."""
        return await self._many(
            "SELECT * FROM jobs WHERE owner = ? ORDER BY created_at DESC LIMIT ?", (owner, limit)
        )

    async def unfinished_count(self, owner: str) -> int:
        """How many of an owner's jobs are not finished."""
        states = [s.value for s in TERMINAL_STATES]
        async with self._db.execute(
            "SELECT COUNT(*) FROM jobs WHERE owner = ? AND state NOT IN (?, ?)", (owner, *states)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def count_by_state(self) -> dict[str, int]:
        """Job counts by state (one grouped query over the state index)."""
        async with self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state") as cursor:
            return {str(row[0]): int(row[1]) async for row in cursor}

    async def unfinished_with_owner_prefix(self, prefix: str) -> list[str]:
        """Ids of the unfinished jobs whose owner key starts with `prefix` (one workspace's users)."""
        states = [s.value for s in TERMINAL_STATES]
        async with self._db.execute(
            "SELECT id FROM jobs WHERE substr(owner, 1, ?) = ? AND state NOT IN (?, ?)", (len(prefix), prefix, *states)
        ) as cursor:
            return [str(row[0]) async for row in cursor]

    async def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose files are still kept."""
        states = [s.value for s in TERMINAL_STATES]
        async with self._db.execute(
            "SELECT id FROM jobs WHERE state IN (?, ?) AND updated_at < ? AND purged = 0",
            (*states, cutoff),
        ) as cursor:
            return [str(row[0]) async for row in cursor]

    async def mark_purged(self, job_id: str) -> None:
        """Record that a job's files are gone (its row stays for `status`)."""
        await self._write(
            ("UPDATE jobs SET purged = 1, photos_purged = 1 WHERE id = ?", (job_id,)),
            ("DELETE FROM gallery_links WHERE job_id = ?", (job_id,)),
        )

    async def photos_kept_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose photos are still kept."""
        states = [s.value for s in TERMINAL_STATES]
        async with self._db.execute(
            "SELECT id FROM jobs WHERE state IN (?, ?) AND updated_at < ? AND photos_purged = 0",
            (*states, cutoff),
        ) as cursor:
            return [str(row[0]) async for row in cursor]

    async def mark_photos_purged(self, job_id: str) -> None:
        """Record that a job's photos are gone (when it ended stays as it was)."""
        await self._write(("UPDATE jobs SET photos_purged = 1 WHERE id = ?", (job_id,)))

    # Results --------------------------------------------------------------------------------

    async def accept_callback(self, callback_hash: str, remote_id: str, urls: list[str]) -> bool | None:
        """Record a completion callback's result URLs, once.

        True when the job moved to fetching; False for a repeat of an accepted callback; None when
        no job has this callback secret with this remote id. A job still marked generating is
        accepted too: the callback can beat the record of the submission when the provider is fast.
        Three trips to SQLite, because callbacks arrive in bursts.
        """
        async with self._writing:
            try:
                rows = await self._db.execute_fetchall(
                    "UPDATE jobs SET state = ?, remote_id = ?, results_total = ?, attempts = 0, not_before = 0, "
                    "updated_at = ? WHERE callback_hash = ? "
                    "AND ((state = ? AND remote_id = ?) OR (state = ? AND remote_id IS NULL)) RETURNING id",
                    (
                        JobState.FETCHING.value, remote_id, len(urls), time.time(), callback_hash,
                        JobState.WAITING.value, remote_id, JobState.GENERATING.value,
                    ),
                )
                found = list(rows)
                if found:
                    job_id = str(found[0][0])
                    await self._db.executemany(
                        "INSERT OR REPLACE INTO results (job_id, idx, url) VALUES (?, ?, ?)",
                        [(job_id, index, url) for index, url in enumerate(urls)],
                    )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise
        if found:
            return True
        known = list(await self._db.execute_fetchall(
            "SELECT 1 FROM jobs WHERE callback_hash = ? AND remote_id = ?", (callback_hash, remote_id)
        ))
        return False if known else None

    async def add_result(self, job_id: str, index: int, blob_key: str, size: int, url: str | None = None) -> bool:
        """Record a stored result image and count it; False when the job is gone (forgotten)."""
        return await self._write(
            (
                "INSERT INTO results (job_id, idx, url, blob_key, size) "
                "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?) "
                "ON CONFLICT (job_id, idx) DO UPDATE SET blob_key = excluded.blob_key, size = excluded.size",
                (job_id, index, url, blob_key, size, job_id),
            ),
            (
                "UPDATE jobs SET results_done = (SELECT COUNT(*) FROM results WHERE job_id = ? "
                "AND blob_key IS NOT NULL), updated_at = ? WHERE id = ?",
                (job_id, time.time(), job_id),
            ),
        ) > 0

    async def results(self, job_id: str) -> list[StoredResult]:
        """A job's results in order."""
        async with self._db.execute(
            "SELECT job_id, idx, url, blob_key, size FROM results WHERE job_id = ? ORDER BY idx", (job_id,)
        ) as cursor:
            return [
                StoredResult(job_id=row[0], index=row[1], url=row[2], blob_key=row[3], size=row[4])
                async for row in cursor
            ]

    async def forget_result_urls(self, job_id: str) -> None:
        """Drop the provider's URLs once the images are ours."""
        await self._write(("UPDATE results SET url = NULL WHERE job_id = ?", (job_id,)))

    # Gallery links --------------------------------------------------------------------------

    async def add_gallery_link(self, job_id: str, token_hash: str, created_at: float) -> None:
        """Record a newly issued gallery link (by the hash of its token)."""
        await self._write((
            "INSERT INTO gallery_links (token_hash, job_id, created_at) VALUES (?, ?, ?)",
            (token_hash, job_id, created_at),
        ))

    async def gallery_link(self, token_hash: str) -> GalleryLink | None:
        """The link with this token hash, if its job exists and its files were not swept."""
        async with self._db.execute(
            "SELECT g.job_id, g.token_hash, g.created_at FROM gallery_links g JOIN jobs j ON j.id = g.job_id "
            "WHERE g.token_hash = ? AND j.purged = 0",
            (token_hash,),
        ) as cursor:
            row = await cursor.fetchone()
        return GalleryLink(str(row[0]), str(row[1]), float(row[2])) if row else None

    # Deliveries -----------------------------------------------------------------------------

    async def delivery_state(self, job_id: str, key: str) -> str | None:
        """'started' or 'posted' for a delivery unit, or None if never attempted."""
        async with self._db.execute(
            "SELECT state FROM deliveries WHERE job_id = ? AND key = ?", (job_id, key)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_delivery(self, job_id: str, key: str, state: str) -> None:
        """Record a delivery unit's state."""
        await self._write((
            "INSERT INTO deliveries (job_id, key, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (job_id, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (job_id, key, state, time.time()),
        ))

    # Users ----------------------------------------------------------------------------------

    async def user_defaults(self, owner: str) -> tuple[dict[str, JSONValue], str | None] | None:
        """An owner's saved options and provider."""
        async with self._db.execute(
            "SELECT options, provider FROM user_settings WHERE owner = ?", (owner,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return json.loads(row[0]), row[1]

    async def save_user_defaults(self, owner: str, options: Mapping[str, JSONValue], provider: str | None) -> None:
        """Save an owner's default options and provider."""
        await self._write((
            "INSERT INTO user_settings (owner, options, provider, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (owner) DO UPDATE SET options = excluded.options, provider = excluded.provider, "
            "updated_at = excluded.updated_at",
            (owner, json.dumps(dict(options)), provider, time.time()),
        ))

    async def forget_owner(self, owner: str) -> list[str]:
        """Delete every row about an owner; returns the ids of the deleted jobs."""
        async with self._db.execute("SELECT id FROM jobs WHERE owner = ?", (owner,)) as cursor:
            ids = [str(row[0]) async for row in cursor]
        await self._write(
            ("DELETE FROM jobs WHERE owner = ?", (owner,)),
            ("DELETE FROM user_settings WHERE owner = ?", (owner,)),
            ("DELETE FROM intakes WHERE owner = ?", (owner,)),
            *((f"DELETE FROM {table} WHERE owner = ?", (owner,)) for table in FORGOTTEN_WITH_OWNER),
        )
        # The deleted rows' old pages also live in the write-ahead log until it is checkpointed.
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return ids

    async def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of these job ids still have a row."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.execute_fetchall(f"SELECT id FROM jobs WHERE id IN ({marks})", chunk)
            found.update(str(row[0]) for row in rows)
        return found

    # Installations and one-time states ------------------------------------------------------

    async def save_installation(self, workspace: str, sealed: bytes) -> None:
        """Store (or replace) a workspace's sealed installation."""
        await self._write((
            "INSERT INTO installations (workspace, sealed, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (workspace) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            (workspace, sealed, time.time()),
        ))

    async def installation(self, workspace: str) -> bytes | None:
        """A workspace's sealed installation, if any."""
        async with self._db.execute("SELECT sealed FROM installations WHERE workspace = ?", (workspace,)) as cursor:
            row = await cursor.fetchone()
        return bytes(row[0]) if row else None

    async def installations(self) -> list[tuple[str, bytes]]:
        """Every stored installation."""
        async with self._db.execute("SELECT workspace, sealed FROM installations ORDER BY workspace") as cursor:
            return [(str(row[0]), bytes(row[1])) async for row in cursor]

    async def delete_installation(self, workspace: str) -> bool:
        """Forget a workspace's installation; whether there was one."""
        deleted = await self._write(("DELETE FROM installations WHERE workspace = ?", (workspace,))) > 0
        if deleted:  # the old pages stay in the write-ahead log until it is checkpointed
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    async def issue_state(self, state_hash: str, expires_at: float) -> None:
        """Remember a one-time state until `expires_at`; expired ones go at the same time."""
        await self._write(
            ("INSERT INTO oauth_states (state_hash, expires_at) VALUES (?, ?)", (state_hash, expires_at)),
            ("DELETE FROM oauth_states WHERE expires_at < ?", (time.time(),)),
        )

    async def consume_state(self, state_hash: str, now: float) -> bool:
        """True exactly once for an issued, unexpired state."""
        return await self._write(
            ("DELETE FROM oauth_states WHERE state_hash = ? AND expires_at > ?", (state_hash, now))
        ) > 0

    # Rows -----------------------------------------------------------------------------------

    async def _one(self, sql: str, params: tuple[Any, ...]) -> Job | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return _from_row(row) if row else None

    async def _many(self, sql: str, params: tuple[Any, ...]) -> list[Job]:
        async with self._db.execute(sql, params) as cursor:
            return [_from_row(row) async for row in cursor]


async def _use_wal(db: aiosqlite.Connection, attempts: int = 100) -> None:
    """Switch to WAL. On a new file another opener may be switching too, and SQLite then answers
    "locked" at once instead of waiting, so this waits and tries again."""
    for attempt in range(1, attempts + 1):
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.05)


def _encode(name: str, value: Any) -> Any:
    if name == "thread":
        return json.dumps(dict(value))
    if name == "options" and isinstance(value, Options):
        return json.dumps(value.to_dict())
    if isinstance(value, JobState):
        return value.value
    return value


def _to_row(job: Job) -> list[Any]:
    return [_encode(name, getattr(job, name)) for name in _COLUMNS]


def _from_row(row: sqlite3.Row) -> Job:
    data = {name: row[name] for name in _COLUMNS}
    data["thread"] = json.loads(data["thread"])
    data["options"] = Options.from_dict(json.loads(data["options"]))
    data["state"] = JobState(data["state"])
    data["photos_purged"] = bool(data["photos_purged"])
    return Job(**data)
