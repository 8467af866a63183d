"""The one way every command opens the store: DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.errors import UserError
from bot.ports import BlobStore, JobStore, JobWakeups, SingletonLease
from bot.singleton import ProcessLease
from bot.wiring.settings import Settings
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from storage.sqlite.folder_lock import lock_folder


@dataclass
class Storage:
    """What DATABASE_URL chose: the stores, and how processes sharing them hear of each other."""

    store: JobStore
    blobs: BlobStore
    description: str  # for `check` and the log: which store, never a password
    wakeups: JobWakeups | None = None  # None: this process is the store's only user
    lease: Callable[[str], SingletonLease] = lambda _name: ProcessLease()

    async def close(self) -> None:
        """Release the store's connections."""
        await self.store.close()


async def open_storage(settings: Settings, *, serving: bool) -> Storage:
    """PostgreSQL when DATABASE_URL names it (then DATA_DIR keeps only temporary files), else SQLite:
    DATABASE_URL's file, or the one under DATA_DIR. `serve`, `generate`, `check` and `usage` all
    open the store here, so each of them sees the same jobs and the same quota charges.

    `serving`: this process works the store's queue (`serve`, a core of its own). A command that
    only reads or counts beside a running `serve` (`check`, `usage`, `generate`'s charges) must not
    take the SQLite file's leases from it.
    """
    root = settings.data_dir
    root.mkdir(parents=True, exist_ok=True)
    url = settings.postgres_url
    if url is None:
        path = settings.database_path
        sqlite = await SqliteJobStore.open(path, serving=serving)
        return Storage(sqlite, FileBlobStore(root / "blobs"), f"SQLite at {path}")
    try:
        from storage.postgres.blobs import PostgresBlobStore
        from storage.postgres.lease import AdvisoryLease
        from storage.postgres.store import PostgresStore
        from storage.postgres.wakeups import PostgresWakeups
    except ImportError as exc:
        raise UserError(
            "DATABASE_URL names a PostgreSQL database, which needs asyncpg: pip install 'headshot-bot[postgres]'"
        ) from exc

    store = await PostgresStore.open(url)
    # A standby tries every second or so; a holder checks its connection as often (JOB_LEASE_S bounds both).
    pace = min(2.0, settings.job_lease_s / 4)
    return Storage(
        store,
        PostgresBlobStore(store.pool, root / "tmp"),
        store.description,
        PostgresWakeups(url),
        lambda name: AdvisoryLease(url, name, retry_s=pace, check_s=pace),
    )


async def scratch_storage(folder: Path) -> Storage:
    """A store of one command run's own in a temporary folder (`generate`'s job and its files),
    never the deployment's: its queue is worked by that run alone."""
    path = folder / "headshot-bot.db"
    return Storage(await SqliteJobStore.open(path), FileBlobStore(folder / "blobs"), f"SQLite at {path} (temporary)")


def hold_data_folders(settings: Settings) -> list[IO[str]]:
    """With SQLite, lock DATA_DIR (and the database's folder) for this `serve` alone; the second
    `serve` on them stops with a sentence. A shared database (PostgreSQL) takes many replicas."""
    url = settings.database_url
    if url and not url.startswith("sqlite"):
        return []
    folders = {settings.data_dir.resolve(), settings.database_path.resolve().parent}
    return [lock_folder(folder) for folder in sorted(folders)]
