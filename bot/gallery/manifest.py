"""What a published gallery shows, stored as one small blob beside the job's results."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/avif": ".avif",
    "image/heic": ".heic",
}
UNKNOWN_TYPE = "application/octet-stream"


class GalleryImage(BaseModel):
    """One result as the gallery serves it: the stored bytes, their real type, their thumbnail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    size: int = Field(ge=0)
    media_type: str
    thumb_key: str
    thumb_size: int = Field(ge=0)

    def filename(self, number: int) -> str:
        """The name it is downloaded and zipped under: `headshot-07.jpg`."""
        return f"headshot-{number:02d}{EXTENSIONS.get(self.media_type, '.bin')}"


class GalleryManifest(BaseModel):
    """Every image of a gallery, in delivery order, with the size its thumbnails share."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    images: list[GalleryImage]
    thumb_width: int = Field(gt=0)
    thumb_height: int = Field(gt=0)

    @property
    def total_bytes(self) -> int:
        """The full images' bytes together."""
        return sum(image.size for image in self.images)
