"""Set as my Slack photo: the first press asks for permission, a browser gives it once through Slack's
OAuth with a user scope, and the next press sets a face-centred square with `users.setPhoto`.

The bot runs in single-workspace mode (a bot token) with SLACK_CLIENT_ID/SECRET for this feature
alone, at a PUBLIC_BASE_URL that is its own loopback address, so a browser can follow every redirect.
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from PIL import Image

from bot.ports import Generated, ResultImage
from bot.profile_photo import profile_square
from bot.providers.studio.face import find_face
from bot.wiring.app import build_core, slack_adapter
from tests.conftest import make_settings
from tests.consent import agree, slack_people
from tests.doubles import ScriptedProvider
from tests.images import wide_result_jpeg
from tests.slack.conftest import SECRET, SlackHarness, payload, portrait_jpeg
from tests.slack.fake_slack import CLIENT_ID, CLIENT_SECRET, TEAM, TOKEN, FakeSlack

KEY = "4f1e9a7c3b2d48e6a0f5c1d7b9e3a2f4-test-only"
CHANNEL, USER, OWNER = "C0GENERAL", "U0USER", f"slack:{TEAM}:U0USER"


@asynccontextmanager
async def photo_bot(tmp_path: Path, fake: FakeSlack, **settings: Any) -> AsyncIterator[SlackHarness]:
    """The bot with a bot token and the client credentials, serving at its own PUBLIC_BASE_URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN, "slack_signing_secret": SECRET, "slack_api_base_url": f"{fake.url}/api/",
        "slack_client_id": CLIENT_ID, "slack_client_secret": CLIENT_SECRET, "secret_key": KEY,
        "public_base_url": url, "slack_oauth_base_url": f"{fake.url}/oauth/v2/authorize", **settings,
    }
    config = make_settings(tmp_path, **values)
    scripted = ScriptedProvider()
    core = await build_core(config, providers={"scripted": scripted})
    await agree(core, *slack_people())  # the people here have answered the consent question
    adapter = slack_adapter(config, core)
    runner = web.AppRunner(core.web_app([adapter.install_routes]), access_log=None)
    await runner.setup()
    await web.SockSite(runner, listening).start()
    try:
        async with aiohttp.ClientSession() as http:
            await adapter.start()
            try:
                yield SlackHarness(fake, core, adapter, url, http, scripted)
            finally:
                await adapter.stop()
    finally:
        await runner.cleanup()
        await core.close()


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[SlackHarness]:
    async with photo_bot(tmp_path, fake) as harness:
        yield harness


