"""A campaign on PostgreSQL shared by two replicas: the one sending dies part-way, the other finishes,
and nobody gets a second invitation; the campaigns' lease lets one replica send at a time."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import aiohttp
import pytest

pytest.importorskip("asyncpg", reason="the PostgreSQL tests need asyncpg: pip install -e '.[postgres]'")

from adapters.slack.campaign_messages import SlackCampaignMessenger
from adapters.slack.workspaces import OneWorkspace
from bot.campaigns.model import Campaign, Invitee
from bot.campaigns.worker import CampaignWorker
from bot.workspace_admin import WorkspaceKits
from storage.postgres.lease import AdvisoryLease
from storage.postgres.store import PostgresStore
from tests.servers import running
from tests.slack.fake_slack import TEAM, TOKEN, FakeSlack

PEOPLE = 300
KILLED_AT = 111


class Killed(BaseException):
    """A replica dying between a post and its record."""


def replica(store: PostgresStore, url: str, http: aiohttp.ClientSession) -> CampaignWorker:
    worker = CampaignWorker(store, WorkspaceKits(store))
    messenger = SlackCampaignMessenger(OneWorkspace(TOKEN, f"{url}/api/", http))
    messenger.min_interval_s = 0  # type: ignore[misc]
    worker.messengers["slack"] = messenger
    return worker


async def test_a_replica_killed_mid_campaign_leaves_nothing_to_send_twice(pg_url: str) -> None:
    fake = FakeSlack()
    first, second = await PostgresStore.open(pg_url), await PostgresStore.open(pg_url)
    try:
        async with running(fake.app()) as url, aiohttp.ClientSession() as http:
            fake.url = url
            now = time.time()
            campaign = Campaign(
                uuid.uuid4().hex,
                f"slack:{TEAM}",
                "slack",
                "Headshot day",
                "admin",
                now,
                now + 7 * 86400,
                now + 6 * 86400,
            )
            people = [Invitee(f"slack:{TEAM}:U1{n:04d}", {"team": TEAM, "user": f"U1{n:04d}"}) for n in range(PEOPLE)]
            await first.add_campaign(campaign, people)
            dying, taking_over = replica(first, url, http), replica(second, url, http)
            posts = 0

            def die(point: str) -> None:
                nonlocal posts
                posts += point == "campaign-after-post"
                if posts == KILLED_AT:
                    raise Killed

            dying.fault = die
            try:
                await dying.run_until_idle()
            except Killed:
                pass
            taking_over.clock = lambda: time.time() + taking_over.stale_s + 1
            await taking_over.run_until_idle()
    finally:
        await first.close()
        await second.close()
    sent = Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage"))
    assert len(sent) == PEOPLE and set(sent.values()) == {1}


async def test_the_campaigns_lease_is_held_by_one_replica_at_a_time(pg_url: str) -> None:
    one, other = AdvisoryLease(pg_url, "campaigns"), AdvisoryLease(pg_url, "campaigns")
    await one.acquire()
    try:
        waiting = asyncio.create_task(other.acquire())
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await one.release()
        await asyncio.wait_for(waiting, 10)
    finally:
        await other.release()
        await one.release()
