"""What a person does with one of their delivered headshots: mark it as a favourite, or make it
their profile picture.

A headshot is named by its job and its number (1-based, as the thread, the contact sheet and the
gallery number them). Every pick is checked against the store when it is pressed: the job must
still be there, delivered, its headshots kept, and the presser its owner. Nothing is held in
memory, so any replica answers any press, after any restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.blob_keys import thumbnail_key
from bot.errors import UserError
from bot.gallery.publish import Galleries
from bot.i18n import t
from bot.jobs import Favourite, Job, JobState, StoredResult, numbered_results
from bot.ports import BlobStore, Favourites, JobRecords, ResultLog
from bot.profile_photo import profile_square

MAX_LISTED = 25  # favourites shown by a listing (a chat answer has room for about this many)


class PickRefused(UserError):
    """A pick that does nothing; the message tells whoever pressed why."""


class PickStore(JobRecords, ResultLog, Favourites, Protocol):
    """The store's roles the picks use."""


@dataclass(frozen=True)
class Picked:
    """One delivered headshot, checked: its job, its number, and where it is stored."""

    job: Job
    number: int
    result: StoredResult

    @property
    def blob_key(self) -> str:
        """Where its bytes are kept."""
        assert self.result.blob_key is not None
        return self.result.blob_key


@dataclass(frozen=True)
class ListedFavourite:
    """One favourite as a listing shows it: its job, its number, when it was chosen, and its image in
    the job's gallery (None without galleries)."""

    job: Job
    number: int
    chosen_at: float
    link: str | None


class HeadshotPicks:
    """Checks picks of delivered headshots and carries them out: favourites, and profile squares."""

    def __init__(
        self, store: PickStore, blobs: BlobStore, *, galleries: Galleries | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._galleries = galleries
        self._clock = clock

    async def pick(self, job_id: str, number: int, presser: str, locale: str | None) -> Picked:
        """Headshot `number` of `job_id`, if `presser` may act on it; else raises `PickRefused`."""
        job = await self._store.get(job_id)
        if job is None:
            raise PickRefused(t(locale, "Those headshots are no longer stored; run /headshot to make new ones."))
        if job.owner != presser:
            raise PickRefused(t(locale, "Only the person who asked for these headshots can pick among them."))
        if job.state is not JobState.DELIVERED:
            raise PickRefused(t(locale, "That job did not deliver any headshots, so there is nothing to pick."))
        stored = numbered_results(await self._store.results(job_id))
        if not 1 <= number <= len(stored):
            raise PickRefused(t(locale, "That job has no headshot #{number}.", number=number))
        picked = Picked(job, number, stored[number - 1])
        if not await self._blobs.exists(picked.blob_key):
            raise PickRefused(t(
                locale, "Those headshots are no longer kept (they are deleted a while after delivery); "
                "run /headshot to make new ones.",
            ))
        return picked

    async def is_favourite(self, picked: Picked) -> bool:
        """Whether the headshot is one of its owner's favourites."""
        return any(
            f.job_id == picked.job.id and f.index == picked.result.index
            for f in await self._store.favourites(picked.job.owner)
        )

    async def toggle_favourite(self, picked: Picked) -> bool:
        """Mark the headshot as a favourite, or take the mark off if it had one; whether it is one now."""
        owner, job_id, index = picked.job.owner, picked.job.id, picked.result.index
        if await self.is_favourite(picked):
            await self._store.unmark_favourite(owner, job_id, index)
            return False
        await self._store.mark_favourite(Favourite(owner, job_id, index, self._clock()))
        return True

    async def unmark(self, picked: Picked) -> None:
        """Take the favourite mark off the headshot (nothing happens if it had none)."""
        await self._store.unmark_favourite(picked.job.owner, picked.job.id, picked.result.index)

    async def listed(self, owner: str) -> list[ListedFavourite]:
        """The owner's favourites, newest first (at most `MAX_LISTED`), each with its number and a link."""
        found: list[ListedFavourite] = []
        jobs: dict[str, tuple[Job | None, dict[int, int], str | None]] = {}
        for favourite in (await self._store.favourites(owner))[:MAX_LISTED]:
            if favourite.job_id not in jobs:
                jobs[favourite.job_id] = await self._job_numbers(favourite.job_id)
            job, numbers, gallery = jobs[favourite.job_id]
            number = numbers.get(favourite.index)
            if job is None or number is None:
                continue
            link = f"{gallery}/{number}" if gallery else None
            found.append(ListedFavourite(job, number, favourite.chosen_at, link))
        return found

    async def _job_numbers(self, job_id: str) -> tuple[Job | None, dict[int, int], str | None]:
        """A job, its results' numbers by index, and a new link to its gallery (if there are galleries)."""
        job = await self._store.get(job_id)
        if job is None:
            return None, {}, None
        stored = numbered_results(await self._store.results(job_id))
        numbers = {result.index: number for number, result in enumerate(stored, start=1)}
        gallery = await self._galleries.publish(job) if self._galleries is not None else None
        return job, numbers, gallery.url if gallery else None

    async def gallery_link(self, picked: Picked) -> str | None:
        """A new link to the headshot in its job's gallery (None without galleries)."""
        if self._galleries is None:
            return None
        gallery = await self._galleries.publish(picked.job)
        return f"{gallery.url}/{picked.number}" if gallery else None

    async def preview(self, picked: Picked) -> bytes:
        """A small copy of the headshot to show beside a question about it: its gallery thumbnail, or
        (without one) the headshot itself."""
        thumbnail = thumbnail_key(picked.job.id, picked.result.index)
        return await self._blobs.get(thumbnail if await self._blobs.exists(thumbnail) else picked.blob_key)

    async def profile_square(self, picked: Picked) -> bytes:
        """The headshot as a square JPEG around the face, 512-1024 pixels a side (`bot.profile_photo`)."""
        data = await self._blobs.get(picked.blob_key)
        return await asyncio.to_thread(profile_square, data)
