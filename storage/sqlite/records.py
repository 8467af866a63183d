"""Everything beside the job rows in SQLite: results, gallery links, deliveries, defaults, retention."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

from bot.jobs import TERMINAL_STATES, GalleryLink, JobState, JSONValue, StoredResult
from storage.callback_groups import CallbackGroups, Completion
from storage.consent_rows import FORGOTTEN_WITH_OWNER
from storage.rows import stored_result_values
from storage.sqlite.writes import SqliteRole

_TERMINAL = [state.value for state in TERMINAL_STATES]


def _may_move(state: str, stored_remote_id: str | None, remote_id: str) -> bool:
    """Whether a callback moves its job on: the job waits for this remote id, or has none yet."""
    if state == JobState.WAITING.value:
        return stored_remote_id == remote_id
    return state == JobState.GENERATING.value and stored_remote_id is None


class SqliteRecords(SqliteRole):
    """`ResultLog`, `GalleryLinks`, `DeliveryLog`, `Preferences` and `Retention` for `SqliteJobStore`."""

    _callbacks: CallbackGroups

    async def accept_callback(self, callback_hash: str, remote_id: str, urls: list[str]) -> bool | None:
        """Record a completion callback's result URLs, once.

        True when the job moved to fetching; False for a repeat of an accepted callback; None when
        no job has this callback secret with this remote id. A job still marked generating is
        accepted too: the callback can beat the record of the submission when the provider is fast.
        Callbacks arrive in bursts: those that wait meanwhile are recorded together (`CallbackGroups`).
        """
        return await self._callbacks.accept(Completion(callback_hash, remote_id, urls))

    async def _record_callbacks(self, group: list[Completion]) -> list[bool | None]:
        """One transaction for a group of callbacks with distinct secrets: read their jobs, then move
        those that may move and store their URLs. The write lock is held from the first read, so
        what is read is what is changed."""
        async with self._immediate() as db:
            marks = ", ".join("?" for _ in group)
            found = {
                str(row["callback_hash"]): row
                for row in await db.execute_fetchall(
                    f"SELECT id, callback_hash, state, remote_id FROM jobs WHERE callback_hash IN ({marks})",
                    [c.callback_hash for c in group],
                )
            }
            answers: list[bool | None] = []
            moving: list[tuple[str, Completion]] = []
            for completion in group:
                row = found.get(completion.callback_hash)
                if row is not None and _may_move(row["state"], row["remote_id"], completion.remote_id):
                    moving.append((str(row["id"]), completion))
                    answers.append(True)
                else:
                    answers.append(False if row is not None and row["remote_id"] == completion.remote_id else None)
            if moving:
                now = time.time()
                await db.executemany(
                    "UPDATE jobs SET state = ?, remote_id = ?, results_total = ?, attempts = 0, not_before = 0, "
                    "updated_at = ? WHERE id = ?",
                    [(JobState.FETCHING.value, c.remote_id, len(c.urls), now, job_id) for job_id, c in moving],
                )
                # The URLs of a job as one JSON array, unpacked by SQLite: far fewer values to bind.
                await db.executemany(
                    "INSERT OR REPLACE INTO results (job_id, idx, url) SELECT ?, key, value FROM json_each(?)",
                    [(job_id, json.dumps(c.urls, ensure_ascii=False)) for job_id, c in moving],
                )
        return answers

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

    async def add_results(self, job_id: str, results: Sequence[StoredResult]) -> bool:
        """Record several stored result images of one job in one transaction and count them; False
        (nothing recorded) when the job is gone."""
        values = stored_result_values(job_id, results)
        async with self._immediate() as db:
            if not await db.execute_fetchall("SELECT 1 FROM jobs WHERE id = ?", (job_id,)):
                return False
            await db.executemany(
                "INSERT INTO results (job_id, idx, url, blob_key, size) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (job_id, idx) DO UPDATE SET blob_key = excluded.blob_key, size = excluded.size",
                values,
            )
            await db.execute(
                "UPDATE jobs SET results_done = (SELECT COUNT(*) FROM results WHERE job_id = ? "
                "AND blob_key IS NOT NULL), updated_at = ? WHERE id = ?",
                (job_id, time.time(), job_id),
            )
        return True

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

    async def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose files are still kept."""
        async with self._db.execute(
            "SELECT id FROM jobs WHERE state IN (?, ?) AND updated_at < ? AND purged = 0",
            (*_TERMINAL, cutoff),
        ) as cursor:
            return [str(row[0]) async for row in cursor]

    async def mark_purged(self, job_id: str) -> None:
        """Record that a job's files are gone (its row stays for `status`); its gallery links end with them."""
        await self._write(
            ("UPDATE jobs SET purged = 1, photos_purged = 1 WHERE id = ?", (job_id,)),
            ("DELETE FROM gallery_links WHERE job_id = ?", (job_id,)),
            ("DELETE FROM favourites WHERE job_id = ?", (job_id,)),
        )

    async def photos_kept_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose photos are still kept."""
        async with self._db.execute(
            "SELECT id FROM jobs WHERE state IN (?, ?) AND updated_at < ? AND photos_purged = 0",
            (*_TERMINAL, cutoff),
        ) as cursor:
            return [str(row[0]) async for row in cursor]

    async def mark_photos_purged(self, job_id: str) -> None:
        """Record that a job's photos are gone (when it ended stays as it was)."""
        await self._write(("UPDATE jobs SET photos_purged = 1 WHERE id = ?", (job_id,)))

    async def forget_owner(self, owner: str) -> list[str]:
        """Delete every row about an owner; returns the ids of the deleted jobs."""
        async with self._db.execute("SELECT id FROM jobs WHERE owner = ?", (owner,)) as cursor:
            ids = [str(row[0]) async for row in cursor]
        await self._write(
            ("DELETE FROM jobs WHERE owner = ?", (owner,)),
            ("DELETE FROM user_settings WHERE owner = ?", (owner,)),
            ("DELETE FROM intakes WHERE owner = ?", (owner,)),
            ("DELETE FROM user_credentials WHERE owner = ?", (owner,)),
            ("DELETE FROM campaign_people WHERE owner = ?", (owner,)),
            ("DELETE FROM export_links WHERE created_by = ?", (owner,)),
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
