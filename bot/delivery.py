"""Posting a job's outcome into its thread, each piece exactly once.

Idempotency scheme: every piece of a delivery (the contact sheet, each batch of images, the
failure notice) has a key like ``job 1a2b3c4d · part 2/6`` that is part of the message text.
Before posting, the key is recorded as *started*; after the platform confirms, as *posted*.
A restart skips posted keys. A key left *started* means we died between the post and its
record, so we ask the surface whether a message with that key is in the thread, and post only
if it is not. Retries of a platform call (429, 5xx) happen inside the surface, before
*posted* is written, and the surface's own search closes that window too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from contextlib import AsyncExitStack
from pathlib import PurePosixPath

from bot.blob_keys import contact_sheet_key
from bot.buttons import follow_ups, result_picks
from bot.contact_sheet import render_contact_sheet
from bot.i18n import t, tn
from bot.jobs import Job, StoredResult, numbered_results
from bot.messages import status_text
from bot.ports import BlobStore, Button, ChatSurface, DeliveryLog, Link, OutgoingFile, ResultLog, ThreadGone
from bot.rendering import render
from bot.request import Capabilities

log = logging.getLogger(__name__)

STARTED = "started"
POSTED = "posted"


async def post_once(
    store: DeliveryLog,
    surface: ChatSurface,
    job: Job,
    key: str,
    text: str,
    files: Sequence[OutgoingFile] = (),
    fault: Callable[[str], None] = lambda _point: None,
    links: Sequence[Link] = (),
) -> None:
    """Post one keyed piece into the job's thread unless it is already there."""
    state = await store.delivery_state(job.id, key)
    if state == POSTED:
        return
    if state == STARTED and await surface.was_posted(job.thread, key):
        log.info("%s was already in the thread", key)
        await store.set_delivery(job.id, key, POSTED)
        return
    await store.set_delivery(job.id, key, STARTED)
    await surface.post(job.thread, f"{text} · {key}", files, key, links)
    fault("after-post")
    await store.set_delivery(job.id, key, POSTED)


