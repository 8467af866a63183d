"""Keeping files no longer than needed: photos a while after their job (for its buttons), results after
the retention period (a workspace's own, where its admins shortened it), leftovers of forgotten jobs."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.blob_keys import JOBS, job_prefix, photos_prefix
from bot.ports import BlobStore, QuotaLedger, Retention, WorkspaceRetention

STALE_TEMPORARY_SECONDS = 3600.0
# Quota charges are kept longer than the longest window (a calendar month), then forgotten.
CHARGE_KEEP_SECONDS = 32 * 86400.0


class RetentionSweep:
    """Deletes what the retention rules say must go; rows of finished jobs stay for `status`."""

    def __init__(
        self, retention: Retention, blobs: BlobStore, charges: QuotaLedger, *, photo_keep_seconds: float = 0.0,
        clock: Callable[[], float] = time.time, workspaces: WorkspaceRetention | None = None,
    ) -> None:
        self._retention = retention
        self._workspaces = workspaces
        self._blobs = blobs
        self._charges = charges
        self.photo_keep_seconds = photo_keep_seconds
        self._clock = clock

    async def sweep_expired(self, cutoff: float) -> int:
        """Delete the files of jobs that finished before `cutoff`; returns how many jobs were swept.

        Also deletes the photos of jobs that ended more than `photo_keep_seconds` ago, the files of
        jobs in workspaces that keep them shorter, folders whose job row is gone (a job forgotten
        while it was running), temporary files that a killed write left behind, and quota charges
        older than every window.
        """
        await self.sweep_photos(self._clock() - self.photo_keep_seconds)
        due = [*await self._retention.finished_before(cutoff), *await self._sweep_shorter_workspaces()]
        ids = list(dict.fromkeys(due))  # a job may be due by both rules
        for job_id in ids:
            await self._blobs.delete_prefix(job_prefix(job_id))
            await self._retention.mark_purged(job_id)
        folders = await self._blobs.folders(JOBS)
        alive = await self._retention.existing_ids(folders)
        for job_id in folders:
            if job_id not in alive:
                await self._blobs.delete_prefix(job_prefix(job_id))
        await self._blobs.remove_stale_temporaries(time.time() - STALE_TEMPORARY_SECONDS)
        await self._charges.drop_charges_before(time.time() - CHARGE_KEEP_SECONDS, time.time())
        return len(ids)

    async def _sweep_shorter_workspaces(self) -> list[str]:
        """Delete the photos due in workspaces that keep them shorter; returns their jobs due to lose
        their results too."""
        if self._workspaces is None:
            return []
        now, due = self._clock(), []
        for workspace, keep in (await self._workspaces.shortened_keeps()).items():
            if keep.photo_hours is not None:
                for job_id in await self._workspaces.photos_kept_in_before(workspace, now - keep.photo_hours * 3600):
                    await self._blobs.delete_prefix(photos_prefix(job_id))
                    await self._retention.mark_photos_purged(job_id)
            if keep.result_days is not None:
                due += await self._workspaces.finished_in_before(workspace, now - keep.result_days * 86400)
        return due

    async def sweep_photos(self, cutoff: float) -> int:
        """Delete the input photos of jobs that ended before `cutoff`; returns how many jobs had some."""
        ids = await self._retention.photos_kept_before(cutoff)
        for job_id in ids:
            await self._blobs.delete_prefix(photos_prefix(job_id))
            await self._retention.mark_photos_purged(job_id)
        return len(ids)
