"""Three `serve` replicas on one PostgreSQL database: one is SIGKILLed mid-way and nothing is lost.

Jobs reach every replica; the one holding the Discord gateway is killed while it works on a
job. Every job still ends in its thread with each result exactly once, the gateway moves to
another replica (never two at once), and a Runflow callback sent to a replica other than the
one that submitted the job is delivered once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

asyncpg = pytest.importorskip("asyncpg", reason="the PostgreSQL tests need asyncpg: pip install -e '.[postgres]'")

from tests.discord.fake_discord import FakeDiscord
from tests.faults.harness import Fakes, assert_each_once, callback_body, post_callback, wait_submissions
from tests.faults.replicas import LEASE_S, gateway_holder, leases_held_by, on_replica, start_replicas


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.close()


async def _job_state(url: str, remote_id: str) -> str | None:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT state FROM jobs WHERE remote_id = $1", remote_id)
    finally:
        await conn.close()


async def _until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_replica_killed_mid_way_loses_nothing_and_hands_over_the_gateway(
    tmp_path: Path, fakes: Fakes, discord: FakeDiscord, pg_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        replicas = await start_replicas(tmp_path, fakes, discord, http, pg_url)
        most_gateways = 0

        async def count_gateways() -> None:
            nonlocal most_gateways
            while True:
                most_gateways = max(most_gateways, len([ws for ws in discord.sockets if not ws.closed]))
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(count_gateways())
        try:
            holder = await gateway_holder(replicas, timeout=20)
            others = [r for r in replicas if r is not holder]

            # A Runflow pack, accepted by one replica and submitted by whichever claimed it.
            assert (await others[0].request_job("runflow", user="URUNFLOW")).status == 200
            sub = await wait_submissions(fakes, 1)
            await _until(lambda: _waiting(pg_url, sub.headshots_id), 20, "the Runflow job to wait for its callback")
            # Studio jobs sent to all three replicas, more until the gateway holder is caught working on one.
            sent = 0

            async def send_studio() -> None:
                nonlocal sent
                replica = replicas[sent % len(replicas)]
                assert (await replica.request_job("studio", user=f"USTUDIO{sent}", count="2")).status == 200
                sent += 1

            for _ in range(6):
                await send_studio()
            deadline = time.monotonic() + 60
            while True:  # every request recorded (the contract covers accepted jobs), one in the holder's hands
                if await _count(pg_url) == sent + 1 and await leases_held_by(pg_url, holder) > 0:
                    break
                assert time.monotonic() < deadline, "the gateway holder never worked on a job"
                if await _count(pg_url) == sent + 1 and sent < 12:
                    await send_studio()
                await asyncio.sleep(0.05)
            holder.kill()

            # The callback reaches a live replica that did not submit the job.
            submitter = next(r for r in replicas if sub.callback_url.startswith(r.url))
            target = next(r for r in others if r is not submitter)
            body = callback_body(sub, fakes.pack_urls())
            assert await post_callback(on_replica(sub.callback_url, target), body) == (200, {"status": "accepted"})
            assert await post_callback(on_replica(sub.callback_url, others[0]), body) == (200, {"status": "duplicate"})

            # Another replica takes the gateway over, within the lease and a few seconds.
            killed_at = time.monotonic()
            survivor = await gateway_holder(others, timeout=LEASE_S + 10)
            took_over = time.monotonic() - killed_at
            assert len(discord.identified) == 2 and took_over < LEASE_S + 5
            for replica in others:  # the one that stands by is healthy too
                async with http.get(f"{replica.url}/healthz") as answer:
                    health = await answer.json()
                expected = "ok" if replica is survivor else "standby"
                assert answer.status == 200 and health["status"] == "ok" and health["platforms"]["discord"] == expected
            await survivor.request_portrait(count=2)
            status = await survivor.status_ended(timeout=60)
            assert status["content"].startswith("✅"), status
            posts = [p for p in discord.channel_posts(survivor.thread_of(status)) if p["attachments"]]
            assert [Counter(a["filename"] for a in p["attachments"]) for p in posts] == [
                Counter({"headshot-01.jpg": 1, "headshot-02.jpg": 1})
            ]

            statuses = await others[0].ended(count=sent + 1, timeout=120)
            assert_each_once(others[0], statuses[0], fakes.pack, sheet=True)
            for studio in statuses[1:]:
                assert_each_once(others[0], studio, 2, sheet=False)
            await asyncio.sleep(LEASE_S)  # a job finished twice would show itself now
            assert_each_once(others[0], others[0].statuses()[0], fakes.pack, sheet=True)
            assert most_gateways == 1, "two replicas held the Discord gateway at once"
        finally:
            sampler.cancel()
            for replica in replicas:
                replica.kill()
                print(replica.output()[-20_000:])


async def _count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM jobs"))
    finally:
        await conn.close()


async def _waiting(url: str, remote_id: str) -> bool:
    return await _job_state(url, remote_id) == "waiting"
