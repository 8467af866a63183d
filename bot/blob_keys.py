"""Where a job's files live in the blob store: every key is made here, nowhere else."""

from __future__ import annotations

JOBS = "jobs"


def job_prefix(job_id: str) -> str:
    """Everything stored for a job."""
    return f"{JOBS}/{job_id}"


def photos_prefix(job_id: str) -> str:
    """A job's input photos (deleted as soon as the job ends)."""
    return f"{JOBS}/{job_id}/in"


def photo_key(job_id: str, index: int) -> str:
    """Input photo `index` of a job, normalised to JPEG."""
    return f"{JOBS}/{job_id}/in/{index}.jpg"


def result_key(job_id: str, index: int, suffix: str = ".jpg") -> str:
    """Result image `index` of a job."""
    return f"{JOBS}/{job_id}/out/{index:02d}{suffix}"


def contact_sheet_key(job_id: str) -> str:
    """The contact sheet of a job's results."""
    return f"{JOBS}/{job_id}/contact-sheet.jpg"


def thumbnail_key(job_id: str, index: int) -> str:
    """The gallery thumbnail of result image `index`."""
    return f"{JOBS}/{job_id}/thumbs/{index:02d}.jpg"


def gallery_manifest_key(job_id: str) -> str:
    """What a job's gallery shows (`bot.gallery.manifest`)."""
    return f"{JOBS}/{job_id}/gallery.json"
