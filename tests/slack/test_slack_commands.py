"""`/headshot status`, `/headshot settings` and `/headshot forget`."""

from __future__ import annotations

import json
from typing import Any

from bot.options import AspectRatio, Style
from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload, wait_for

OWNER = "slack:T0TEAM:U0USER"


async def make_one_job(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    await harness.interact(harness.submission([photo], "scripted"))
    await harness.settle()


def settings_submission(view: dict[str, Any], **chosen: str) -> dict[str, Any]:
    """The settings modal as Slack submits it, with some selects changed."""
    body = payload("view_submission")
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block["element"]
        if element["type"] == "static_select":
            selected = chosen.get(block["block_id"], element["initial_option"]["value"])
            values[block["block_id"]] = {block["block_id"]: {
                "type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": selected},
                                                             "value": selected}}}
        else:
            values[block["block_id"]] = {block["block_id"]: {"type": element["type"], "value": None}}
    body["view"].update(callback_id=view["callback_id"], private_metadata=view["private_metadata"],
                        state={"values": values})
    return body


async def test_status_lists_my_jobs(harness: SlackHarness) -> None:
    await harness.command("status")
    await wait_for(lambda: harness.fake.responses)
    assert harness.fake.responses[-1]["text"] == "You have no headshot jobs yet."
    await make_one_job(harness)
    await harness.command("status")
    await wait_for(lambda: len(harness.fake.responses) == 2)
    line = harness.fake.responses[-1]
    assert line["response_type"] == "ephemeral" and "1 headshot with Scripted" in line["text"]
    assert "done: 1 headshot ·" in line["text"] and "(Professional, Studio white, 1:1)" in line["text"]


async def test_settings_are_saved_and_used_as_defaults_next_time(harness: SlackHarness) -> None:
    await harness.command("settings")
    await wait_for(lambda: harness.fake.calls_to("views.open"))
    view = harness.fake.calls_to("views.open")[0].params["view"]
    assert view["callback_id"] == "headshot_settings"
    assert "photos" not in {b["block_id"] for b in view["blocks"]}
    answer = await harness.interact(settings_submission(view, style="executive", aspect_ratio="3:4",
                                                        provider="scripted"))
    assert answer.status == 200 and answer.text == ""
    await harness.settle()
    saved = harness.fake.ephemerals[-1]["text"]
    assert saved.startswith("Saved your defaults: Scripted, Executive, Studio white, Own clothes")
    options, provider = await harness.core.service.defaults(OWNER)
    assert (options.style, options.aspect_ratio, provider) == (Style.EXECUTIVE, AspectRatio.PORTRAIT_3_4, "scripted")

    await harness.command("")
    await wait_for(lambda: len(harness.fake.calls_to("views.open")) == 2)
    modal = harness.fake.calls_to("views.open")[1].params["view"]
    initial = {b["block_id"]: b["element"].get("initial_option", {}).get("value") for b in modal["blocks"]
               if "element" in b}
    assert initial["style"] == "executive" and initial["aspect_ratio"] == "3:4" and initial["provider"] == "scripted"


async def test_forget_deletes_my_jobs_and_settings(harness: SlackHarness) -> None:
    await make_one_job(harness)
    await harness.core.service.save_defaults(OWNER, (await harness.core.service.defaults(OWNER))[0], "scripted")
    await harness.command("forget")
    await wait_for(lambda: harness.fake.responses)
    assert harness.fake.responses[-1]["text"] == "Deleted 1 job, your settings and your consent."
    assert await harness.core.service.recent_jobs(OWNER) == []
    assert (await harness.core.service.defaults(OWNER))[1] == harness.core.service.default_provider


def test_modal_metadata_stays_within_slacks_limit() -> None:
    from adapters.slack.modals import encode_metadata

    files = [{"id": f"F{n:09d}", "name": "x" * 60, "url": "https://files.slack.com/" + "y" * 300} for n in range(10)]
    text = encode_metadata({"channel": "C1", "thread_ts": "1.2", "files": files})
    assert len(text) <= 3000 and "url" not in json.loads(text)["files"][0]
