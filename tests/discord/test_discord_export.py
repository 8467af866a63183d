"""The favourites export on Discord: `/headshot-admin export:True` answers a manager with the link."""

from __future__ import annotations

import re
import time

from bot.jobs import Favourite
from tests.discord.conftest import GUILD, OWNER, USER_ID, HarnessFactory
from tests.discord.test_discord_brand_kit import admin_command, answer, flag

PUBLIC = "https://headshots.example.com"


async def test_a_manager_gets_a_link_to_everyones_favourite_named_by_discord(make_harness: HarnessFactory) -> None:
    harness = await make_harness(public_base_url=PUBLIC)
    harness.fake.users[USER_ID] = {"id": USER_ID, "username": "ada", "global_name": "Ada Lovelace",
                                   "discriminator": "0", "avatar": None}
    await harness.send(harness.portrait_command())
    await harness.run_jobs()
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    await harness.core.store.mark_favourite(Favourite(OWNER, job.id, 0, time.time()))

    await harness.send(admin_command(harness, flag("export", True)))
    content = answer(harness)["content"]
    found = re.search(rf"{PUBLIC}/export/([A-Za-z0-9_-]{{32}})\.zip", content)
    assert found is not None and "24 hours" in content
    opened = await harness.core.exports.open(found.group(1))
    assert opened is not None and opened.link.workspace == f"discord:{GUILD}"
    [favourite] = opened.favourites
    assert favourite.filename == f"Ada-Lovelace-{USER_ID}.jpg"

    await harness.send(admin_command(harness, flag("export", True), manager=False))
    assert answer(harness)["content"] == "Only this workspace's admins can change its headshot settings."


async def test_without_a_public_address_there_is_no_export(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    await harness.send(admin_command(harness, flag("export", True)))
    assert answer(harness)["content"] == "Exports need the bot's public address (PUBLIC_BASE_URL), which is not set."