def pick_elements(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The status message's picks by `action_id`."""
    return {e["action_id"]: e for block in message.get("blocks", []) if block.get("block_id") == "headshot_picks"
            for e in block["elements"]}


async def delivered(h: SlackHarness) -> dict[str, Any]:
    """One job delivering the wide headshot; its status message."""
    h.scripted.script.append(Generated(images=[ResultImage(data=wide_result_jpeg())], remote_id="run-1"))
    photo = h.fake.add_user_file("portrait.jpg", portrait_jpeg())
    await h.interact(h.submission([photo], "scripted"))
    await h.settle()
    [status] = [m for m in h.fake.messages[CHANNEL] if "thread_ts" not in m]
    assert status["text"].startswith("✅")
    return status


async def press(h: SlackHarness, status: dict[str, Any], action_id: str, user: str = USER) -> dict[str, Any]:
    """`user` presses a pick on the status message; the ephemeral answer they got."""
    body = payload("block_actions_button")
    body["user"] = {**body["user"], "id": user}
    body["container"] = {**body["container"], "message_ts": status["ts"]}
    body["message"] = status
    body["response_url"] = f"{h.fake.url}/response/{len(h.fake.responses) + 1}"
    element = pick_elements(status)[action_id]
    body["actions"] = [{"action_id": action_id, "block_id": "headshot_picks", "type": "button",
                        "value": element["value"], "text": element["text"], "action_ts": "1700000100.1"}]
    answered = len(h.fake.responses)
    assert (await h.interact(body)).status == 200
    await h.settle()
    [reply] = h.fake.responses[answered:]
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    return reply


async def authorise(h: SlackHarness, link: str) -> str:
    """A browser opening the link and following every redirect (Slack's page allows at once)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser, \
            browser.get(link) as response:
        assert response.status == 200
        return await response.text()


def link_in(reply: dict[str, Any]) -> str:
    text = reply["text"]
    return text[text.index("<") + 1: text.index("|")]


def user_token(fake: FakeSlack) -> str:
    [token] = [t for t, person in fake.user_tokens.items() if person == (TEAM, USER)
               and t not in fake.revoked_user_tokens]
    return token


async def test_the_first_press_asks_once_then_the_photo_is_a_face_centred_square(
    bot: SlackHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status = await delivered(bot)
    assert pick_elements(status)["headshot_photo_1"]["text"]["text"] == "Set as my Slack photo"
    asked = await press(bot, status, "headshot_photo_1")
    link = link_in(asked)
    assert link == f"{bot.url}/slack/user-auth?team={TEAM}" and bot.fake.photos == {}

    page = await authorise(bot, link)
    assert "can now set your Slack photo" in page
    [authorized] = bot.fake.authorizations
    assert authorized["user_scope"] == "users.profile:write" and "scope" not in authorized
    assert authorized["client_id"] == CLIENT_ID and authorized["redirect_uri"] == f"{bot.url}/slack/user-auth/callback"

    done = await press(bot, status, "headshot_photo_1")
    assert done["text"].startswith("✅ Your Slack photo is now headshot #1")
    image_block = done["blocks"][1]
    assert image_block["type"] == "image" and image_block["image_url"].startswith(f"{bot.url}/g/")
    photo = bot.fake.photos[(TEAM, USER)]
    assert photo["image"] == profile_square(wide_result_jpeg())  # the right bytes
    side = photo["size"][0]
    assert photo["size"] == (side, side) and 512 <= side <= 1024
    assert (photo["crop_x"], photo["crop_y"], photo["crop_w"]) == ("0", "0", str(side))
    face = find_face(np.asarray(Image.open(io.BytesIO(photo["image"])).convert("RGB")))
    assert face is not None and abs(face.center_x - side / 2) < side * 0.08  # around the face, not the centre
    [call] = bot.fake.calls_to("users.setPhoto")
    token = user_token(bot.fake)
    assert call.token == token  # the person's own token, never the bot's

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("headshot-bot.db*"))
    assert token.encode() not in stored and await bot.core.store.user_credential(OWNER) is not None
    answers = " ".join(str(r) for r in bot.fake.responses)
    assert token not in caplog.text and token not in answers and token not in page


async def test_someone_elses_press_sets_nothing(bot: SlackHarness) -> None:
    status = await delivered(bot)
    await authorise(bot, link_in(await press(bot, status, "headshot_photo_1")))
    refused = await press(bot, status, "headshot_photo_1", user="U0EVE")
    assert refused["text"] == "Only the person who asked for these headshots can pick among them."
    assert bot.fake.calls_to("users.setPhoto") == [] and bot.fake.photos == {}


async def test_a_revoked_token_is_deleted_and_the_person_asked_again(bot: SlackHarness) -> None:
    status = await delivered(bot)
    await authorise(bot, link_in(await press(bot, status, "headshot_photo_1")))
    bot.fake.revoke_user_tokens(TEAM, USER)
    again = await press(bot, status, "headshot_photo_1")
    assert "no longer accepts" in again["text"] and link_in(again).endswith(f"/slack/user-auth?team={TEAM}")
    assert await bot.core.store.user_credential(OWNER) is None
    await authorise(bot, link_in(again))
    assert (await press(bot, status, "headshot_photo_1"))["text"].startswith("✅")


@pytest.mark.parametrize(("error", "says"), [
    ("too_large", "too large"), ("bad_image", "could not read"), ("ratelimited", "try again in a minute"),
    ("user_not_found", "“user_not_found”"),
])
async def test_slacks_refusals_are_sentences(bot: SlackHarness, error: str, says: str) -> None:
    status = await delivered(bot)
    await authorise(bot, link_in(await press(bot, status, "headshot_photo_1")))
    bot.fake.errors["users.setPhoto"] = error
    refused = await press(bot, status, "headshot_photo_1")
    assert says in refused["text"] and await bot.core.store.user_credential(OWNER) is not None


async def test_forget_uninstall_and_revocation_delete_the_token(bot: SlackHarness) -> None:
    status = await delivered(bot)
    link = link_in(await press(bot, status, "headshot_photo_1"))
    await authorise(bot, link)
    await bot.command("forget")
    await bot.settle()
    assert await bot.core.store.user_credential(OWNER) is None

    for event in ({"type": "tokens_revoked", "tokens": {"oauth": [USER], "bot": []}}, {"type": "app_uninstalled"}):
        await authorise(bot, link)
        assert await bot.core.store.user_credential(OWNER) is not None
        envelope = {"token": "legacy", "team_id": TEAM, "api_app_id": "A0HEADSHOT", "type": "event_callback",
                    "event": {**event, "event_ts": "1700000000.1"}, "event_id": f"Ev{event['type']}",
                    "event_time": 1700000000}
        assert (await bot.event(envelope)).status == 200
        await bot.settle()
        assert await bot.core.store.user_credential(OWNER) is None


async def test_a_callback_without_its_browser_or_replayed_is_refused_and_calls_nothing(bot: SlackHarness) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{bot.url}/slack/user-auth", allow_redirects=False) as started:
            assert started.status == 302
            authorize = started.headers["Location"]
        async with browser.get(authorize, allow_redirects=False) as slack:
            callback = slack.headers["Location"]
        async with bot.http.get(callback) as stranger:  # another browser: no state cookie
            assert stranger.status == 400 and "not started in this browser" in await stranger.text()
        assert bot.fake.calls_to("oauth.v2.access") == []
        async with browser.get(callback) as finished:
            assert finished.status == 200
        async with browser.get(callback) as replayed:  # the same state again (the cookie is gone too)
            assert replayed.status == 400
    assert len(bot.fake.calls_to("oauth.v2.access")) == 1


async def test_without_client_credentials_no_photo_button_is_offered(tmp_path: Path, fake: FakeSlack) -> None:
    async with photo_bot(tmp_path, fake, slack_client_id=None, slack_client_secret=None) as h:
        status = await delivered(h)
        assert set(pick_elements(status)) == {"headshot_favourite_1"}
        async with h.http.get(f"{h.url}/slack/user-auth", allow_redirects=False) as response:
            assert response.status == 404
