"""The brand kit on Slack: set by admins in `/headshot admin`, held to by the modal, mentions and buttons."""

from __future__ import annotations

import json
from typing import Any

from bot.brand_kit import BrandKit
from bot.workspace_retention import KeepFor
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg
from tests.slack.test_slack_follow_ups import delivered, elements, press
from tests.slack.test_slack_mentions import TS, mention

CHANNEL = "C0GENERAL"
WORKSPACE = "slack:T0TEAM"
OWNER = "slack:T0TEAM:U0USER"


def admin_submission(
    view: dict[str, Any],
    *,
    lock: bool = False,
    user: str = "U0USER",
    photos: str | None = None,
    results: str | None = None,
    **allowed: list[str],
) -> dict:
    """The admin modal as Slack sends it back with these values picked (and keeps typed)."""
    body = payload("view_submission")
    body["user"]["id"] = user
    values: dict[str, Any] = {}
    for name in ("style", "background", "attire", "aspect_ratio"):
        picked = [{"text": {"type": "plain_text", "text": v}, "value": v} for v in allowed.get(name, [])]
        values[f"kit_{name}"] = {name: {"type": "multi_static_select", "selected_options": picked}}
    values["kit_lock"] = {"kit_lock": {"type": "checkboxes", "selected_options": [{"value": "lock"}] if lock else []}}
    values["keep_photos"] = {"keep_photos": {"type": "plain_text_input", "value": photos}}
    values["keep_results"] = {"keep_results": {"type": "plain_text_input", "value": results}}
    body["view"] = {
        **body["view"],
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
        "state": {"values": values},
    }
    return body


def opened_views(harness: SlackHarness) -> list[dict[str, Any]]:
    return [
        c.params["view"] if isinstance(c.params["view"], dict) else json.loads(c.params["view"])
        for c in harness.fake.calls_to("views.open")
    ]


def select_values(view: dict[str, Any], block: str) -> list[str]:
    [found] = [b for b in view["blocks"] if b.get("block_id") == block]
    return [o["value"] for o in found["element"]["options"]]


async def set_kit(harness: SlackHarness, **allowed: list[str]) -> None:
    """An admin opens `/headshot admin` and saves these values."""
    harness.fake.add_user("U0USER", real_name="Ada Admin", admin=True)
    await harness.command("admin")
    await harness.settle()
    view = opened_views(harness)[-1]
    answer = await harness.interact(admin_submission(view, **allowed))
    assert answer.status == 200 and answer.text == ""
    await harness.settle()


