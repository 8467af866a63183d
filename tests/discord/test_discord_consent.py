"""Consent on Discord: asked before any attachment is downloaded, answered with persistent buttons."""

from __future__ import annotations

from typing import Any

from bot.jobs import JobState
from tests.consent import stored
from tests.discord.conftest import CHANNEL, OWNER, Harness, HarnessFactory, payload
from tests.discord.fake_discord import EPHEMERAL
from tests.images import astronaut_jpeg


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons by label."""
    return {c["label"]: c for row in message.get("components") or [] for c in row["components"]}


def downloads(harness: Harness) -> list[str]:
    """Every attachment the bot fetched from the CDN."""
    return [s.path for s in harness.fake.seen if s.method == "GET" and s.path.startswith("/attachments/")]


def question(harness: Harness) -> dict[str, Any]:
    """The one consent question the fake holds (an ephemeral follow-up, or an edited ephemeral answer)."""
    asked = [f["message"] for f in harness.fake.followups if "headshot:consent:" in str(f["message"]["components"])]
    asked += [m for m in harness.fake.originals.values() if "headshot:consent:" in str(m.get("components"))]
    (found,) = asked
    return found


async def unasked(make_harness: HarnessFactory, **settings: Any) -> Harness:
    """A bot whose person has not agreed to anything yet."""
    return await make_harness(consented=False, **settings)


async def test_headshot_asks_first_and_downloads_nothing_until_agree(make_harness: HarnessFactory) -> None:
    harness = await unasked(make_harness, privacy_policy_url="https://example.com/privacy")
    fake = harness.fake
    command = harness.portrait_command()
    await harness.send(command)

    asked = question(harness)
    assert asked["flags"] & EPHEMERAL
    text = asked["content"]
    assert "Studio (built into this bot: your photos never leave this server)" in text
    assert "https://example.com/privacy" in text and "`/headshot-my-data`" in text and "`/headshot-forget`" in text
    assert f"version {harness.core.consents.version}" in text
    assert set(buttons(asked)) == {"Agree", "No thanks"}
    assert fake.originals[command["token"]]["id"] in fake.deleted  # no public "thinking" is left behind
    assert downloads(harness) == [] and fake.channel_posts(CHANNEL) == []
    assert await harness.core.store.jobs_for_owner(OWNER) == [] and await harness.core.blobs.folders("jobs") == []

    agree = harness.press(asked, buttons(asked)["Agree"]["custom_id"])
    await harness.send(agree)  # the held command runs on the press, without being sent again
    await harness.run_jobs()

    assert len(downloads(harness)) == 1
    (job,) = await harness.core.store.jobs_for_owner(OWNER)
    assert job.state is JobState.DELIVERED
    (status,) = fake.channel_posts(CHANNEL)
    assert status["id"] == fake.originals[agree["token"]]["id"] and status["content"].startswith("✅")
    assert fake.threads[status["id"]]  # results in a thread, as for any /headshot
    assert asked["components"] == [] and asked["content"].startswith("Thank you")
    (record,) = await harness.core.store.consent_records(OWNER)
    assert record.terms.version == harness.core.consents.version and record.terms.wording == text
    assert await harness.core.store.pending_requests(OWNER) == []


async def test_no_thanks_keeps_nothing_and_says_so_in_one_sentence(make_harness: HarnessFactory, tmp_path: Any) -> None:
    harness = await unasked(make_harness)
    before = stored(tmp_path)
    await harness.send(harness.portrait_command())
    asked = question(harness)
    decline = harness.press(asked, buttons(asked)["No thanks"]["custom_id"])
    await harness.send(decline)

    (answer,) = [c for c in harness.fake.callbacks if c["token"] == decline["token"]]
    assert answer["body"]["type"] == 7  # the question itself changes
    assert asked["content"] == "Understood: I made no headshots and kept nothing of your request."
    assert asked["components"] == []
    assert stored(tmp_path) == before and downloads(harness) == []


async def test_make_headshots_on_a_message_asks_first(make_harness: HarnessFactory) -> None:
    harness = await unasked(make_harness)
    fake = harness.fake
    menu = payload("make_headshots_message_command")
    target = menu["data"]["resolved"]["messages"][menu["data"]["target_id"]]
    target["attachments"] = [fake.add_file(CHANNEL, "IMG_2041.jpg", astronaut_jpeg(), "image/jpeg")]
    await harness.send(menu)
    asked = question(harness)
    assert downloads(harness) == [] and await harness.core.store.jobs_for_owner(OWNER) == []

    await harness.send(harness.press(asked, buttons(asked)["Agree"]["custom_id"]))
    await harness.run_jobs()
    assert len(downloads(harness)) == 1
    (job,) = await harness.core.store.jobs_for_owner(OWNER)
    assert job.thread["thread_id"] == target["id"]  # still the message's own thread


async def test_an_answer_after_a_restart_still_resumes_the_request(make_harness: HarnessFactory) -> None:
    first = await unasked(make_harness)
    await first.send(first.portrait_command())
    asked = question(first)
    await first.adapter.stop()
    await first.core.close()

    again = await unasked(make_harness)  # a new process on the same data: only the custom_id says which request
    await again.send(again.press(asked, buttons(asked)["Agree"]["custom_id"]))
    await again.run_jobs()
    (job,) = await again.core.store.jobs_for_owner(OWNER)
    assert job.state is JobState.DELIVERED and len(downloads(again)) == 1


async def test_a_new_text_version_asks_again_on_a_button_of_results(make_harness: HarnessFactory) -> None:
    harness = await make_harness()  # agreed to the current version
    fake = harness.fake
    await harness.send(harness.portrait_command())
    await harness.run_jobs()
    (status,) = fake.channel_posts(CHANNEL)
    (first,) = await harness.core.store.jobs_for_owner(OWNER)
    harness.core.consents.version = "2099-01-01"  # a new consent text is deployed

    press = harness.press(status, f"headshot:more:{first.id}")
    await harness.send(press)
    asked = question(harness)
    assert asked is fake.originals[press["token"]] and asked["flags"] & EPHEMERAL  # in place of the press's answer
    assert "version 2099-01-01" in asked["content"]
    assert len(await harness.core.store.jobs_for_owner(OWNER)) == 1
    assert len(await harness.core.blobs.folders("jobs")) == 1  # nothing new stored: no new job's photos

    await harness.send(harness.press(asked, buttons(asked)["Agree"]["custom_id"]))
    await harness.run_jobs()
    jobs = await harness.core.store.jobs_for_owner(OWNER)
    assert len(jobs) == 2 and all(job.state is JobState.DELIVERED for job in jobs)
    assert (await harness.core.store.latest_consent(OWNER)).terms.version == "2099-01-01"  # type: ignore[union-attr]


async def test_someone_else_cannot_answer_a_question(make_harness: HarnessFactory) -> None:
    harness = await unasked(make_harness)
    await harness.send(harness.portrait_command())
    asked = question(harness)
    stranger = {
        "id": "1187000000000000999",
        "username": "eve",
        "global_name": "Eve",
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
    }
    press = harness.press(asked, buttons(asked)["Agree"]["custom_id"], user=stranger)
    await harness.send(press)
    (answer,) = [c for c in harness.fake.callbacks if c["token"] == press["token"]]
    assert answer["body"]["data"]["content"] == "This question is for someone else."
    assert answer["body"]["data"]["flags"] & EPHEMERAL
    assert downloads(harness) == [] and await harness.core.store.consent_records(OWNER) == []


async def test_my_data_without_a_public_address_says_why(harness: Harness) -> None:
    await harness.send(harness.command(name="headshot-my-data"))
    (answer,) = harness.fake.callbacks
    assert answer["body"]["data"]["flags"] & EPHEMERAL
    assert "no public web address (PUBLIC_BASE_URL)" in answer["body"]["data"]["content"]


async def test_my_data_answers_a_link_only_the_person_sees(make_harness: HarnessFactory) -> None:
    harness = await make_harness(public_base_url="https://headshots.example.com")
    await harness.send(harness.command(name="headshot-my-data"))
    (answer,) = harness.fake.callbacks
    content = answer["body"]["data"]["content"]
    assert answer["body"]["data"]["flags"] & EPHEMERAL and "https://headshots.example.com/my-data/" in content
