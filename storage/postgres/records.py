"""Everything beside the job rows on PostgreSQL: results, deliveries, defaults, retention, calls."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

import asyncpg

from bot.jobs import GalleryLink, JSONValue, StoredResult
from storage.callback_groups import CallbackGroups, Completion
from storage.consent_rows import FORGOTTEN_WITH_OWNER
from storage.postgres.connect import GuardedPool
from storage.postgres.wakeups import WAKE_CHANNEL
from storage.rows import stored_result_values

# One statement for a group of callbacks (distinct secrets): move their jobs on, store the URLs
# of those that moved, wake the replicas once. The URLs come as three parallel arrays: the
# callback's place in the group, the URL's place in its pack, the URL. `known` reads the rows as
# they were before this statement, which is what tells a repeat from a stranger. Each job is
# found by its callback secret's index, however many jobs there are and whatever the planner
# believes their number to be. A job moving on has no results yet, so the URLs are inserted
# plainly (a third cheaper for the server than an upsert); should one have some all the same, the
# statement fails whole and runs again as `_ACCEPT_OVER`, which writes over them.
_ACCEPT_TEMPLATE = f"""
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::integer[]) WITH ORDINALITY AS c(callback_hash, remote_id, total, n)
), moved AS (
    UPDATE jobs SET state = 'fetching', remote_id = input.remote_id, results_total = input.total,
        attempts = 0, not_before = 0, updated_at = $7
    FROM input
    WHERE jobs.callback_hash = ANY($1::text[]) AND jobs.callback_hash = input.callback_hash
        AND ((jobs.state = 'waiting' AND jobs.remote_id = input.remote_id)
            OR (jobs.state = 'generating' AND jobs.remote_id IS NULL))
    RETURNING jobs.id, input.n
), stored AS (
    INSERT INTO results (job_id, idx, url)
    SELECT moved.id, u.idx, u.url
    FROM moved JOIN unnest($4::bigint[], $5::integer[], $6::text[]) AS u(n, idx, url) ON u.n = moved.n
    {{conflict}}
), woke AS (
    SELECT pg_notify('{WAKE_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM moved)
)
SELECT moved.id IS NOT NULL AS moved,
    (SELECT jobs.remote_id FROM jobs WHERE jobs.callback_hash = input.callback_hash) = input.remote_id AS known,
    (SELECT count(*) FROM woke) AS woke  -- read, so that it runs: a plain CTE nobody reads is skipped
FROM input LEFT JOIN moved ON moved.n = input.n
ORDER BY input.n
"""
_ACCEPT = _ACCEPT_TEMPLATE.format(conflict="")
_ACCEPT_OVER = _ACCEPT_TEMPLATE.format(conflict="ON CONFLICT (job_id, idx) DO UPDATE SET url = excluded.url")
_KNOWN = """
SELECT c.callback_hash FROM unnest($1::text[], $2::text[]) AS c(callback_hash, remote_id)
WHERE EXISTS (SELECT 1 FROM jobs WHERE jobs.callback_hash = c.callback_hash AND jobs.remote_id = c.remote_id)
"""


class PostgresRecords:
    """`ResultLog`, `DeliveryLog`, `Preferences` and `Retention` on an asyncpg pool."""

    _pool: GuardedPool
    _callbacks: CallbackGroups

    async def accept_callback(self, callback_hash: str, remote_id: str, urls: list[str]) -> bool | None:
        """Record a completion callback's URLs once; those that arrive together are recorded in one
        round trip (`CallbackGroups`), since callbacks come in bursts."""
        return await self._callbacks.accept(Completion(callback_hash, remote_id, urls))

    async def _record_callbacks(self, group: list[Completion]) -> list[bool | None]:
        """One statement for a group of callbacks with distinct secrets; see `_ACCEPT`."""
        places = [n for n, c in enumerate(group, start=1) for _ in c.urls]
        indexes = [i for c in group for i in range(len(c.urls))]
        values = (
            [c.callback_hash for c in group], [c.remote_id for c in group], [len(c.urls) for c in group],
            places, indexes, [url for c in group for url in c.urls], time.time(),
        )
        try:
            rows = await self._pool.fetch(_ACCEPT, *values)
        except asyncpg.UniqueViolationError:
            rows = await self._pool.fetch(_ACCEPT_OVER, *values)
        answers: list[bool | None] = [True if r["moved"] else False if r["known"] else None for r in rows]
        unknown = [c for c, answer in zip(group, answers, strict=True) if answer is None]
        if unknown:
            # A copy of a callback may have moved its job after this statement's snapshot was taken.
            found = {
                str(r["callback_hash"])
                for r in await self._pool.fetch(
                    _KNOWN, [c.callback_hash for c in unknown], [c.remote_id for c in unknown]
                )
            }
            answers = [
                False if answer is None and c.callback_hash in found else answer
                for c, answer in zip(group, answers, strict=True)
            ]
        return answers

    async def add_result(self, job_id: str, index: int, blob_key: str, size: int, url: str | None = None) -> bool:
        """Record a stored result image and count it; False (nothing recorded) when the job is gone.

        Results of one job are stored side by side: the job's row is locked first, so each count
        is taken after the others' results are committed (each statement sees the latest commits).
        """
        async with self._pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", job_id) is None:
                return False  # forgotten while it ran
            await conn.execute(
                "INSERT INTO results (job_id, idx, url, blob_key, size) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (job_id, idx) DO UPDATE SET blob_key = excluded.blob_key, size = excluded.size",
                job_id, index, url, blob_key, size,
            )
            await conn.execute(
                "UPDATE jobs SET results_done = (SELECT count(*) FROM results WHERE job_id = $1 "
                "AND blob_key IS NOT NULL), updated_at = $2 WHERE id = $1",
                job_id, time.time(),
            )
        return True

    async def add_results(self, job_id: str, results: Sequence[StoredResult]) -> bool:
        """Record several stored result images of one job in one transaction and count them; False
        (nothing recorded) when the job is gone. The job's row is locked first, as for one result."""
        values = stored_result_values(job_id, results)
        async with self._pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", job_id) is None:
                return False  # forgotten while it ran
            await conn.executemany(
                "INSERT INTO results (job_id, idx, url, blob_key, size) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (job_id, idx) DO UPDATE SET blob_key = excluded.blob_key, size = excluded.size",
                values,
            )
            await conn.execute(
                "UPDATE jobs SET results_done = (SELECT count(*) FROM results WHERE job_id = $1 "
                "AND blob_key IS NOT NULL), updated_at = $2 WHERE id = $1",
                job_id, time.time(),
            )
        return True

    async def results(self, job_id: str) -> list[StoredResult]:
        """A job's results in order."""
        rows = await self._pool.fetch(
            "SELECT job_id, idx, url, blob_key, size FROM results WHERE job_id = $1 ORDER BY idx", job_id
        )
        return [
            StoredResult(job_id=r["job_id"], index=r["idx"], url=r["url"], blob_key=r["blob_key"], size=r["size"])
            for r in rows
        ]

    async def forget_result_urls(self, job_id: str) -> None:
        """Drop the provider's URLs once the images are ours."""
        await self._pool.execute("UPDATE results SET url = NULL WHERE job_id = $1", job_id)

    async def add_gallery_link(self, job_id: str, token_hash: str, created_at: float) -> None:
        """Record a newly issued gallery link (by the hash of its token)."""
        await self._pool.execute(
            "INSERT INTO gallery_links (token_hash, job_id, created_at) VALUES ($1, $2, $3)",
            token_hash, job_id, created_at,
        )

    async def gallery_link(self, token_hash: str) -> GalleryLink | None:
        """The link with this token hash, if its job exists and its files were not swept."""
        row = await self._pool.fetchrow(
            "SELECT g.job_id, g.token_hash, g.created_at FROM gallery_links g JOIN jobs j ON j.id = g.job_id "
            "WHERE g.token_hash = $1 AND NOT j.purged",
            token_hash,
        )
        return GalleryLink(str(row["job_id"]), str(row["token_hash"]), float(row["created_at"])) if row else None

    async def delivery_state(self, job_id: str, key: str) -> str | None:
        """'started' or 'posted' for a delivery unit, or None if never attempted."""
        value = await self._pool.fetchval("SELECT state FROM deliveries WHERE job_id = $1 AND key = $2", job_id, key)
        return str(value) if value is not None else None

    async def set_delivery(self, job_id: str, key: str, state: str) -> None:
        """Record a delivery unit's state."""
        await self._pool.execute(
            "INSERT INTO deliveries (job_id, key, state, updated_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (job_id, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            job_id, key, state, time.time(),
        )

    async def user_defaults(self, owner: str) -> tuple[dict[str, JSONValue], str | None] | None:
        """An owner's saved options and provider."""
        row = await self._pool.fetchrow("SELECT options, provider FROM user_settings WHERE owner = $1", owner)
        return (json.loads(row["options"]), row["provider"]) if row else None

    async def save_user_defaults(self, owner: str, options: Mapping[str, JSONValue], provider: str | None) -> None:
        """Save an owner's default options and provider."""
        await self._pool.execute(
            "INSERT INTO user_settings (owner, options, provider, updated_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (owner) DO UPDATE SET options = excluded.options, provider = excluded.provider, "
            "updated_at = excluded.updated_at",
            owner, json.dumps(dict(options)), provider, time.time(),
        )

    async def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose files are still kept."""
        rows = await self._pool.fetch(
            "SELECT id FROM jobs WHERE state IN ('delivered', 'failed') AND NOT purged AND updated_at < $1", cutoff
        )
        return [str(row["id"]) for row in rows]

    async def mark_purged(self, job_id: str) -> None:
        """Record that a job's files are gone, photos and results (its row stays for `status`); its
        gallery links end with them."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE jobs SET purged = true, photos_purged = true WHERE id = $1", job_id)
            await conn.execute("DELETE FROM gallery_links WHERE job_id = $1", job_id)
            await conn.execute("DELETE FROM favourites WHERE job_id = $1", job_id)

    async def photos_kept_before(self, cutoff: float) -> list[str]:
        """Ids of finished jobs last changed before `cutoff` whose photos are still kept."""
        rows = await self._pool.fetch(
            "SELECT id FROM jobs WHERE state IN ('delivered', 'failed') AND NOT photos_purged AND updated_at < $1",
            cutoff,
        )
        return [str(row["id"]) for row in rows]

    async def mark_photos_purged(self, job_id: str) -> None:
        """Record that a job's photos are gone (when it ended stays as it was)."""
        await self._pool.execute("UPDATE jobs SET photos_purged = true WHERE id = $1", job_id)

    async def forget_owner(self, owner: str) -> list[str]:
        """Delete every row about an owner; returns the ids of the deleted jobs."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch("DELETE FROM jobs WHERE owner = $1 RETURNING id", owner)
            await conn.execute("DELETE FROM user_settings WHERE owner = $1", owner)
            await conn.execute("DELETE FROM intakes WHERE owner = $1", owner)
            await conn.execute("DELETE FROM user_credentials WHERE owner = $1", owner)
            await conn.execute("DELETE FROM campaign_people WHERE owner = $1", owner)
            await conn.execute("DELETE FROM export_links WHERE created_by = $1", owner)
            for table in FORGOTTEN_WITH_OWNER:
                await conn.execute(f"DELETE FROM {table} WHERE owner = $1", owner)
        return [str(row["id"]) for row in rows]

    async def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of these job ids still have a row."""
        rows = await self._pool.fetch("SELECT id FROM jobs WHERE id = ANY($1::text[])", ids)
        return {str(row["id"]) for row in rows}
