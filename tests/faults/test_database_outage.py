"""PostgreSQL going away under a running `serve`: health says so, acks stay fast, work resumes after.

The server gets a cluster of its own here, so that stopping it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

asyncpg = pytest.importorskip("asyncpg", reason="the PostgreSQL tests need asyncpg: pip install -e '.[postgres]'")

from tests import pg
from tests.faults.harness import (
    BotProcess,
    Fakes,
    assert_each_once,
    callback_body,
    eventually,
    post_callback,
    wait_submissions,
)
from tests.pg import Cluster

SLACK_DEADLINE = 3.0


@pytest.fixture
def own_cluster(pg_cluster: Cluster) -> Iterator[Cluster]:  # pg_cluster: skipped (or failed in CI) alike
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def _state(url: str) -> str | None:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT state FROM jobs")
    finally:
        await conn.close()


async def _health(bot: BotProcess) -> int:
    try:
        async with bot.http.get(f"{bot.url}/healthz") as answer:
            return answer.status
    except Exception:
        return 0


async def _until_health(bot: BotProcess, status: int, timeout: float) -> float:
    started = time.monotonic()
    while (await _health(bot)) != status:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"/healthz did not answer {status} within {timeout:g}s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_an_outage_is_503_fast_acks_a_sentence_and_then_everything_resumes(
    bot: BotProcess, fakes: Fakes, own_cluster: Cluster
) -> None:
    url = await own_cluster.fresh_database()
    bot.env_overrides.update(DATABASE_URL=url, JOB_LEASE_S="3")
    await bot.start()
    assert (await bot.request_job("runflow", user="U0BEFORE")).status == 200
    sub = await wait_submissions(fakes, 1)
    deadline = time.monotonic() + 20
    while await _state(url) != "waiting":  # accepted and submitted: the contract covers it from here
        assert time.monotonic() < deadline, "the Runflow job did not get to wait for its pack"
        await asyncio.sleep(0.05)

    own_cluster.halt()
    assert await _until_health(bot, 503, timeout=10) < 10
    # Slack is still answered in time, and the user learns why nothing happens.
    for reply in (await bot.command("status", user="U0DURING"), await bot.request_job("studio", user="U0DURING")):
        assert reply.status == 200 and reply.elapsed < SLACK_DEADLINE, reply
    await eventually(lambda: any("can't reach my storage" in r.get("text", "") for r in fakes.slack.responses), 15,
                     "the status command to say the storage is away")
    await eventually(lambda: any("can't reach my storage" in e.get("text", "") for e in fakes.slack.ephemerals), 15,
                     "the refused request to say the storage is away")
    body = callback_body(sub, fakes.pack_urls())
    assert (await post_callback(sub.callback_url, body) or (0,))[0] >= 500  # Runflow retries a 5xx

    assert own_cluster.resume()
    await _until_health(bot, 200, timeout=20)
    assert await post_callback(sub.callback_url, body) == (200, {"status": "accepted"})
    assert (await bot.request_job("studio", user="U0AFTER", count="2")).status == 200
    statuses = await bot.ended(count=2, timeout=90)
    assert_each_once(bot, statuses[0], fakes.pack, sheet=True)
    assert_each_once(bot, statuses[1], 2, sheet=False)
    assert "Traceback" not in bot.output() and pg.PASSWORD not in bot.output()
