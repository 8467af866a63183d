"""Picks of delivered headshots on Discord: ★ and "Use as my avatar" buttons under a few, menus of
numbers under a pack, owner only, persistent across restarts, and `/headshot-favourites`."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from bot.ports import Generated, GenerationInput, Provider, ResultImage
from bot.request import Capabilities
from tests.discord.conftest import CHANNEL, OWNER, Harness, HarnessFactory, PackProvider
from tests.discord.fake_discord import EPHEMERAL
from tests.images import large_result_jpeg

STRANGER = {"id": "1187000000000000999", "username": "eve", "global_name": "Eve", "discriminator": "0",
            "avatar": None, "public_flags": 0}


@dataclass
class LargeProvider:
    """Answers with one large headshot (2560 pixels a side) every time."""

    name: str = "large"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(
        label="Large", description="Large — one big headshot", min_photos=1, max_photos=3, min_outputs=1,
        max_outputs=1, honours=frozenset(), expected_seconds=1,
    ))

    def wait_seconds(self) -> float:
        return 0.0

    async def generate(self, task: GenerationInput) -> Generated:
        return Generated(images=[ResultImage(data=large_result_jpeg())], remote_id="large-1")


@pytest.fixture
def extra_providers() -> dict[str, Provider]:
    return {"large": LargeProvider(), "pack": PackProvider(size=60)}


def components(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's components by `custom_id`."""
    return {c["custom_id"]: c for row in message.get("components", []) for c in row["components"]
            if "custom_id" in c}


async def delivered(harness: Harness, provider: str) -> tuple[dict[str, Any], str]:
    """One `/headshot` with `provider` run to the end: its status message, and the job's id."""
    await harness.send(harness.portrait_command({"name": "provider", "type": 3, "value": provider}))
    await harness.run_jobs()
    [status] = harness.fake.channel_posts(CHANNEL)
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    assert status["content"].startswith("✅")
    return status, job.id


async def answer(harness: Harness, message: dict[str, Any], custom_id: str, *, values: list[str] | None = None,
                 user: dict[str, Any] | None = None) -> dict[str, Any]:
    """Someone uses a component; the deferred ephemeral answer as it ended."""
    pressed = harness.press(message, custom_id, values=values, user=user)
    await harness.send(pressed)
    [callback] = [c for c in harness.fake.callbacks if c["token"] == pressed["token"]]
    assert callback["body"]["type"] == 5 and callback["body"]["data"]["flags"] & EPHEMERAL
    return harness.fake.originals[pressed["token"]]


async def favourite_numbers(harness: Harness) -> list[int]:
    return [f.index + 1 for f in await harness.core.store.favourites(OWNER)]


async def test_use_as_my_avatar_answers_with_a_1024_pixel_square(harness: Harness) -> None:
    status, job_id = await delivered(harness, "large")
    found = components(status)
    avatar, star = found[f"headshot:avatar:{job_id}:1"], found[f"headshot:fav:{job_id}:1"]
    assert avatar["label"] == "Use as my avatar" and star["label"] == "★ Favourite"
    said = await answer(harness, status, avatar["custom_id"])
    assert "cropped square around your face" in said["content"] and "User Settings" in said["content"]
    [upload] = [u for u in harness.fake.uploads if u.message_id == said["id"]]
    assert upload.filename == "avatar-01.jpg"
    with Image.open(io.BytesIO(upload.data)) as square:
        assert square.format == "JPEG" and square.size == (1024, 1024)


async def test_the_star_marks_and_unmarks_and_only_for_the_owner(harness: Harness) -> None:
    status, job_id = await delivered(harness, "large")
    star = f"headshot:fav:{job_id}:1"
    refused = await answer(harness, status, star, user=STRANGER)
    assert refused["content"] == "Only the person who asked for these headshots can pick among them."
    assert await favourite_numbers(harness) == []
    said = await answer(harness, status, star)
    assert said["content"].startswith("★ Headshot #1 is one of your favourites now")
    assert await favourite_numbers(harness) == [1]
    said = await answer(harness, status, star)
    assert said["content"] == "Headshot #1 is no longer one of your favourites."
    assert await favourite_numbers(harness) == []


async def test_a_pack_gets_menus_of_25_numbers_and_a_pick_offers_both(harness: Harness) -> None:
    status, job_id = await delivered(harness, "pack")
    found = components(status)
    menus = [found[f"headshot:pick:{job_id}:{first}"] for first in (1, 26, 51)]
    assert [len(m["options"]) for m in menus] == [25, 25, 10]
    assert menus[2]["placeholder"] == "Pick a headshot: #51-#60" and menus[1]["options"][11]["label"] == "#37"
    shown = await answer(harness, status, menus[1]["custom_id"], values=["37"])
    assert shown["content"] == "Headshot #37." and shown["attachments"][0]["filename"] == "headshot-37.jpg"
    offered = components(shown)
    assert offered[f"headshot:fav:{job_id}:37"]["label"] == "★ Mark as favourite"
    assert f"headshot:avatar:{job_id}:37" in offered
    await answer(harness, shown, f"headshot:fav:{job_id}:37")
    assert await favourite_numbers(harness) == [37]
    again = await answer(harness, status, menus[1]["custom_id"], values=["37"])
    assert again["content"].startswith("★ Headshot #37, one of your favourites.")
    assert components(again)[f"headshot:fav:{job_id}:37"]["label"] == "Take off my favourites"


async def test_the_picks_work_after_a_restart_and_the_listing_takes_one_off(make_harness: HarnessFactory) -> None:
    before = await make_harness()
    status, job_id = await delivered(before, "pack")
    await before.adapter.stop()
    after = await make_harness()  # a new client on the same data: nothing kept in memory
    for number in (3, 9):
        shown = await answer(after, status, f"headshot:pick:{job_id}:1", values=[str(number)])
        await answer(after, shown, f"headshot:fav:{job_id}:{number}")
    assert await favourite_numbers(after) == [9, 3]

    listing = after.command(name="headshot-favourites")
    await after.send(listing)
    listed = after.fake.originals[listing["token"]]
    lines = listed["content"].splitlines()
    assert lines[0] == "**Your favourites**" and lines[1].startswith("• ★ #9 of job")
    unmark = components(listed)["headshot:unfav"]
    assert [o["value"] for o in unmark["options"]] == [f"{job_id}:9", f"{job_id}:3"]
    said = await answer(after, listed, "headshot:unfav", values=[f"{job_id}:9"])
    assert said["content"] == "Headshot #9 is no longer one of your favourites."
    assert await favourite_numbers(after) == [3]
