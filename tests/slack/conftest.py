"""The real Bolt app and slack_sdk client, on the real web server, against a fake Slack."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from adapters.slack import SlackAdapter
from bot.ports import Provider
from bot.wiring.app import Core, build_core, slack_adapter
from tests.conftest import make_settings
from tests.consent import agree, slack_people
from tests.doubles import ScriptedProvider
from tests.slack.fake_slack import TOKEN, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict[str, Any]:
    """A recorded Slack payload from `payloads/`, fresh for each use; a submitted view gets an id of
    its own, as every modal Slack opens has one (the same id and hash twice is a replay)."""
    data = cast(dict[str, Any], json.loads((PAYLOADS / f"{name}.json").read_text()))
    if isinstance(data.get("view"), dict) and "id" in data["view"]:
        data["view"]["id"] = f"V0{uuid.uuid4().hex[:10].upper()}"
    return data


@cache
def portrait_jpeg() -> bytes:
    """A real portrait photo (scikit-image's astronaut) as JPEG bytes."""
    try:
        from tests.images import astronaut_jpeg  # type: ignore[import-not-found]

        return cast(bytes, astronaut_jpeg())
    except ImportError:
        from skimage import data

        out = io.BytesIO()
        Image.fromarray(data.astronaut()).save(out, "JPEG", quality=90)
        return out.getvalue()


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Answer:
    """Our server's answer to a Slack request."""

    status: int
    text: str
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass
class SlackHarness:
    """A running bot with Slack in HTTP mode, and ways to act like Slack towards it."""

    fake: FakeSlack
    core: Core
    adapter: SlackAdapter
    url: str
    http: aiohttp.ClientSession
    scripted: ScriptedProvider

    async def send(self, body: str, content_type: str, *, timestamp: int | None = None,
                   secret: str = SECRET) -> Answer:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(secret, stamp, body),
        }
        started = time.monotonic()
        async with self.http.post(f"{self.url}/slack/events", data=body.encode(), headers=headers) as response:
            return Answer(response.status, await response.text(), time.monotonic() - started)

    async def command(self, text: str = "", *, timestamp: int | None = None, secret: str = SECRET) -> Answer:
        form = payload("slash_command") | {"text": text, "response_url": f"{self.fake.url}/response/1"}
        body = urllib.parse.urlencode(form)
        return await self.send(body, "application/x-www-form-urlencoded", timestamp=timestamp, secret=secret)

    async def interact(self, body: dict[str, Any]) -> Answer:
        form = urllib.parse.urlencode({"payload": json.dumps(body)})
        return await self.send(form, "application/x-www-form-urlencoded")

    async def event(self, body: dict[str, Any]) -> Answer:
        return await self.send(json.dumps(body), "application/json")

    async def settle(self) -> None:
        """Let every listener, background task and job run to the end."""
        for _ in range(3):
            await asyncio.sleep(0.05)
            await self.adapter.idle()
            await self.core.runner.run_until_idle()
            await self.adapter.idle()

    def submission(self, files: list[dict[str, Any]], provider: str = "studio", *,
                   metadata: dict[str, Any] | None = None, **options: str) -> dict[str, Any]:
        """A view_submission of the request modal with these files and options."""
        body = payload("view_submission")
        values = body["view"]["state"]["values"]
        values["photos"]["photos"]["files"] = files
        values["provider"]["provider"]["selected_option"]["value"] = provider
        for name, value in options.items():
            values[name][name]["selected_option"]["value"] = value
        if metadata is not None:
            body["view"]["private_metadata"] = json.dumps(metadata)
            del values["photos"]
        return body


async def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll until `condition()` is truthy."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    from tests.servers import running

    slack = FakeSlack()
    async with running(slack.app()) as url:
        slack.url = url
        yield slack


@pytest.fixture
def extra_providers() -> dict[str, Provider]:
    """Providers a test module runs beside the scripted one (override it in the module)."""
    return {}


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Settings a test module adds (override it in the module)."""
    return {}


@asynccontextmanager
async def slack_bot(
    tmp_path: Path, fake: FakeSlack, providers: dict[str, Provider] | None = None, *, consented: bool = True,
    **settings: Any,
) -> AsyncIterator[SlackHarness]:
    """A bot with Slack over HTTP on the data in `tmp_path` (a second one on the same data is a restart);
    keyword arguments go to Settings. With `consented`, the tests' users have agreed to the consent
    question already."""
    from tests.servers import running

    config = make_settings(
        tmp_path, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_base_url=f"{fake.url}/api/",
        **settings,
    )
    scripted = ScriptedProvider()
    core = await build_core(config, providers={"scripted": scripted, **(providers or {})})
    adapter = slack_adapter(config, core)
    if consented:
        await agree(core, *slack_people())
    app: web.Application = core.web_app([adapter.install_routes])
    try:
        async with running(app) as url, aiohttp.ClientSession() as http:
            await adapter.start()
            try:
                yield SlackHarness(fake, core, adapter, url, http, scripted)
            finally:
                await adapter.stop()
    finally:
        await core.close()


@pytest.fixture
async def harness(
    tmp_path: Path, fake: FakeSlack, extra_providers: dict[str, Provider], extra_settings: dict[str, Any]
) -> AsyncIterator[SlackHarness]:
    async with slack_bot(tmp_path, fake, extra_providers, **extra_settings) as bot:
        yield bot

