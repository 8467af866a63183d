"""Attachments to photos: which ones look like images, size checks, prompt downloads.

Attachment URLs are signed and expire, so they are downloaded as soon as the interaction is
deferred. Names and content types only pre-select; the core reads the bytes to decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import discord

from bot.downloads import Downloader, DownloadError
from bot.errors import UserError
from bot.photos import Photo
from bot.service import HeadshotService

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".avif")


class AttachmentError(UserError):
    """An attachment we cannot use; the message is for the person who sent it."""


def looks_like_image(attachment: discord.Attachment) -> bool:
    """Whether Discord describes the attachment as an image (the bytes are checked later)."""
    kind = (attachment.content_type or "").lower()
    return kind.startswith("image/") or attachment.filename.lower().endswith(_IMAGE_SUFFIXES)


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def check_sizes(attachments: Sequence[discord.Attachment], max_bytes: int) -> None:
    """Refuse, before downloading anything, an attachment larger than the photo limit.

    An option whose attachment Discord did not resolve arrives as a bare `discord.Object`.
    """
    for attachment in attachments:
        if not isinstance(attachment, discord.Attachment):
            raise AttachmentError("Discord did not pass one of the photos along; please attach it again.")
        if attachment.size > max_bytes:
            raise AttachmentError(
                f"{attachment.filename} is {_megabytes(attachment.size)}; "
                f"photos can be at most {_megabytes(max_bytes)}."
            )


async def download_photos(
    service: HeadshotService, downloader: Downloader, attachments: Sequence[discord.Attachment]
) -> tuple[Photo, ...]:
    """Fetch every attachment at once (their URLs expire) and let the core check the bytes."""
    check_sizes(attachments, service.max_photo_bytes)

    async def fetch(attachment: discord.Attachment) -> bytes:
        try:
            return await downloader.fetch(attachment.url, max_bytes=service.max_photo_bytes)
        except DownloadError as exc:
            raise AttachmentError(f"I couldn't download {attachment.filename} from Discord: {exc}") from None

    blobs = await asyncio.gather(*(fetch(a) for a in attachments))
    named = [(a.filename, data) for a, data in zip(attachments, blobs, strict=True)]
    return await service.read_photos(named)
