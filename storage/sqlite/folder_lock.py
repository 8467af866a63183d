"""One `serve` per SQLite data folder: an exclusive lock taken at start, held until the process ends.

Two processes on one SQLite file would each claim the same jobs through their own in-process
queue view and pay the provider twice. The lock is the kernel's (`flock`), so it vanishes with
the process however it ends, and a stale lock file means nothing.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from bot.errors import UserError

LOCK_NAME = "serve.lock"


class FolderInUse(UserError):
    """Another process holds the folder; the message says which folder and what to do."""


def lock_folder(folder: Path) -> IO[str]:
    """Hold `folder` for this process; keep the returned file open for as long as the lock must last."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / LOCK_NAME).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        by = f" (process {holder})" if holder.isdigit() else ""
        raise FolderInUse(
            f"another headshot-bot serve{by} is already using {folder}; one SQLite store takes one serve, "
            "so stop that one first or give this one its own DATA_DIR."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
