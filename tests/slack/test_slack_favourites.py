"""Favourites on Slack: ★ under a few headshots, a menu of #1-#60 under a pack, owner only, listed by
`/headshot favourites` with gallery links and a menu that takes one off; across restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.ports import Generated, ResultImage
from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg, slack_bot
from tests.slack.fake_slack import TEAM, FakeSlack

CHANNEL, OWNER = "C0GENERAL", f"slack:{TEAM}:U0USER"
PUBLIC = "https://headshots.example"


def picks(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's picks by `action_id`."""
    return {e["action_id"]: e for block in message.get("blocks", []) if block.get("block_id") == "headshot_picks"
            for e in block["elements"]}


async def delivered(h: SlackHarness, count: int) -> dict[str, Any]:
    """A job delivering `count` headshots; its status message."""
    h.scripted.script.append(Generated(images=[ResultImage(data=jpeg(96, 96, n)) for n in range(count)]))
    await h.interact(h.submission([h.fake.add_user_file("me.jpg", portrait_jpeg())], "scripted"))
    await h.settle()
    [status] = [m for m in h.fake.messages[CHANNEL] if "thread_ts" not in m]
    assert status["text"].startswith("✅")
    return status


async def act(h: SlackHarness, message: dict[str, Any], action: dict[str, Any], user: str = "U0USER") -> str:
    """`user` uses a control of a message (an action as Slack sends it); the ephemeral answer's text."""
    body = payload("block_actions_select" if "selected_option" in action else "block_actions_button")
    body["user"] = {**body["user"], "id": user}
    body["message"] = message
    body["response_url"] = f"{h.fake.url}/response/{len(h.fake.responses) + 1}"
    body["actions"] = [{"block_id": "headshot_picks", "action_ts": "1700000100.1", **action}]
    answered = len(h.fake.responses)
    assert (await h.interact(body)).status == 200
    await h.settle()
    [reply] = h.fake.responses[answered:]
    assert reply["response_type"] == "ephemeral"
    return str(reply["text"])


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    element = picks(message)[action_id]
    return {"action_id": action_id, "type": "button", "value": element["value"], "text": element["text"]}


def chosen(menu: dict[str, Any], label: str) -> dict[str, Any]:
    [option] = [o for o in menu["options"] if o["text"]["text"] == label]
    return {"action_id": menu["action_id"], "type": "static_select", "selected_option": option}


async def favourite_numbers(h: SlackHarness) -> list[int]:
    """The owner's favourites as result indexes + 1 (their numbers, every result being stored)."""
    return [f.index + 1 for f in await h.core.store.favourites(OWNER)]


async def test_a_few_headshots_get_a_star_each_that_marks_and_unmarks(harness: SlackHarness) -> None:
    status = await delivered(harness, 3)
    assert [e["text"]["text"] for e in picks(status).values()] == ["★ #1", "★ #2", "★ #3"]
    said = await act(harness, status, button(status, "headshot_favourite_2"))
    assert said.startswith("★ Headshot #2 is one of your favourites now") and await favourite_numbers(harness) == [2]
    said = await act(harness, status, button(status, "headshot_favourite_2"))
    assert said == "Headshot #2 is no longer one of your favourites." and await favourite_numbers(harness) == []


async def test_a_pack_gets_a_menu_of_its_60_numbers(harness: SlackHarness) -> None:
    status = await delivered(harness, 60)
    menu = picks(status)["headshot_favourite"]
    assert menu["type"] == "static_select" and menu["placeholder"]["text"] == "★ Mark a favourite"
    assert [o["text"]["text"] for o in menu["options"]] == [f"#{n}" for n in range(1, 61)]
    await act(harness, status, chosen(menu, "#37"))
    await act(harness, status, chosen(menu, "#4"))
    assert await favourite_numbers(harness) == [4, 37]  # newest first


async def test_only_the_owner_can_mark_one(harness: SlackHarness) -> None:
    status = await delivered(harness, 1)
    assert picks(status)["headshot_favourite_1"]["text"]["text"] == "★ Favourite"
    said = await act(harness, status, button(status, "headshot_favourite_1"), user="U0EVE")
    assert said == "Only the person who asked for these headshots can pick among them."
    assert await favourite_numbers(harness) == []
    assert "headshot_photo_1" not in picks(status)  # no client credentials: no photo button


async def test_the_listing_links_each_favourite_and_takes_one_off(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(tmp_path, fake, public_base_url=PUBLIC) as h:
        status = await delivered(h, 4)
        for number in (3, 1):
            await act(h, status, button(status, f"headshot_favourite_{number}"))
        answered = len(fake.responses)
        await h.command("favourites")
        await h.settle()
        [listing] = fake.responses[answered:]
        [job] = await h.core.store.jobs_for_owner(OWNER)
    assert listing["response_type"] == "ephemeral"
    section, actions = listing["blocks"]
    first, second = section["text"]["text"].splitlines()[1:]  # newest first, each linking its image
    assert first.startswith(f"• ★ <{PUBLIC}/g/")
    assert first.split("|")[0].endswith("/1") and second.split("|")[0].endswith("/3")
    assert f"|#1 of job {job.short_id} (" in first
    [menu] = actions["elements"]
    assert [o["value"] for o in menu["options"]] == [f"{job.id}:1", f"{job.id}:3"]

    async with slack_bot(tmp_path, fake, public_base_url=PUBLIC) as again:  # a restart: nothing kept in memory
        said = await act(again, listing, {"action_id": menu["action_id"], "type": "static_select",
                                          "selected_option": menu["options"][1]})
        assert said == "Headshot #3 is no longer one of your favourites."
        assert await favourite_numbers(again) == [1]
        await act(again, status, button(status, "headshot_favourite_2"))  # the status's stars work too
        assert await favourite_numbers(again) == [2, 1]


async def test_with_no_favourites_the_listing_says_how_to_mark_one(harness: SlackHarness) -> None:
    await harness.command("favourites")
    await harness.settle()
    assert harness.fake.responses[-1]["text"].startswith("You have no favourites yet.")
