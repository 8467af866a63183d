"""Keeping files no longer than needed: results after the retention period, leftovers of forgotten jobs."""

from __future__ import annotations

import time

from bot.blob_keys import JOBS, job_prefix
from bot.ports import BlobStore, Retention

STALE_TEMPORARY_SECONDS = 3600.0


class RetentionSweep:
    """Deletes what the retention rules say must go; rows of finished jobs stay for `status`."""

    def __init__(self, retention: Retention, blobs: BlobStore) -> None:
        self._retention = retention
        self._blobs = blobs

    async def sweep_expired(self, cutoff: float) -> int:
        """Delete the files of jobs that finished before `cutoff`; returns how many jobs were swept.

        Also deletes folders whose job row is gone (a job forgotten while it was running) and
        temporary files that a killed write left behind.
        """
        ids = await self._retention.finished_before(cutoff)
        for job_id in ids:
            await self._blobs.delete_prefix(job_prefix(job_id))
            await self._retention.mark_purged(job_id)
        folders = await self._blobs.folders(JOBS)
        alive = await self._retention.existing_ids(folders)
        for job_id in folders:
            if job_id not in alive:
                await self._blobs.delete_prefix(job_prefix(job_id))
        await self._blobs.remove_stale_temporaries(time.time() - STALE_TEMPORARY_SECONDS)
        return len(ids)
