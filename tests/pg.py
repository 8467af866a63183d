"""A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb into a temporary folder,
one server on a random loopback port, stopped at once (`-m immediate`) and deleted at the end.

The server refuses to run as root; as root, its programs run as the `postgres` user on a folder
that user owns. Each test gets a database of its own, copied from a template, which is much
faster than a cluster per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
HOW_TO_GET = (
    f"PostgreSQL tests need the PostgreSQL 15 server in {PG_BIN} "
    "(Debian/Ubuntu: apt-get install postgresql) and asyncpg (pip install -e '.[postgres]')"
)
TEMPLATE = "headshot_template"
# Password authentication over TCP, as in production, so that a wrong password can be tested.
PASSWORD = "pg-test-5b1d0e"


def missing() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
        return HOW_TO_GET
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return HOW_TO_GET
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One running PostgreSQL server; `url(name)` addresses one of its databases."""

    def __init__(self) -> None:
        # Short path: the server's Unix socket lives here too, and socket paths are limited to ~100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*(["runuser", "-u", "postgres", "--"] if self._as_postgres else []), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> Cluster:
        """initdb, then start the server on a free loopback port (retrying if another took it)."""
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        done = self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                         "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--no-sync")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
        for _attempt in range(5):
            self.port = _free_port()
            if self.resume():
                self._in_own_loop(self.prepare_template())
                return self
        raise RuntimeError(f"pg_ctl start failed: {self.log()[-2000:]}")

    def resume(self) -> bool:
        """Start the server (again) on its port; whether it came up."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=300")
        done = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                         "-o", options, "-w", "-t", "60", "start")
        return done.returncode == 0

    def halt(self) -> None:
        """Stop the server at once, as a crash or an outage would (the data stays)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @staticmethod
    def _in_own_loop(work: Any) -> None:
        # Callers may be inside a running event loop (an async fixture), which asyncio.run refuses.
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(work)
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    def log(self) -> str:
        """The server's log so far."""
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server at once and delete the cluster."""
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        """A DATABASE_URL for one database of this cluster."""
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str | None = None, template: str = "template0") -> str:
        """A new empty database (a copy of `template`); returns its URL."""
        import asyncpg

        name = name or f"t_{uuid.uuid4().hex[:16]}"
        admin = await asyncpg.connect(self.url())
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        finally:
            await admin.close()
        return self.url(name)

    async def fresh_database(self) -> str:
        """A new database with the current schema already applied (copied from a migrated template)."""
        return await self.create_database(template=TEMPLATE)

    async def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database`, even with sessions still open in it."""
        import asyncpg

        admin = await asyncpg.connect(self.url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await admin.close()

    async def prepare_template(self) -> None:
        """Create the migrated template database (once, at start)."""
        import asyncpg

        from storage.postgres.migrations import migrate

        conn = await asyncpg.connect(await self.create_database(TEMPLATE))
        try:
            await migrate(conn)
        finally:
            await conn.close()
