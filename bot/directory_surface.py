"""A chat surface that "posts" into a folder: how `headshot-bot generate` reuses the core."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TextIO

from bot.jobs import ThreadAddress
from bot.ports import Button, Link, OutgoingFile


def folder_address(prefix: str) -> ThreadAddress:
    """A job's address on this surface: the prefix of the file names written for it."""
    return {"prefix": prefix}


class DirectorySurface:
    """Copies delivered files into `out_dir` and prints one path per line."""

    name = "cli"
    max_files_per_post = 10  # like the chat surfaces, so a pack comes with its contact sheet
    max_bytes_per_post = 1 << 40

    def __init__(self, out_dir: Path, *, out: TextIO = sys.stdout, progress: TextIO | None = None) -> None:
        self.out_dir = out_dir
        self.out = out
        self.progress = progress
        self.written: list[Path] = []
        self.messages: list[str] = []

    async def set_status(self, thread: ThreadAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """Keep the latest status (the terminal's progress bar is drawn by `generate`; a terminal has no buttons)."""
        self.messages.append(text)

    async def post(
        self, thread: ThreadAddress, text: str, files: Sequence[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        """Copy the files into the output folder and print their paths (a folder has no buttons)."""
        self.messages.append(text)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        prefix = str(thread.get("prefix") or "headshot")
        for item in files:
            if item.name.startswith("contact-sheet"):
                target = self.out_dir / f"{prefix}-contact-sheet{PurePosixPath(item.key).suffix}"
            else:
                target = self.out_dir / f"{prefix}-{item.name.removeprefix('headshot-')}"
            async with item.local_file() as source:
                await asyncio.to_thread(shutil.copyfile, source, target)
            self.written.append(target)
            if self.progress is not None:
                self.progress.write("\r\033[K")  # the path goes where the progress bar was
            self.out.write(f"{target}\n")
            self.out.flush()

    async def was_posted(self, thread: ThreadAddress, key: str) -> bool:
        """A folder keeps no message history; a repeated post rewrites the same files."""
        return False

    def post_limit(self, thread: ThreadAddress) -> int | None:
        """A folder takes every post."""
        return None
