"""The Home tab: each person's jobs, favourites, allowance and defaults; the workspace's for admins."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.jobs import Favourite
from tests.slack.conftest import SlackHarness, payload
from tests.slack.test_slack_brand_kit import set_kit
from tests.slack.test_slack_follow_ups import delivered

OWNER = "slack:T0TEAM:U0USER"


def opened(user: str = "U0USER", tab: str = "home") -> dict[str, Any]:
    body = payload("app_home_opened")
    body["event"] |= {"user": user, "tab": tab, "event_ts": f"{time.time():.6f}"}
    body["event_id"] = f"Ev{time.monotonic_ns()}"
    return body


def texts(view: dict[str, Any]) -> str:
    """Every text on a view, one block a line."""
    found = []
    for block in view["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            found += [text["text"] if isinstance(text, dict) else text] if text else []
    return "\n".join(found)


async def test_the_home_tab_shows_my_jobs_favourites_allowance_and_defaults(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", real_name="Ada")
    await delivered(harness)
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    await harness.core.store.mark_favourite(Favourite(OWNER, job.id, 0, time.time()))
    answer = await harness.event(opened())
    assert answer.status == 200 and answer.elapsed < 3
    await harness.settle()

    [call] = harness.fake.calls_to("views.publish")
    assert call.params["user_id"] == "U0USER"
    shown = texts(harness.fake.homes["U0USER"])
    assert "Your recent headshots" in shown and f"job {job.short_id}" in shown and "✅" in shown
    assert f"Headshot 1 of job {job.short_id}, picked on" in shown
    assert "No headshot limits are set on this bot" in shown
    assert "Studio: Professional, Studio white, Own clothes, 1:1; 1 headshot, standard quality" in shown
    assert "Brand kit" not in shown  # not an admin


async def test_an_admin_also_sees_the_workspaces_kit_and_retention(harness: SlackHarness) -> None:
    await set_kit(harness, style=["executive"])
    await harness.event(opened())
    await harness.settle()
    shown = texts(harness.fake.homes["U0USER"])
    assert "Brand kit: Styles: Executive" in shown
    assert "Kept: photos 24 hours after their job ends, results 30 days" in shown


async def test_a_storm_of_openings_publishes_once_or_twice_and_shows_the_latest(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", real_name="Ada")
    answers = await asyncio.gather(*(harness.event(opened()) for _ in range(20)))
    assert all(a.status == 200 for a in answers)
    await harness.settle()
    publishes = harness.fake.calls_to("views.publish")
    assert 1 <= len(publishes) <= 2
    assert "No jobs yet" in texts(harness.fake.homes["U0USER"])

    await harness.event(opened(user="U0OTHER"))  # someone else is not held back by it
    await harness.settle()
    assert "U0OTHER" in harness.fake.homes


async def test_opening_the_messages_tab_publishes_nothing(harness: SlackHarness) -> None:
    await harness.event(opened(tab="messages"))
    await harness.settle()
    assert harness.fake.calls_to("views.publish") == []
