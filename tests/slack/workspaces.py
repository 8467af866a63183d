"""The bot in OAuth mode, installed into several workspaces of the fake Slack by the real browser flow."""

from __future__ import annotations

import html
import re
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.ports import Submitted
from bot.wiring.app import build_core, slack_adapter
from tests.conftest import make_settings
from tests.consent import agree, slack_people
from tests.doubles import ScriptedProvider
from tests.servers import running
from tests.slack.conftest import SECRET, SlackHarness, payload
from tests.slack.fake_slack import CLIENT_ID, CLIENT_SECRET, FakeSlack

KEY = "9c1f0e3a7b5d42e8a6f1c0d9b8e7a6f5-test-only"
ALPHA, BRAVO = "T0ALPHA", "T0BRAVO"
CHANNEL = {ALPHA: "C0ALPHA", BRAVO: "C0BRAVO"}
USER = {ALPHA: "U0ADA", BRAVO: "U0BOB"}
CALLBACK_BASE = "http://bot.invalid"


@dataclass
class Installed:
    """What the browser saw at the end of an install attempt."""

    status: int
    page: str


@asynccontextmanager
async def oauth_bot(tmp_path: Path, fake: FakeSlack, *, secret_key: str = KEY) -> AsyncIterator[SlackHarness]:
    """A running bot in OAuth mode on `tmp_path` (start it again on the same path for a restart)."""
    settings = make_settings(
        tmp_path,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SECRET,
        secret_key=secret_key,
        slack_api_base_url=f"{fake.url}/api/",
        slack_oauth_base_url=f"{fake.url}/oauth/v2/authorize",
    )
    scripted = ScriptedProvider()
    scripted.capabilities = replace(scripted.capabilities, asynchronous=True)  # results arrive by callback
    core = await build_core(settings, callback_base=CALLBACK_BASE, providers={"scripted": scripted})
    adapter = slack_adapter(settings, core)
    await agree(core, *slack_people((ALPHA, BRAVO)), *(f"slack:{team}:{USER[team]}" for team in (ALPHA, BRAVO)))
    app: web.Application = core.web_app([adapter.install_routes])
    async with running(app) as url, aiohttp.ClientSession() as http:
        fake.redirect_url = f"{url}/slack/oauth_redirect"  # the app's redirect URL as configured at Slack
        await adapter.start()
        try:
            yield SlackHarness(fake, core, adapter, url, http, scripted)
        finally:
            await adapter.stop()
            await core.close()


async def open_install_page(h: SlackHarness, team: str) -> tuple[str, str]:
    """GET /slack/install: the authorize link on the page and the state cookie it set."""
    async with h.http.get(f"{h.url}/slack/install", params={"team": team}) as response:
        assert response.status == 200
        page = await response.text()
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    found = re.search(r'<a href="([^"]+)"', page)
    assert found is not None
    return html.unescape(found.group(1)), cookie


async def follow(h: SlackHarness, redirect: str, cookie: str | None) -> Installed:
    """The browser arriving back at our redirect URL (with its cookie, when it has one)."""
    headers = {"Cookie": cookie} if cookie else {}
    async with h.http.get(redirect, headers=headers, allow_redirects=False) as response:
        return Installed(response.status, await response.text())


async def install(h: SlackHarness, team: str) -> Installed:
    """The whole browser flow: our install page, Slack's authorize page, back to our redirect URL."""
    link, cookie = await open_install_page(h, team)
    async with h.http.get(link, allow_redirects=False) as response:
        assert response.status == 302
        redirect = response.headers["Location"]
    return await follow(h, redirect, cookie)


async def command(h: SlackHarness, team: str, text: str = "") -> None:
    """`/headshot` typed by the workspace's user in its channel."""
    form = payload("slash_command") | {
        "team_id": team, "channel_id": CHANNEL[team], "user_id": USER[team], "text": text,
        "trigger_id": f"trigger-{team}-{time.monotonic_ns()}", "response_url": f"{h.fake.url}/response/{team}",
    }
    answer = await h.send(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
    assert answer.status == 200


async def submit(h: SlackHarness, team: str, provider: str = "studio") -> None:
    """The request modal submitted by the workspace's user with one photo of that workspace."""
    from tests.slack.conftest import portrait_jpeg

    photo = h.fake.add_user_file(f"{team}.jpg", portrait_jpeg(), team=team)
    body: dict[str, Any] = h.submission([photo], provider)
    body["team"]["id"] = body["user"]["team_id"] = body["view"]["team_id"] = team
    body["view"]["app_installed_team_id"] = team
    body["user"]["id"] = USER[team]
    body["view"]["private_metadata"] = f'{{"channel":"{CHANNEL[team]}"}}'
    answer = await h.interact(body)
    assert answer.status == 200


async def mention(h: SlackHarness, team: str) -> None:
    """The workspace's user mentions the bot in its channel with a photo of that workspace."""
    from tests.slack.conftest import portrait_jpeg
    from tests.slack.fake_slack import bot_user

    photo = h.fake.add_user_file(f"{team}-mention.jpg", portrait_jpeg(), team=team)
    body = payload("app_mention")
    body["team_id"] = body["context_team_id"] = body["authorizations"][0]["team_id"] = team
    body["authorizations"][0]["user_id"] = bot_user(team)
    body["event"] |= {"channel": CHANNEL[team], "user": USER[team], "files": [photo],
                      "text": f"<@{bot_user(team)}> executive", "ts": f"{time.time():.6f}"}
    assert (await h.event(body)).status == 200


def event(team: str, inner: dict[str, Any]) -> dict[str, Any]:
    """An Events API envelope from a workspace."""
    return {
        "token": "legacy", "team_id": team, "api_app_id": "A0HEADSHOT", "type": "event_callback",
        "event": {"event_ts": f"{time.time():.6f}", **inner}, "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
    }


def waiting_for_callback(h: SlackHarness) -> Submitted:
    """Script the next provider call to hand the job to a (pretend) asynchronous provider."""
    submitted = Submitted(remote_id=f"remote-{len(h.scripted.calls) + len(h.scripted.script)}")
    h.scripted.script.append(submitted)
    return submitted


def team_of_call(call_params: dict[str, Any]) -> str | None:
    """The workspace a Web API call is about, from the channel it names."""
    channel = call_params.get("channel") or call_params.get("channel_id")
    return next((team for team, named in CHANNEL.items() if named == channel), None)
