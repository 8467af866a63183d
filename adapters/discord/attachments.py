"""Attachments to photos: which ones look like images, size checks, prompt downloads.

Attachment URLs are signed and expire, so they are downloaded as soon as the interaction is
deferred. Names and content types only pre-select; the core reads the bytes to decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.downloads import Downloader, DownloadError
from bot.errors import UserError
from bot.i18n import phrase
from bot.photos import file_type_of, looks_like_photo


class AttachmentError(UserError):
    """An attachment we cannot use; the message is for the person who sent it."""


@dataclass(frozen=True)
class AttachedPhoto:
    """An attachment as a request held for consent keeps it: its name, link and size, never its bytes."""

    filename: str
    url: str
    size: int

    @classmethod
    def of(cls, attachment: discord.Attachment) -> AttachedPhoto:
        """What of an attachment a held request needs."""
        return cls(attachment.filename, attachment.url, attachment.size)

    def to_json(self) -> dict[str, str | int]:
        """As stored."""
        return {"filename": self.filename, "url": self.url, "size": self.size}

    @classmethod
    def from_json(cls, stored: object) -> AttachedPhoto:
        """Read back (a malformed entry raises `AttachmentError`)."""
        if not isinstance(stored, dict):
            raise AttachmentError("Discord did not pass one of the photos along; please attach it again.")
        return cls(str(stored.get("filename") or "photo"), str(stored.get("url") or ""), int(stored.get("size") or 0))


# A command's attachment as Discord resolved it, or as a request held for consent kept it.
Attached = discord.Attachment | AttachedPhoto


def looks_like_image(attachment: discord.Attachment) -> bool:
    """Whether to read an attachment as a photo: Discord describes it as one of ours, or not at all
    (`content_type` is optional, and a name may have no ending); the bytes are checked later."""
    return looks_like_photo(attachment.content_type or "", file_type_of(attachment.filename))


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def check_sizes(attachments: Sequence[Attached], max_bytes: int) -> None:
    """Refuse, before downloading anything, an attachment larger than the photo limit.

    An option whose attachment Discord did not resolve arrives as a bare `discord.Object`.
    """
    for attachment in attachments:
        if not isinstance(attachment, discord.Attachment | AttachedPhoto):
            raise AttachmentError(phrase("Discord did not pass one of the photos along; please attach it again."))
        if attachment.size > max_bytes:
            raise AttachmentError(phrase(
                "{name} is {size}; photos can be at most {limit}.",
                name=attachment.filename, size=_megabytes(attachment.size), limit=_megabytes(max_bytes),
            ))


@dataclass(frozen=True)
class AttachmentPhotos:
    """`bot.ports.PhotoFetcher` for a command's attachments: all fetched at once, their URLs expire."""

    downloader: Downloader
    attachments: Sequence[Attached]
    max_bytes: int

    async def fetch(self) -> list[tuple[str, bytes]]:
        check_sizes(self.attachments, self.max_bytes)

        async def fetch_one(attachment: Attached) -> bytes:
            try:
                return await self.downloader.fetch(attachment.url, max_bytes=self.max_bytes)
            except DownloadError as exc:
                raise AttachmentError(phrase(
                    "I couldn't download {name} from Discord: {why}", name=attachment.filename, why=exc.message
                )) from None

        blobs = await asyncio.gather(*(fetch_one(a) for a in self.attachments))
        return [(a.filename, data) for a, data in zip(self.attachments, blobs, strict=True)]
