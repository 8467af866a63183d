"""Campaigns on Slack: an admin invites a channel, each person gets one invitation and at most one
reminder, across restarts, and the roster follows who sent photos and picked a favourite."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bot.campaigns.model import Roster
from bot.jobs import Favourite
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, slack_bot
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_brand_kit import opened_views
from tests.slack.test_slack_home import opened, texts

CHANNEL = "C0TEAM"
TEAM_MEMBERS = ["U0ADA", "U0BEA", "U0CAL", "U0DEV", "U0BOT"]  # the bot is a member too
WORKSPACE = "slack:T0TEAM"


def dm(user: str) -> str:
    """The fake's direct message channel of a user."""
    return "D" + user.lstrip("U")


def campaign_submission(
    view: dict[str, Any],
    *,
    name: str = "Headshot day",
    days: float = 7,
    channel: str | None = CHANNEL,
    people: list[str] | None = None,
) -> dict[str, Any]:
    body = payload("view_submission")
    values = {
        "campaign_name": {"campaign_name": {"type": "plain_text_input", "value": name}},
        "campaign_deadline": {
            "campaign_deadline": {"type": "datetimepicker", "selected_date_time": int(time.time() + days * 86400)}
        },
        "campaign_channel": {"campaign_channel": {"type": "conversations_select", "selected_conversation": channel}},
        "campaign_people": {"campaign_people": {"type": "multi_users_select", "selected_users": people or []}},
    }
    body["view"] = {
        **body["view"],
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
        "state": {"values": values},
    }
    return body


def invitation_press(harness: SlackHarness, user: str, message: dict[str, Any]) -> dict[str, Any]:
    body = payload("block_actions_button")
    body["user"] = {**body["user"], "id": user}
    body["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": dm(user)}
    body["channel"] = {"id": dm(user), "name": "directmessage"}
    body["message"] = message
    [button] = message["blocks"][1]["elements"]
    body["actions"] = [
        {
            **body["actions"][0],
            "action_id": button["action_id"],
            "value": button["value"],
            "block_id": message["blocks"][1]["block_id"],
        }
    ]
    body["response_url"] = f"{harness.fake.url}/response/{len(harness.fake.responses) + 1}"
    return body


