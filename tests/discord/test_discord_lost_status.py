"""A status the bot sent itself, whose id a crash kept from being written down, is found again: by its
nonce within Discord's window, among the channel's messages after it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import discord

from adapters.discord.intake import starting
from adapters.discord.status_lookup import status_nonce
from bot.interrupted import INTERRUPTED
from bot.jobs import PendingIntake
from tests.discord import shapes
from tests.discord.conftest import CHANNEL, OWNER, USER_ID, Harness

STARTING_TEXT = starting(None)
SENTENCE = INTERRUPTED.say(None)

INTAKE = "5f0c2e9a7b1d4c3e8a6f0b2d4c6e8a10"


def cut_short(age: float, **reply: object) -> PendingIntake:
    answer = {"application_id": shapes.APP_ID, "token": "expired", "user_id": USER_ID, "channel_id": CHANNEL}
    return PendingIntake(INTAKE, OWNER, "discord", {**answer, **reply}, time.time() - age)


async def dm_of(harness: Harness) -> int:
    return (await harness.adapter.client.create_dm(discord.Object(id=int(USER_ID)))).id


def sends_to(harness: Harness, channel: int) -> int:
    return sum(1 for s in harness.fake.seen if s.method == "POST" and s.path.endswith(f"/channels/{channel}/messages"))


async def test_within_the_nonce_window_discord_hands_back_the_status_and_it_is_edited(harness: Harness) -> None:
    dm = await dm_of(harness)
    sent = await harness.adapter.client.get_partial_messageable(dm).send(STARTING_TEXT, nonce=status_nonce(INTAKE))
    assert await harness.adapter.end_unrecorded_status(cut_short(5, private=True), SENTENCE)
    [status] = harness.fake.channel_posts(str(dm))
    assert status["id"] == str(sent.id) and status["content"] == SENTENCE
    assert sends_to(harness, dm) == 2  # the second send returned the first message


async def test_after_the_window_the_status_is_found_among_the_messages_since_the_request(harness: Harness) -> None:
    fake, dm = harness.fake, await dm_of(harness)
    intake = cut_short(600, private=True)
    earlier = shapes.message(str(dm), STARTING_TEXT)  # another request's, from before this one
    earlier["id"] = str(discord.utils.time_snowflake(datetime.fromtimestamp(intake.created_at - 60, UTC)))
    fake.messages[str(dm)] = [earlier]
    sent = await harness.adapter.client.get_partial_messageable(dm).send(STARTING_TEXT, nonce=status_nonce(INTAKE))
    assert await harness.adapter.end_unrecorded_status(intake, SENTENCE)
    assert [m["content"] for m in fake.channel_posts(str(dm))] == [STARTING_TEXT, SENTENCE]
    assert fake.edits == [(str(sent.id), SENTENCE)] and sends_to(harness, dm) == 1


async def test_a_followed_jobs_thread_is_searched_and_a_public_request_is_left_to_its_answer(
    harness: Harness,
) -> None:
    fake, thread = harness.fake, shapes.snowflake()
    assert not await harness.adapter.end_unrecorded_status(cut_short(600, status_channel_id=thread), SENTENCE)
    assert not await harness.adapter.end_unrecorded_status(cut_short(5), SENTENCE)
    assert fake.messages == {} and fake.edits == []
