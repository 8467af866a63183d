"""What pressing a follow-up button starts: an ordinary new job from a delivered job's kept photos.

A press is checked first (quickly, before the platform's three seconds are up): the job must
still be stored, belong to whoever pressed, and still have its photos. The new job then goes
through the same intake as any request, so the per-user limit and every other check hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.blob_keys import photo_key
from bot.buttons import FollowUpKind
from bot.errors import UserError
from bot.i18n import Phrase, phrase, phrase_n
from bot.intake import Ask, JobIntake
from bot.jobs import Job, JobState, ThreadAddress
from bot.options import Style
from bot.photos import Photo
from bot.ports import BlobStore, ChatSurface, JobRecords, StatusOpener

NOT_YOURS = phrase("Only the person who asked for these headshots can use their buttons.")
GONE = phrase(
    "Those headshots are no longer stored, so this button can't start anything; run /headshot to begin afresh."
)
NOT_DELIVERED = phrase("That job did not deliver any headshots, so there is nothing to make more of.")


@dataclass(frozen=True)
class Press:
    """Someone pressed a follow-up: which kind, on which job, who (an owner key), the menu's pick, and the
    presser's language (the new job's posts speak it where they go to the presser alone)."""

    kind: FollowUpKind
    job_id: str
    presser: str
    choice: str | None = None
    locale: str | None = None


class FollowUpRefused(UserError):
    """A press that starts nothing; the message tells the person who pressed why."""


class FollowUps:
    """Checks presses and starts their jobs; holds no state of its own, so any replica can answer."""

    def __init__(
        self,
        *,
        records: JobRecords,
        blobs: BlobStore,
        intake: JobIntake,
        photo_keep_seconds: float,
    ) -> None:
        self._records = records
        self._blobs = blobs
        self._intake = intake
        self._photo_keep_seconds = photo_keep_seconds

    async def check(self, press: Press) -> Job:
        """The job a press acts on; raises `FollowUpRefused` with the sentence for whoever pressed."""
        job = await self._records.get(press.job_id)
        if job is None:
            raise FollowUpRefused(GONE)
        if job.owner != press.presser:
            raise FollowUpRefused(NOT_YOURS)
        if job.state is not JobState.DELIVERED:
            raise FollowUpRefused(NOT_DELIVERED)
        if press.kind is FollowUpKind.STYLE and press.choice not in {s.value for s in Style}:
            raise FollowUpRefused(phrase("Please pick one of the styles from the menu."))
        if job.photos_purged:
            raise FollowUpRefused(self.photos_gone())
        return job

    def photos_gone(self) -> Phrase:
        """Why a job's photos are no longer there to start from."""
        if self._photo_keep_seconds <= 0:
            return phrase(
                "This bot deletes photos as soon as their headshots are delivered, so this button can no longer "
                "work; run /headshot with your photos again."
            )
        seconds = self._photo_keep_seconds
        hours = seconds / 3600
        if hours >= 1 and hours == int(hours):
            span = phrase_n("1 hour", "{n} hours", int(hours))
        elif hours >= 1:
            span = phrase("{hours} hours", hours=f"{hours:g}")
        else:
            span = phrase("{seconds} seconds", seconds=f"{seconds:g}")
        return phrase(
            "This bot keeps photos only {span} after their headshots are delivered, and these are gone, so this "
            "button can no longer work; run /headshot with your photos again.", span=span,
        )

    async def start(
        self, press: Press, job: Job, status: StatusOpener, surface: ChatSurface, reply: ThreadAddress | None = None
    ) -> Job:
        """A new job from `job`'s photos and options (the style changed for a style pick), through the intake
        (`reply`: where to tell the person if the process dies before the job exists, as for any request)."""
        values: dict[str, object] = dict(job.options.to_dict())
        if press.kind is FollowUpKind.STYLE and press.choice is not None:
            values["style"] = press.choice
        # It counts against the same workspace's quotas as the job it follows.
        # Its posts go where the job's went, in the same language.
        ask = Ask(owner=job.owner, values=values, provider=job.provider, workspace=job.workspace or None,
                  locale=job.locale, asker_locale=press.locale)
        return await self._intake.start(ask, _KeptPhotos(self, job), status, surface, reply=reply)

    async def kept_photos(self, job: Job) -> tuple[Photo, ...]:
        """A job's kept photos, as stored when they were first read; refused when the sweep took them meanwhile."""
        photos = []
        for n in range(job.photo_count):
            key = photo_key(job.id, n)
            if not await self._blobs.exists(key):
                raise FollowUpRefused(self.photos_gone())
            photos.append(Photo(await self._blobs.get(key)))
        return tuple(photos)


@dataclass(frozen=True)
class _KeptPhotos:
    """`bot.ports.CheckedPhotos` for the photos a finished job kept: they were checked when first taken."""

    follow_ups: FollowUps
    job: Job

    async def fetch_checked(self) -> tuple[Photo, ...]:
        return await self.follow_ups.kept_photos(self.job)