def plan_batches(files: Sequence[OutgoingFile], max_files: int, max_bytes: int) -> list[list[OutgoingFile]]:
    """Split files into posts of at most `max_files` files and `max_bytes` bytes each."""
    batches: list[list[OutgoingFile]] = []
    current: list[OutgoingFile] = []
    size = 0
    for item in files:
        if current and (len(current) >= max_files or size + item.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    return batches


async def deliver_results(
    store: DeliveryLog,
    results_log: ResultLog,
    blobs: BlobStore,
    surface: ChatSurface,
    job: Job,
    fault: Callable[[str], None] = lambda _point: None,
    gallery_follows: bool = False,
) -> int:
    """Post every stored result of a job into its thread; returns how many images were delivered.

    A thread that takes only a few posts (`ChatSurface.post_limit`) gets a pack as its contact sheet alone,
    the gallery link (`gallery_follows`) bringing every image; the images count as delivered.
    """
    results = await results_log.results(job.id)
    files = [_outgoing(blobs, r) for r in numbered_results(results)]
    batches = plan_batches(files, surface.max_files_per_post, surface.max_bytes_per_post)
    total = len(files)
    limit = surface.post_limit(job.thread)
    sheet_only = limit is not None and len(batches) > 1 and len(batches) + 1 + int(gallery_follows) > limit
    if len(batches) > 1:
        sheet_key = f"job {job.short_id} · contact sheet"
        if await store.delivery_state(job.id, sheet_key) != POSTED:
            sheet_blob = await _stored_sheet(blobs, job, files)
            if not sheet_only:
                text = t(job.locale, "All {total} headshots at a glance; the full images follow", total=total)
            elif gallery_follows:
                text = t(job.locale, "All {total} headshots at a glance; the gallery link below has every one "
                         "at full size", total=total)
            else:
                text = t(job.locale, "All {total} headshots at a glance; here I can send only a few messages, "
                         "so the full images can't follow", total=total)
            sheet_file = OutgoingFile("contact-sheet.jpg", await blobs.size(sheet_blob), sheet_blob, blobs)
            await post_once(store, surface, job, sheet_key, text, [sheet_file], fault)
    if sheet_only:
        return total
    first = 1
    for number, batch in enumerate(batches, start=1):
        last = first + len(batch) - 1
        if first == last:
            text = t(job.locale, "Headshot {number} of {total}", number=first, total=total)
        else:
            text = t(job.locale, "Headshots {first}-{last} of {total}", first=first, last=last, total=total)
        expected = max(len(results), job.results_total)
        missing = expected - total
        if number == len(batches) and missing:
            text += " " + t(
                job.locale, "({missing} of {expected} could not be downloaded from the provider or were not usable "
                "images)", missing=missing, expected=expected,
            )
        key = f"job {job.short_id} · part {number}/{len(batches)}"
        await post_once(store, surface, job, key, text, batch, fault)
        first = last + 1
    return total


async def announce_gallery(
    store: DeliveryLog, surface: ChatSurface, job: Job, gallery: Link, total: int,
    fault: Callable[[str], None] = lambda _point: None,
) -> None:
    """Post the link to the job's gallery after its results, once."""
    text = tn(
        job.locale, "Your headshot on a page of its own, ready to download",
        "All {n} headshots on one page, to look through and download at once", total,
    )
    await post_once(store, surface, job, f"job {job.short_id} · gallery", text, (), fault, [gallery])


async def announce_failure(store: DeliveryLog, surface: ChatSurface, job: Job) -> None:
    """Tell the thread that the job failed, once."""
    message = job.error or t(job.locale, "Something went wrong while making your headshots.")
    await post_once(store, surface, job, f"job {job.short_id} · failed", f"❌ {message}")


async def prepare_contact_sheet(
    results_log: ResultLog, blobs: BlobStore, surface: ChatSurface | None, job: Job
) -> None:
    """Draw and store the contact sheet of a pack that will take more than one post, ahead of its
    delivery (which then posts the stored one instead of drawing it again). Never raises: a sheet
    that cannot be drawn now is drawn by the delivery."""
    if surface is None:
        return
    try:
        files = [_outgoing(blobs, r) for r in numbered_results(await results_log.results(job.id))]
        if len(plan_batches(files, surface.max_files_per_post, surface.max_bytes_per_post)) > 1:
            await _stored_sheet(blobs, job, files)
    except Exception:
        log.warning("could not draw the contact sheet ahead of delivery", exc_info=True)


async def _stored_sheet(blobs: BlobStore, job: Job, files: Sequence[OutgoingFile]) -> str:
    """The blob key of the job's contact sheet, drawn and stored unless it already is."""
    sheet_blob = contact_sheet_key(job.id)
    if not await blobs.exists(sheet_blob):
        await blobs.put(sheet_blob, await _render_sheet(files))
    return sheet_blob


async def _render_sheet(files: Sequence[OutgoingFile]) -> bytes:
    """The contact sheet of these files; the renderer reads them from local files, one at a time."""
    async with AsyncExitStack() as stack:
        paths = [await stack.enter_async_context(item.local_file()) for item in files]
        return await render(render_contact_sheet, paths)


def _outgoing(blobs: BlobStore, result: StoredResult) -> OutgoingFile:
    assert result.blob_key is not None
    suffix = PurePosixPath(result.blob_key).suffix
    return OutgoingFile(f"headshot-{result.index + 1:02d}{suffix}", result.size, result.blob_key, blobs)


async def show_status(
    surface: ChatSurface, job: Job, capabilities: Capabilities | None, links: Sequence[Link] = (),
    allowed_styles: Collection[str] | None = None,
) -> None:
    """Update the job's status message, with its buttons once it is delivered (the follow-ups, their
    style menu within `allowed_styles` when given, then `links`, then the picks of its headshots); a
    failure here is logged, never fatal (the next update tries again).

    `ThreadGone` is raised on: the job has nowhere left to go.
    """
    try:
        buttons: list[Button] = [
            *follow_ups(job, capabilities, job.locale, allowed_styles), *links, *result_picks(job),
        ]
        await surface.set_status(job.thread, status_text(job, capabilities), buttons)
    except ThreadGone:
        raise
    except Exception:
        log.warning("could not update the status message", exc_info=True)
