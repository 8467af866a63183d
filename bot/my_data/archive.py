"""What a person's export holds: every row kept about them as JSON, their headshots and their kept photos.

    README.txt              what each file is
    jobs.json               every request: when, where, provider, options, outcome
    settings.json           saved default options and provider (when saved)
    usage.json              the images each request counted against the quotas
    consent.json            every agreement (with the exact words agreed to) and requests held for an answer
    favourites.json         headshots marked as favourites (when the store keeps favourites)
    jobs/<job>/headshot-01.jpg ...   the headshots still kept
    jobs/<job>/photo-1.jpg ...       the photos still kept (for the buttons on results)

Left out, because they are the bot's own machinery rather than anything about the person: the
hashes of link tokens and callback secrets, worker leases, gallery previews (smaller copies of the
headshots already included), and the platform's short-lived interaction tokens a held request keeps
(credentials of the bot, not facts about the person).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.blob_keys import photo_key
from bot.consent.records import ConsentRecord, PendingRequest
from bot.gallery.zipstream import ZipEntry
from bot.i18n import t
from bot.jobs import Job, JSONValue
from bot.ports import BlobStore, ConsentLog, DataExports, Favourites, JobRecords, Preferences, ResultLog

EVERY_JOB = 1_000_000  # `jobs_for_owner` takes a limit; a person's export has no other


class ArchiveStore(JobRecords, ResultLog, Preferences, ConsentLog, DataExports, Protocol):
    """The store's roles an export reads."""


def when(moment: float | None) -> str | None:
    """A moment as ISO 8601 in UTC."""
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _json(value: JSONValue) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def _bytes(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return chunks


def _stored(blobs: BlobStore, key: str) -> Callable[[], AsyncIterator[bytes]]:
    return lambda: blobs.stream(key)


def job_row(job: Job) -> dict[str, JSONValue]:
    """A job as the person reads it."""
    return {
        "id": job.id,
        "asked_at": when(job.created_at),
        "last_changed_at": when(job.updated_at),
        "surface": job.surface,
        "workspace": job.workspace,
        "where": dict(job.thread),
        "provider": job.provider,
        "options": dict(job.options.to_dict()),
        "photos": job.photo_count,
        "state": job.state.value,
        "headshots_made": job.results_done,
        "error": job.error,
        "provider_detail": job.detail,
        "provider_job_id": job.remote_id,
        "photos_deleted": job.photos_purged,
    }


def consent_row(record: ConsentRecord) -> dict[str, JSONValue]:
    """An agreement as the person reads it."""
    terms = record.terms
    return {
        "answer": "agreed",
        "agreed_at": when(record.agreed_at),
        "version": terms.version,
        "providers_named": list(terms.providers),
        "photo_keep_hours": terms.photo_keep_hours,
        "result_days": terms.result_days,
        "text": terms.wording,
    }


def without_tokens(value: JSONValue) -> JSONValue:
    """`value` without any entry named "token", however deep."""
    if isinstance(value, dict):
        return {k: without_tokens(v) for k, v in value.items() if k != "token"}
    if isinstance(value, list):
        return [without_tokens(v) for v in value]
    return value


def pending_row(pending: PendingRequest) -> dict[str, JSONValue]:
    """A request held for an answer, as the person reads it."""
    return {
        "asked_at": when(pending.created_at),
        "surface": pending.surface,
        "request": without_tokens(dict(pending.resume)),
        "version": pending.terms.version,
    }


@dataclass(frozen=True)
class PersonalArchive:
    """Gathers an owner's export; files are streamed from the blob store as the zip is sent."""

    store: ArchiveStore
    blobs: BlobStore
    favourites: Favourites | None = None

    async def entries(self, owner: str, locale: str | None = None) -> list[ZipEntry]:
        """The zip's entries, in the order of the module's listing."""
        jobs = await self.store.jobs_for_owner(owner, EVERY_JOB)
        saved = await self.store.user_defaults(owner)
        charges = await self.store.charges_of(owner)
        consent: dict[str, JSONValue] = {
            "agreements": [consent_row(r) for r in await self.store.consent_records(owner)],
            "waiting_for_an_answer": [pending_row(p) for p in await self.store.pending_requests(owner)],
        }
        files: list[tuple[str, bytes]] = [
            ("README.txt", self._readme(locale).encode("utf-8")),
            ("jobs.json", _json([job_row(job) for job in jobs])),
        ]
        if saved is not None:
            files.append(("settings.json", _json({"options": saved[0], "provider": saved[1]})))
        files.append(
            (
                "usage.json",
                _json(
                    [
                        {
                            "job": c.job_id,
                            "provider": c.provider,
                            "workspace": c.workspace,
                            "images": c.images,
                            "at": when(c.at),
                        }
                        for c in charges
                    ]
                ),
            )
        )
        files.append(("consent.json", _json(consent)))
        if self.favourites is not None:
            files.append(
                (
                    "favourites.json",
                    _json(
                        [
                            {"job": f.job_id, "headshot": f.index + 1, "chosen_at": when(f.chosen_at)}
                            for f in await self.favourites.favourites(owner)
                        ]
                    ),
                )
            )
        entries = [ZipEntry(name, len(data), _bytes(data)) for name, data in files]
        for job in jobs:
            entries.extend(await self._job_files(job))
        return entries

    async def _job_files(self, job: Job) -> Sequence[ZipEntry]:
        found: list[ZipEntry] = []
        for result in await self.store.results(job.id):
            key = result.blob_key
            if key and await self.blobs.exists(key):
                suffix = key[key.rfind(".") :] if "." in key.rsplit("/", 1)[-1] else ".jpg"
                name = f"jobs/{job.id}/headshot-{result.index + 1:02d}{suffix}"
                found.append(ZipEntry(name, await self.blobs.size(key), _stored(self.blobs, key)))
        if not job.photos_purged:
            for n in range(job.photo_count):
                key = photo_key(job.id, n)
                if await self.blobs.exists(key):
                    found.append(
                        ZipEntry(
                            f"jobs/{job.id}/photo-{n + 1}.jpg", await self.blobs.size(key), _stored(self.blobs, key)
                        )
                    )
        return found

    def _readme(self, locale: str | None) -> str:
        lines = [
            t(locale, "Everything this headshot bot keeps about you, as of the moment you downloaded it."),
            "",
            t(locale, "jobs.json: every request you made: when, where, which provider, the options and the outcome."),
            t(locale, "settings.json: your saved default options (only when you saved some)."),
            t(locale, "usage.json: the images each request counted against any limits."),
            t(
                locale,
                "consent.json: your agreements to how your photos are handled, each with the exact words "
                "you agreed to, and any request still waiting for your answer.",
            ),
            t(locale, "favourites.json: the headshots you marked as favourites."),
            t(
                locale,
                "jobs/<job>/: the headshots still kept, and your photos while they are kept for the "
                "buttons on your results.",
            ),
        ]
        return "\n".join(lines) + "\n"
