"""A campaign of 2,000 people, its process killed part-way: everyone gets exactly one invitation.

Pacing is off here (the benchmark `rollout` measures it); what is checked is the exactly-once
scheme at scale: the channel's members read page by page, the step left started found in the
conversation after the restart, nobody messaged twice.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.slack.conftest import slack_bot
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_brand_kit import opened_views
from tests.slack.test_slack_campaigns import CHANNEL, campaign_submission

PEOPLE = 2000
KILLED_AT = 733


class Killed(BaseException):
    """The process dying between a post and its record."""


def invitations(fake: FakeSlack) -> Counter[str]:
    return Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage") if c.params["channel"][0] == "D")


async def test_two_thousand_people_killed_part_way_each_get_one_invitation(tmp_path: Path, fake: FakeSlack) -> None:
    people = [f"U1{n:05d}" for n in range(PEOPLE)]
    fake.members[CHANNEL] = [*people, "U0BOT"]
    fake.add_user("U0USER", admin=True)
    async with slack_bot(tmp_path, fake) as first:
        first.core.campaign_worker.messengers["slack"].min_interval_s = 0  # type: ignore[misc]
        await first.command("campaign")
        await first.settle()
        await first.interact(campaign_submission(opened_views(first)[-1], channel=CHANNEL))
        await first.settle()
        members_pages = len(fake.calls_to("conversations.members"))
        posts = 0

        def die(point: str) -> None:
            nonlocal posts
            if point == "campaign-after-post":
                posts += 1
                if posts == KILLED_AT:
                    raise Killed

        first.core.campaign_worker.fault = die
        try:
            await first.core.campaign_worker.run_until_idle()
        except Killed:
            pass
    assert members_pages == PEOPLE // fake.members_page + 1
    assert sum(invitations(fake).values()) == KILLED_AT

    async with slack_bot(tmp_path, fake) as second:
        worker = second.core.campaign_worker
        worker.messengers["slack"].min_interval_s = 0  # type: ignore[misc]
        await worker.run_until_idle()
        worker.clock = lambda: time.time() + worker.stale_s + 1  # the one left started is looked at now
        await worker.run_until_idle()
        [roster] = await second.core.campaigns.rosters("slack:T0TEAM")
    sent = invitations(fake)
    assert len(sent) == PEOPLE and set(sent.values()) == {1}
    assert roster.count("invited") == PEOPLE
    looked = [c for c in fake.calls_to("conversations.history") if c.params.get("include_all_metadata")]
    assert len(looked) == 1
