"""Shared fixtures: a real core on real SQLite and blob files in tmp_path; each store for the store suite."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.options import Options
from bot.photos import Photo
from bot.ports import BlobStore, JobStore
from bot.wiring.app import Core, build_core
from bot.wiring.settings import Settings
from storage.sqlite import SqliteJobStore
from storage.sqlite.blobs import FileBlobStore
from tests import pg
from tests.doubles import RecordingSurface, ScriptedProvider, jpeg
from tests.pg import Cluster

StoreOpener = Callable[[], Awaitable[JobStore]]


def make_settings(tmp_path: Path, **values: Any) -> Settings:
    """Settings for tests: nothing from the environment or a .env file."""
    values.setdefault("data_dir", tmp_path)
    values.setdefault("allow_private_urls", True)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def surface() -> RecordingSurface:
    return RecordingSurface()


@pytest.fixture
def scripted() -> ScriptedProvider:
    return ScriptedProvider()


CoreFactory = Callable[..., Awaitable[Core]]


@pytest.fixture
async def make_core(
    tmp_path: Path, surface: RecordingSurface, scripted: ScriptedProvider
) -> AsyncIterator[CoreFactory]:
    """Build cores on tmp_path (the same data each time, like restarts); keyword arguments go to Settings."""
    built: list[Core] = []

    async def make(*, providers: dict[str, Any] | None = None, **settings: Any) -> Core:
        core = await build_core(
            make_settings(tmp_path, **settings),
            providers={"scripted": scripted} if providers is None else providers,
            surfaces={"test": surface},
            callback_base="http://127.0.0.1:9",
        )
        built.append(core)
        return core

    yield make
    for core in built:
        await core.close()


@pytest.fixture
async def core(make_core: CoreFactory) -> Core:
    return await make_core()


def photo(shade: int = 0) -> Photo:
    """A small photo as the core receives it after intake."""
    return Photo(data=jpeg(512, 512, shade))


async def submit(core: Core, *, provider: str = "scripted", count: int = 1, owner: str = "u1", photos: int = 1) -> str:
    """Accept a job through the core's intake, as an adapter would; returns its id."""
    request = core.intake.build_request([photo(n) for n in range(photos)], Options(count=count), provider)
    job = await core.intake.accept(request, owner=owner, surface="test", thread={"thread": "t1"})
    return job.id


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the whole run (skipped, or failed in CI, without one)."""
    reason = pg.missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def pg_url(pg_cluster: Cluster) -> AsyncIterator[str]:
    """A database of this test's own with the schema applied; dropped afterwards."""
    url = await pg_cluster.fresh_database()
    yield url
    await pg_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreOpener]:
    """Opens stores on one database of each kind in turn (SQLite in tmp_path, PostgreSQL in a
    database of its own), so one suite runs against both; two opened are like two processes."""
    opened: list[JobStore] = []
    if request.param == "sqlite":

        async def open_sqlite() -> JobStore:
            opened.append(await SqliteJobStore.open(tmp_path / "headshot-bot.db"))
            return opened[-1]

        yield open_sqlite
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        from storage.postgres.store import PostgresStore  # needs asyncpg, which pg_cluster checked

        url = await cluster.fresh_database()

        async def open_postgres() -> JobStore:
            opened.append(await PostgresStore.open(url))
            return opened[-1]

        yield open_postgres
    for each in opened:
        await each.close()
    if request.param == "postgres":
        await cluster.drop_database(url)


@pytest.fixture
async def store(open_store: StoreOpener) -> JobStore:
    """A store of each kind in turn."""
    return await open_store()


@pytest.fixture
async def blobs(store: JobStore, tmp_path: Path) -> BlobStore:
    """The blob store that goes with `store`: files under tmp_path, or rows beside the jobs."""
    if isinstance(store, SqliteJobStore):
        return FileBlobStore(tmp_path / "blobs")
    from storage.postgres.blobs import PostgresBlobStore

    return PostgresBlobStore(store.pool, tmp_path / "tmp", chunk_bytes=64 * 1024)  # type: ignore[attr-defined]


@pytest.fixture
async def pg_core(pg_url: str, tmp_path: Path, surface: RecordingSurface, scripted: ScriptedProvider
                  ) -> AsyncIterator[Core]:
    """The real core with every store role and the blobs in PostgreSQL (DATA_DIR keeps temporary files)."""
    built = await build_core(make_settings(tmp_path, database_url=pg_url), providers={"scripted": scripted},
                             surfaces={"test": surface}, callback_base="http://127.0.0.1:9")
    yield built
    await built.close()
