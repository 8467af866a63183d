"""The fake Slack Web API in a process of its own, so its work is not charged to the app under test."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

START_TIMEOUT_S = 30.0


def _child(conn: Connection, locale: str) -> None:
    asyncio.run(_serve(conn, locale))


async def _serve(conn: Connection, locale: str) -> None:
    from tests.images import astronaut_jpeg
    from tests.servers import running
    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack(default_locale=locale)
    async with running(fake.app()) as url:
        fake.url = url
        photo = fake.add_user_file("portrait.jpg", astronaut_jpeg())
        conn.send((url, photo))
        # Serve until the parent says stop (or goes away: recv then raises EOFError).
        await asyncio.get_running_loop().run_in_executor(None, _wait, conn)


def _wait(conn: Connection) -> None:
    try:
        conn.recv()
    except EOFError:
        pass


@contextmanager
def fake_slack_process(locale: str = "en-US") -> Iterator[tuple[str, dict[str, Any]]]:
    """Run a FakeSlack (with one user photo shared, every user speaking `locale`) in a child; yields its URL
    and the photo's file object."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_child, args=(child, locale), daemon=True)
    process.start()
    try:
        if not parent.poll(START_TIMEOUT_S):
            raise TimeoutError("the fake Slack process did not start")
        url, photo = parent.recv()
        yield url, photo
    finally:
        try:
            parent.send("stop")
        except OSError:
            pass
        process.join(5)
        if process.is_alive():
            process.terminate()
            process.join(5)
