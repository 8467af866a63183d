"""PostgreSQL schema: versioned steps applied once, even by replicas starting together; clear errors."""

from __future__ import annotations

import asyncio

import pytest

asyncpg = pytest.importorskip("asyncpg", reason="the PostgreSQL tests need asyncpg: pip install -e '.[postgres]'")

from storage.postgres.connect import DatabaseUnavailable, open_pool
from storage.postgres.migrations import MIGRATIONS, migrate
from tests.pg import Cluster


async def test_replicas_starting_together_apply_each_step_once(pg_cluster: Cluster) -> None:
    url = await pg_cluster.create_database()
    conns = [await asyncpg.connect(url) for _ in range(3)]
    try:
        versions = await asyncio.gather(*(migrate(conn) for conn in conns))
        assert versions == [len(MIGRATIONS)] * 3
        rows = await conns[0].fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [row["version"] for row in rows] == list(range(1, len(MIGRATIONS) + 1))
        assert await migrate(conns[1]) == len(MIGRATIONS)  # a restart changes nothing
    finally:
        for conn in conns:
            await conn.close()
        await pg_cluster.drop_database(url)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda c: c.url("no_such_db"), 'database "no_such_db" on 127.0.0.1:{port} as postgres: the database does not'),
        (lambda c: c.url(password="wrong"), "the server refused the user name or password"),
        (lambda c: c.url().replace(f":{c.port}/", ":1/"), "cannot connect (connection refused)"),
    ],
)
async def test_an_unusable_database_is_one_sentence_without_the_password(pg_cluster: Cluster, change, says) -> None:
    url = change(pg_cluster)
    with pytest.raises(DatabaseUnavailable) as raised:
        await open_pool(url)
    message = str(raised.value)
    assert says.format(port=pg_cluster.port) in message
    assert "\n" not in message and "wrong" not in message and pg_cluster.url().split("@")[0] not in message