async def test_someone_who_is_not_an_admin_gets_one_sentence_and_no_modal(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", real_name="Ada")
    answer = await harness.command("admin")
    assert answer.status == 200
    await harness.settle()
    assert opened_views(harness) == []
    [told] = harness.fake.responses
    assert told["text"] == "Only this workspace's admins can change its headshot settings."
    assert told["response_type"] == "ephemeral"
    asked = harness.fake.calls_to("users.info")  # the person's language, and whether they are an admin
    assert asked and {call.params["user"] for call in asked} == {"U0USER"}


async def test_an_owner_counts_as_an_admin_and_saves_the_kit(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", real_name="Ada", owner=True)
    await harness.command("admin")
    await harness.settle()
    [view] = opened_views(harness)
    assert view["callback_id"] == "headshot_admin"
    assert select_values(view, "kit_background")[:2] == ["studio_white", "studio_gray"]
    await harness.interact(admin_submission(view, style=["executive", "professional"], background=["office"]))
    await harness.settle()

    kit = await harness.core.store.brand_kit(WORKSPACE)
    assert kit == BrandKit(style=("professional", "executive"), background=("office",))
    [told] = harness.fake.ephemerals
    assert (
        told["text"] == "Saved. Headshots in this workspace now follow: Styles: Professional, Executive; "
        "Backgrounds: Office. It keeps photos 24 hours after their job ends, results 30 days."
    )
    asked = len(harness.fake.calls_to("users.info"))
    await harness.command("admin")  # the next opening shows the kit as it is
    await harness.settle()
    again = opened_views(harness)[-1]
    [styles] = [b for b in again["blocks"] if b.get("block_id") == "kit_style"]
    assert [o["value"] for o in styles["element"]["initial_options"]] == ["professional", "executive"]
    assert len(harness.fake.calls_to("users.info")) == asked  # asked once, then remembered


async def test_a_lock_needs_exactly_one_value_of_each(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", admin=True)
    await harness.command("admin")
    await harness.settle()
    [view] = opened_views(harness)
    answer = await harness.interact(admin_submission(view, lock=True, style=["executive", "casual"]))
    assert answer.json()["response_action"] == "errors"
    assert "exactly one value of each" in answer.json()["errors"]["kit_style"]
    assert await harness.core.store.brand_kit(WORKSPACE) is None


async def test_a_submission_by_someone_no_longer_an_admin_changes_nothing(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", admin=True)
    await harness.command("admin")
    await harness.settle()
    [view] = opened_views(harness)
    harness.fake.add_user("U0MALLORY")
    await harness.interact(admin_submission(view, user="U0MALLORY", style=["casual"]))
    await harness.settle()
    assert await harness.core.store.brand_kit(WORKSPACE) is None
    [told] = harness.fake.ephemerals
    assert told["user"] == "U0MALLORY"
    assert told["text"] == "Only this workspace's admins can change its headshot settings."


async def test_the_request_modal_and_settings_show_only_the_kit(harness: SlackHarness) -> None:
    await set_kit(harness, style=["executive", "editorial"], background=["office"])
    await harness.command("")
    await harness.command("settings")
    await harness.settle()
    request, settings = opened_views(harness)[-2:]
    for view in (request, settings):
        assert select_values(view, "style") == ["executive", "editorial"]
        assert select_values(view, "background") == ["office"]
        assert len(select_values(view, "attire")) == 6  # the kit leaves attire free
        [style] = [b for b in view["blocks"] if b["block_id"] == "style"]
        assert style["element"]["initial_option"]["value"] == "executive"  # the default moved into the kit


async def test_a_modal_submission_outside_the_kit_is_refused_on_its_field(harness: SlackHarness) -> None:
    await set_kit(harness, style=["executive"])
    photo = harness.fake.add_user_file("portrait.jpg", portrait_jpeg())
    answer = await harness.interact(harness.submission([photo], "studio", style="casual"))
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"style": "This workspace's brand kit allows these styles: Executive."},
    }
    await harness.settle()
    assert await harness.core.store.jobs_for_owner(OWNER) == []


async def test_a_mention_outside_the_kit_is_refused_in_its_thread(harness: SlackHarness) -> None:
    await set_kit(harness, background=["office", "outdoor"])
    photo = harness.fake.add_user_file("me.jpg", portrait_jpeg())
    await harness.event(mention(harness, "<@U0BOT> executive abstract", [photo]))
    await harness.settle()
    [reply] = harness.fake.thread(CHANNEL, TS)
    assert reply["text"] == "This workspace's brand kit allows these backgrounds: Office, Outdoors."
    assert await harness.core.store.jobs_for_owner(OWNER) == []


async def test_a_mention_that_names_nothing_gets_the_kits_look(harness: SlackHarness) -> None:
    await set_kit(harness, style=["executive"], background=["office"], attire=["business_formal"], aspect_ratio=["3:4"])
    photo = harness.fake.add_user_file("me.jpg", portrait_jpeg())
    await harness.event(mention(harness, "<@U0BOT> studio", [photo]))
    await harness.settle()
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    options = job.options.to_dict()
    assert (options["style"], options["background"], options["attire"], options["aspect_ratio"]) == (
        "executive",
        "office",
        "business_formal",
        "3:4",
    )


async def test_another_style_offers_only_the_kits_styles(harness: SlackHarness) -> None:
    await set_kit(harness, style=["executive", "friendly", "editorial"])
    status = await delivered(harness)  # in the executive style
    menu = elements(status)["headshot_style"]
    assert [o["value"].split(":")[1] for o in menu["options"]] == ["friendly", "editorial"]


async def test_a_style_pressed_outside_a_changed_kit_is_refused(harness: SlackHarness) -> None:
    status = await delivered(harness)
    await set_kit(harness, style=["executive"])
    await harness.interact(press(harness, status, style="casual"))
    await harness.settle()
    [told] = [r for r in harness.fake.responses if r.get("replace_original") is False]
    assert told["text"] == "This workspace's brand kit allows these styles: Executive."
    assert len(await harness.core.store.jobs_for_owner(OWNER)) == 1


async def test_an_admin_shortens_how_long_photos_and_results_are_kept(harness: SlackHarness) -> None:
    harness.fake.add_user("U0USER", admin=True)
    await harness.command("admin")
    await harness.settle()
    [view] = opened_views(harness)
    [photos] = [b for b in view["blocks"] if b.get("block_id") == "keep_photos"]
    assert photos["hint"]["text"] == "At most 24 hours; leave empty for that."
    answer = await harness.interact(admin_submission(view, photos="48", results="forever"))
    assert answer.json()["errors"] == {
        "keep_photos": "Photos can be kept from 0 up to 24 hours after their job ends on this bot.",
        "keep_results": "“forever” is not a number.",
    }
    answer = await harness.interact(admin_submission(view, photos="2", results="7,5"))
    assert answer.status == 200 and answer.text == ""
    await harness.settle()
    assert await harness.core.store.workspace_keep(WORKSPACE) == KeepFor(2, 7.5)
    [told] = harness.fake.ephemerals
    assert told["text"].endswith("It keeps photos 2 hours after their job ends, results 7.5 days.")
    await harness.command("admin")
    await harness.settle()
    again = opened_views(harness)[-1]
    [photos] = [b for b in again["blocks"] if b.get("block_id") == "keep_photos"]
    assert photos["element"]["initial_value"] == "2"
