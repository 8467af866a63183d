"""Each Slack user in their own language: users.info(include_locale) asked once, modal, status, answers."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.conftest import SlackHarness, portrait_jpeg, wait_for
from tests.slack.test_slack_commands import settings_submission

CHANNEL = "C0GENERAL"


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b["block_id"] == block_id)


async def open_modal(harness: SlackHarness, text: str = "") -> dict[str, Any]:
    before = len(harness.fake.calls_to("views.open"))
    await harness.command(text)
    await wait_for(lambda: len(harness.fake.calls_to("views.open")) > before)
    view: dict[str, Any] = harness.fake.calls_to("views.open")[-1].params["view"]
    return view


def submitted(harness: SlackHarness, view: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    """The request modal as Slack sends it back: with the view's own metadata."""
    body = harness.submission(files, "scripted")
    body["view"]["private_metadata"] = view["private_metadata"]
    return body


async def test_a_german_user_gets_a_german_modal_status_and_answers_with_one_users_info(
    harness: SlackHarness,
) -> None:
    fake = harness.fake
    fake.locales["U0USER"] = "de-DE"
    view = await open_modal(harness)
    assert view["title"]["text"] == "Porträts erstellen" and view["submit"]["text"] == "Porträts erstellen"
    background = block(view, "background")
    assert background["label"]["text"] == "Hintergrund"
    options = {o["value"]: o["text"]["text"] for o in background["element"]["options"]}
    assert options["studio_white"] == "Studio weiß" and options["office"] == "Büro"  # values stay the same
    assert block(view, "count")["element"]["options"][1]["text"]["text"] == "2 Porträts"
    assert json.loads(view["private_metadata"])["locale"] == "de-DE"

    refused = await harness.interact(submitted(harness, view, []))
    assert refused.json()["errors"]["photos"] == "Bitte hänge mindestens ein Porträtfoto an."

    photo = fake.add_user_file("portrait.jpg", portrait_jpeg())
    assert (await harness.interact(submitted(harness, view, [photo]))).status == 200
    await harness.settle()
    [status] = [m for m in fake.messages[CHANNEL] if "thread_ts" not in m]
    assert status["text"].startswith("✅ 1 Porträt mit Scripted (Professionell, Studio weiß, 1:1)")
    assert "— fertig: 1 im Thread" in status["text"]
    replies = fake.thread(CHANNEL, status["ts"])[1:]
    assert replies[0]["text"].startswith("Porträt 1 von 1")

    await harness.command("status")
    await wait_for(lambda: fake.responses)
    listing = fake.responses[-1]["text"]
    assert "fertig: 1 Porträt" in listing and "angefragt" in listing and "Studio weiß" in listing

    settings = await open_modal(harness, "settings")
    assert settings["title"]["text"] == "Porträt-Einstellungen"
    await harness.interact(settings_submission(settings, style="executive", provider="scripted"))
    await harness.settle()
    saved = fake.ephemerals[-1]["text"]
    assert saved.startswith("Deine Standardwerte sind gespeichert: Scripted, Führungskraft, Studio weiß")
    assert "executive" not in saved and "studio_white" not in saved

    asked = fake.calls_to("users.info")
    assert len(asked) == 1, "the language is asked once and kept"
    assert asked[0].params["user"] == "U0USER" and asked[0].params["include_locale"] in (True, "true", "1")


async def test_help_in_japanese_and_english_for_whoever_has_no_catalog(harness: SlackHarness) -> None:
    harness.fake.locales["U0USER"] = "ja-JP"
    helped = await harness.command("help")
    assert helped.text.startswith("*Headshots* はポートレート写真から")
    assert "`/headshot status`" in helped.text  # commands and options stay what people type


async def test_a_user_slack_cannot_tell_the_language_of_reads_english(harness: SlackHarness) -> None:
    harness.fake.errors["users.info"] = "missing_scope"
    view = await open_modal(harness)
    assert view["title"]["text"] == "Make headshots"
    assert block(view, "background")["element"]["options"][0]["text"]["text"] == "Studio white"
