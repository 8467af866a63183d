"""Signed HTTP requests, fast acknowledgements, and the `/headshot` modal."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

from aiohttp import web

from adapters.slack.modals import FILE_TYPES
from bot.wiring.app import build_core, slack_adapter
from tests.conftest import make_settings
from tests.consent import agree, slack_people
from tests.slack.conftest import SlackHarness, payload, wait_for
from tests.slack.fake_slack import APP_TOKEN, TOKEN, FakeSlack


async def test_a_bad_signature_is_refused_and_nothing_happens(harness: SlackHarness) -> None:
    answer = await harness.command(secret="not-the-signing-secret")
    assert answer.status == 401
    await harness.settle()
    assert harness.fake.calls == []


async def test_a_stale_timestamp_is_refused_even_when_correctly_signed(harness: SlackHarness) -> None:
    answer = await harness.command(timestamp=int(time.time()) - 10 * 60)
    assert answer.status == 401
    await harness.settle()
    assert harness.fake.calls == []


async def test_headshot_opens_the_modal_with_upload_and_providers(harness: SlackHarness) -> None:
    answer = await harness.command("")
    assert answer.status == 200 and answer.elapsed < 3
    await wait_for(lambda: harness.fake.calls_to("views.open"))
    call = harness.fake.calls_to("views.open")[0]
    assert call.params["trigger_id"].startswith("5563417925730.")
    view = call.params["view"]
    blocks = {block["block_id"]: block for block in view["blocks"]}
    upload = blocks["photos"]["element"]
    assert upload["type"] == "file_input" and upload["action_id"] == "photos"
    assert upload["max_files"] == 10 and upload["filetypes"] == FILE_TYPES
    providers = blocks["provider"]["element"]
    assert [o["value"] for o in providers["options"]] == [p.name for p in harness.core.service.providers]
    studio = next(o for o in providers["options"] if o["value"] == "studio")
    assert studio["description"]["text"] == str(harness.core.service.capabilities("studio").description)  # type: ignore[union-attr]
    assert {"style", "background", "attire", "count", "quality", "aspect_ratio", "prompt"} <= set(blocks)
    assert blocks["prompt"]["optional"] is True
    assert blocks["aspect_ratio"]["element"]["initial_option"]["value"] == "1:1"
    assert '"channel":"C0GENERAL"' in view["private_metadata"]


async def test_help_and_unknown_subcommands_answer_with_usage(harness: SlackHarness) -> None:
    helped = await harness.command("help")
    # A plain-text acknowledgement is shown to the user alone (ephemeral).
    assert helped.status == 200 and "/headshot status" in helped.text
    unknown = await harness.command("dance")
    assert "I don't know `/headshot dance`" in unknown.text and "/headshot forget" in unknown.text
    await harness.settle()
    assert harness.fake.calls_to("views.open") == []


async def test_socket_mode_connects_and_handles_a_command_without_any_route(tmp_path: Path, fake: FakeSlack) -> None:
    settings = make_settings(tmp_path, slack_bot_token=TOKEN, slack_app_token=APP_TOKEN,
                             slack_api_base_url=f"{fake.url}/api/")
    core = await build_core(settings)
    adapter = slack_adapter(settings, core)
    await agree(core, *slack_people())
    app = web.Application()
    adapter.install_routes(app)
    assert not any(r.resource and r.resource.canonical == "/slack/events" for r in app.router.routes())
    try:
        await adapter.start()
        await wait_for(lambda: fake.socket_connected)
        command = payload("slash_command") | {"response_url": f"{fake.url}/response/1"}
        await fake.push({"envelope_id": "e-1", "type": "slash_commands", "accepts_response_payload": True,
                         "payload": command})
        await wait_for(lambda: fake.socket_acks and fake.calls_to("views.open"))
        assert fake.socket_acks[0]["envelope_id"] == "e-1"
        assert fake.calls_to("views.open")[0].params["view"]["callback_id"] == "headshot_request"
    finally:
        await adapter.stop()
        await core.close()
    assert not fake.socket_connected


DEEP = "[" * 100_000 + "]" * 100_000


async def test_an_unsigned_request_is_refused_before_its_body_is_parsed(harness: SlackHarness) -> None:
    deep_json = await harness.send(DEEP, "application/json", secret="not-the-signing-secret")
    deep_form = await harness.send(f"payload={DEEP}", "application/x-www-form-urlencoded", secret="wrong")
    bogus = await harness.send('{"type": "event_callback"}', "application/json; charset=x-bogus", secret="wrong")
    assert [deep_json.status, deep_form.status, bogus.status] == [401, 401, 401]
    await harness.settle()
    assert harness.fake.calls == []


async def test_a_signed_but_malformed_body_gets_a_4xx(harness: SlackHarness) -> None:
    deep = await harness.send(f"payload={DEEP}", "application/x-www-form-urlencoded")
    not_utf8 = await harness.send("payload=%7B%7D", "application/x-www-form-urlencoded; charset=x-bogus")
    no_actions = await harness.interact({"type": "block_actions", "actions": [], "user": {"id": "U0USER"}})
    assert deep.status == 400 and no_actions.status in (400, 404)
    assert not_utf8.status < 500


async def test_a_signed_request_with_a_bogus_charset_is_read_as_utf8(harness: SlackHarness) -> None:
    answer = await harness.send(
        urllib.parse.urlencode(payload("slash_command") | {"text": "help"}),
        "application/x-www-form-urlencoded; charset=x-bogus",
    )
    assert answer.status == 200 and "/headshot status" in answer.text
