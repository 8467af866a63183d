"""A status message whose address a crash kept from being written down is found by its metadata."""

from __future__ import annotations

import time

from adapters.slack.intake import Origin
from bot.interrupted import INTERRUPTED as SAID
from bot.jobs import PendingIntake
from tests.slack.conftest import SlackHarness

INTERRUPTED = SAID.say(None)

CHANNEL = "C0GENERAL"
MENTION_TS = "1699999100.000200"
STARTING = "⏳ Got 1 photo; starting on your headshots…"


def cut_short(intake_id: str, origin: Origin, age: float = 2.0) -> PendingIntake:
    return PendingIntake(intake_id, origin.owner, "slack", origin.to_json(), time.time() - age)


async def test_a_mentions_status_is_found_in_its_thread_and_only_it_is_ended(harness: SlackHarness) -> None:
    slack = harness.adapter.listeners.slack
    origin = Origin(team="T0TEAM", user="U0USER", channel=CHANNEL, thread_ts=MENTION_TS, errors_in_thread=True)
    other = await slack.post_status(origin, STARTING, intake_id="other-request")
    mine = await slack.post_status(origin, STARTING, intake_id="my-request")
    assert await harness.adapter.end_unrecorded_status(cut_short("my-request", origin), INTERRUPTED)
    texts = {m["ts"]: m["text"] for m in harness.fake.thread(CHANNEL, MENTION_TS)}
    assert texts == {other.status_ts: STARTING, mine.status_ts: INTERRUPTED}
    [lookup] = harness.fake.calls_to("conversations.replies")
    assert lookup.params["ts"] == MENTION_TS and lookup.params["include_all_metadata"] in ("1", "true", True)
    assert harness.fake.ephemerals == []


async def test_a_private_status_is_found_in_the_direct_messages(harness: SlackHarness) -> None:
    slack = harness.adapter.listeners.slack
    origin = Origin(team="T0TEAM", user="U0USER", channel=CHANNEL)
    posted = await slack.post_status_privately(origin, STARTING, intake_id="private-request")
    assert posted.channel == "D0USER"
    assert await harness.adapter.end_unrecorded_status(cut_short("private-request", origin), INTERRUPTED)
    [status] = harness.fake.messages["D0USER"]
    assert status["text"] == INTERRUPTED and "edited" in status


async def test_without_a_status_the_person_is_told_where_they_asked(harness: SlackHarness) -> None:
    origin = Origin(team="T0TEAM", user="U0USER", channel=CHANNEL)
    harness.fake.add_message(CHANNEL, {"user": "U0USER", "text": STARTING})  # not the bot's, no metadata
    assert not await harness.adapter.end_unrecorded_status(cut_short("never-posted", origin), INTERRUPTED)
    old = await harness.adapter.listeners.slack.post_status(origin, STARTING, intake_id="long-ago")
    assert not await harness.adapter.end_unrecorded_status(cut_short("long-ago", origin, age=3600), INTERRUPTED)
    assert harness.fake.messages[CHANNEL][-1]["ts"] == old.status_ts
    assert harness.fake.messages[CHANNEL][-1]["text"] == STARTING