def dms(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return fake.messages.get(dm(user), [])


async def start_campaign(harness: SlackHarness, **kwargs: Any) -> None:
    """The admin U0USER opens `/headshot campaign` and submits it."""
    harness.fake.add_user("U0USER", real_name="Ada Admin", admin=True)
    harness.fake.members[CHANNEL] = list(TEAM_MEMBERS)
    harness.core.campaign_worker.messengers["slack"].min_interval_s = 0.01  # type: ignore[misc]
    await harness.command("campaign")
    await harness.settle()
    view = opened_views(harness)[-1]
    answer = await harness.interact(campaign_submission(view, **kwargs))
    assert answer.status == 200 and answer.text == "", answer.text
    await harness.settle()


async def roster(harness: SlackHarness) -> Roster:
    [found] = await harness.core.campaigns.rosters(WORKSPACE)
    return found


async def test_someone_who_is_not_an_admin_cannot_start_one(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER")
    await harness.command("campaign")
    await harness.settle()
    assert opened_views(harness) == []
    assert harness.fake.responses[-1]["text"] == "Only this workspace's admins can change its headshot settings."


async def test_a_campaign_invites_each_member_once_by_direct_message(harness: SlackHarness) -> None:
    await start_campaign(harness, people=["U0EVE", "U0ADA"])
    [told] = harness.fake.ephemerals
    assert told["text"].startswith("Started “Headshot day”: 5 people get an invitation")
    await harness.core.campaign_worker.run_until_idle()
    await harness.core.campaign_worker.run_until_idle()  # nothing is sent twice

    for user in ("U0ADA", "U0BEA", "U0CAL", "U0DEV", "U0EVE"):
        [invitation] = dms(harness.fake, user)
        assert "*Headshot day*: this workspace is making everyone's headshots" in invitation["text"]
        assert invitation["blocks"][1]["elements"][0]["text"]["text"] == "Make my headshots"
        assert invitation["metadata"]["event_type"] == "headshot_campaign"
    assert dms(harness.fake, "U0BOT") == []
    opens = [c.params["users"] for c in harness.fake.calls_to("conversations.open")]
    assert sorted(opens) == ["U0ADA", "U0BEA", "U0CAL", "U0DEV", "U0EVE"]
    assert (await roster(harness)).count("invited") == 5


async def test_a_deadline_too_soon_or_nobody_at_all_is_refused_in_the_modal(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", admin=True)
    await harness.command("campaign")
    await harness.settle()
    view = opened_views(harness)[-1]
    answer = await harness.interact(campaign_submission(view, days=0.01, channel=None))
    assert answer.json()["errors"] == {
        "campaign_deadline": "Pick a deadline between an hour and 90 days from now.",
        "campaign_channel": "Pick a channel, some people, or both.",
    }
    assert await harness.core.campaigns.rosters(WORKSPACE) == []


async def test_the_invitation_opens_the_ordinary_request_and_the_roster_follows(harness: SlackHarness) -> None:
    await start_campaign(harness, channel=None, people=["U0ADA", "U0BEA"])
    await harness.core.campaign_worker.run_until_idle()
    [invitation] = dms(harness.fake, "U0ADA")
    answer = await harness.interact(invitation_press(harness, "U0ADA", invitation))
    assert answer.status == 200 and answer.elapsed < 3
    await harness.settle()
    request = opened_views(harness)[-1]
    assert request["callback_id"] == "headshot_request"
    assert json.loads(request["private_metadata"]) == {"channel": dm("U0ADA"), "locale": "en-US"}

    photo = harness.fake.add_user_file("ada.jpg", portrait_jpeg())
    body = harness.submission([photo], "studio")
    body["user"]["id"] = "U0ADA"
    body["view"]["private_metadata"] = request["private_metadata"]
    await harness.interact(body)
    await harness.settle()
    status = dms(harness.fake, "U0ADA")[1]
    assert status["text"].startswith("✅")  # results in the direct messages the invitation is in
    [job] = await harness.core.store.jobs_for_owner("slack:T0TEAM:U0ADA")
    await harness.core.store.mark_favourite(Favourite(job.owner, job.id, 0, time.time()))

    found = await roster(harness)
    ada, bea = found.people
    assert (ada.invited, ada.photos_sent, ada.delivered, ada.favourite) == (True, True, True, True)
    assert (bea.invited, bea.photos_sent, bea.delivered, bea.favourite) == (True, False, False, False)

    await harness.event(opened())  # the admin's Home tab shows it
    await harness.settle()
    shown = texts(harness.fake.homes["U0USER"])
    assert "Headshot day (until" in shown and "2 people · 2 invited · 1 sent photos · 1 delivered" in shown
    assert "<@U0ADA> — favourite picked" in shown and "<@U0BEA> — invited" in shown


async def test_one_reminder_goes_to_those_without_a_favourite(harness: SlackHarness) -> None:
    await start_campaign(harness, channel=None, people=["U0ADA", "U0BEA"])
    worker = harness.core.campaign_worker
    await worker.run_until_idle()
    photo = harness.fake.add_user_file("ada.jpg", portrait_jpeg())
    body = harness.submission([photo], "studio")
    body["user"]["id"] = "U0ADA"
    await harness.interact(body)
    await harness.settle()
    [job] = await harness.core.store.jobs_for_owner("slack:T0TEAM:U0ADA")
    await harness.core.store.mark_favourite(Favourite(job.owner, job.id, 0, time.time()))

    found = await roster(harness)
    worker.clock = lambda: found.campaign.remind_at + 1
    await worker.run_until_idle()
    await worker.run_until_idle()
    assert len(dms(harness.fake, "U0ADA")) == 1  # Ada picked a favourite: no reminder
    _invitation, reminder = dms(harness.fake, "U0BEA")
    assert reminder["text"].startswith("*Headshot day* ends on")
    assert await harness.core.store.due_steps(found.campaign.deadline + 1, 0, 10) == []  # nothing after the end


async def test_a_campaign_killed_half_way_sends_nobody_a_second_invitation(tmp_path: Path, fake: FakeSlack) -> None:
    people = [f"U0P{n:03d}" for n in range(12)]

    class Killed(BaseException):
        """The process dying between a post and its record."""

    async with slack_bot(tmp_path, fake) as first:
        await start_campaign(first, channel=None, people=people)
        posts = 0

        def die_on_the_fifth(point: str) -> None:
            nonlocal posts
            if point == "campaign-after-post":
                posts += 1
                if posts == 5:
                    raise Killed

        first.core.campaign_worker.fault = die_on_the_fifth
        try:
            await first.core.campaign_worker.run_until_idle()
        except Killed:
            pass
    assert sum(len(dms(fake, u)) for u in people) == 5

    async with slack_bot(tmp_path, fake) as second:
        worker = second.core.campaign_worker
        worker.messengers["slack"].min_interval_s = 0.01  # type: ignore[misc]
        await worker.run_until_idle()  # the fifth is left started and is not looked at yet
        assert sum(len(dms(fake, u)) for u in people) == 12
        assert len(await second.core.store.due_steps(time.time() + worker.stale_s + 1, time.time() + 1, 20)) == 1
        worker.clock = lambda: time.time() + worker.stale_s + 1
        await worker.run_until_idle()
    assert [len(dms(fake, u)) for u in people] == [1] * 12
    histories = [c for c in fake.calls_to("conversations.history") if c.params.get("include_all_metadata")]
    assert len(histories) == 1  # only the one left started was looked for


async def test_a_rate_limit_is_waited_out_and_nothing_is_sent_twice(harness: SlackHarness) -> None:
    await start_campaign(harness, channel=None, people=["U0ADA", "U0BEA"])
    harness.fake.rate_limit_once.add("chat.postMessage")
    started = time.monotonic()
    await harness.core.campaign_worker.run_until_idle()
    assert time.monotonic() - started >= 1.0  # Retry-After: 1
    assert [len(dms(harness.fake, u)) for u in ("U0ADA", "U0BEA")] == [1, 1]


async def test_forgetting_oneself_leaves_the_roster(harness: SlackHarness) -> None:
    await start_campaign(harness, channel=None, people=["U0USER", "U0BEA"])
    await harness.core.service.forget("slack:T0TEAM:U0USER")
    assert [line.invitee.owner for line in (await roster(harness)).people] == ["slack:T0TEAM:U0BEA"]


async def test_the_home_tabs_button_opens_the_campaign_modal_and_admin_shows_the_roster(harness: SlackHarness) -> None:
    await start_campaign(harness, channel=None, people=["U0ADA"])
    await harness.core.campaign_worker.run_until_idle()
    body = payload("block_actions_button")
    body["container"] = {"type": "view", "view_id": "V0HOME0001"}
    body["actions"] = [{**body["actions"][0], "action_id": "headshot_campaign_new", "value": None}]
    assert (await harness.interact(body)).status == 200
    await harness.settle()
    assert opened_views(harness)[-1]["callback_id"] == "headshot_campaign"

    await harness.command("admin")
    await harness.settle()
    admin = opened_views(harness)[-1]
    assert admin["callback_id"] == "headshot_admin"
    shown = texts(admin)
    assert "1 person · 1 invited · 0 sent photos" in shown and "<@U0ADA> — invited" in shown
