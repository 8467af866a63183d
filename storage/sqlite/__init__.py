"""The SQLite store (aiosqlite, WAL, versioned migrations) and the file blob store, for one process.

Laid out as `storage/postgres/` is, file for file (jobs, records, charges, intakes, limits,
installations, migrations, connect, store, blobs); `writes` and `folder_lock` are SQLite's own.
"""

from storage.sqlite.store import SqliteJobStore

__all__ = ["SqliteJobStore"]
