"""Bad input never crashes and never gets a 500: every HTTP route and every payload parser, fuzzed."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.providers.agentai_answer import OUTPUT_VARIABLE, Answer, failure_message, header_seconds, parse_images
from bot.providers.runflow_callback import RunflowCallback
from bot.wiring.app import build_core, slack_adapter
from tests.conftest import make_settings
from tests.servers import running
from tests.slack.conftest import payload
from tests.slack.fake_slack import TOKEN, FakeSlack

SECRET = "fuzz-signing-secret-5f1d7a"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
REQUEST_SECONDS = 15.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@dataclass
class LiveServer:
    """The real web app (core, Slack adapter, routes) served from a background event loop."""

    loop: asyncio.AbstractEventLoop
    url: str
    fake_url: str
    http: aiohttp.ClientSession
    data_dir: Path

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """POST from the test's thread; the status code."""
        return self._call(self._post(path, body, headers))

    def get(self, path: str) -> int:
        """GET from the test's thread; the status code."""
        return self._call(self._get(path))

    def health(self) -> Any:
        """`/healthz`'s answer, read from the test's thread."""
        return self._call(self._health())

    def _call(self, work: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(work, self.loop)
        return future.result(timeout=REQUEST_SECONDS)

    async def _health(self) -> Any:
        async with self.http.get(self.url + "/healthz") as answer:
            return await answer.json()

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async with self.http.post(self.url + path, data=body, headers=headers) as answer:
            await answer.read()
            return answer.status

    async def _get(self, path: str) -> int:
        async with self.http.get(self.url + path) as answer:
            await answer.read()
            return answer.status

    def slack(self, body: str, content_type: str) -> int:
        """A Slack request with a valid signature over exactly this body."""
        stamp = str(int(time.time()))
        digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": f"v0={digest}"}
        return self.post("/slack/events", body.encode(), headers)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("fuzz")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-server", daemon=True)
    thread.start()
    ready: Future[LiveServer] = Future()
    stop = asyncio.Event()

    async def serve() -> None:
        fake = FakeSlack()
        async with running(fake.app()) as fake_url:
            fake.url = fake_url
            settings_ = make_settings(root, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                      slack_api_base_url=f"{fake_url}/api/")
            core = await build_core(settings_)
            adapter = slack_adapter(settings_, core)
            app = core.web_app([adapter.install_routes])
            runner_task = asyncio.create_task(core.runner.run())
            try:
                async with running(app) as url, aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS)
                ) as http:
                    ready.set_result(LiveServer(loop, url, fake_url, http, root))
                    await stop.wait()
                    await adapter.stop()
            finally:
                runner_task.cancel()
                await core.close()

    done = asyncio.run_coroutine_threadsafe(serve(), loop)
    try:
        yield ready.result(timeout=30)
    finally:
        loop.call_soon_threadsafe(stop.set)
        done.result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def local(value: Any, fake_url: str) -> Any:
    """A recorded payload with every Slack URL pointed at the fake (no traffic leaves the machine)."""
    text = json.dumps(value)
    for host in ("https://files.slack.com", "https://hooks.slack.com", "https://test.slack.com"):
        text = text.replace(host, fake_url)
    return json.loads(text)


def mutate(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """Keep, drop, replace or recurse into each part of a payload, as hypothesis chooses."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            action = data.draw(st.sampled_from(["keep", "keep", "mutate", "drop", "replace"]))
            if action == "drop":
                continue
            out[key] = data.draw(json_values) if action == "replace" else (
                mutate(data, inner, depth + 1) if action == "mutate" else inner)
        return out
    if isinstance(value, list):
        return [mutate(data, inner, depth + 1) for inner in value[: data.draw(st.integers(0, len(value)))]]
    return data.draw(json_values) if data.draw(st.booleans()) else value


def block_actions() -> dict[str, Any]:
    """A `block_actions` payload (a button or select in one of our messages or modals)."""
    return {"type": "block_actions", "team": {"id": "T0TEAM"}, "user": {"id": "U0USER", "team_id": "T0TEAM"},
            "api_app_id": "A0HEADSHOT", "trigger_id": "1.2.3", "container": {"type": "view", "view_id": "V0"},
            "actions": [{"action_id": "provider", "block_id": "provider", "type": "static_select",
                         "selected_option": {"value": "studio"}, "action_ts": "1700000000.1"}]}


def url_verification() -> dict[str, Any]:
    """The challenge Slack sends when the events URL is saved."""
    return {"type": "url_verification", "token": "x", "challenge": "c4a1"}


INTERACTIVE = [
    "view_submission", "message_action", "block_actions", "settings_submission", "block_actions_button",
    "block_actions_select",
]
EVENTS = ["app_mention", "message_file_share", "url_verification"]


def base_payload(name: str) -> dict[str, Any]:
    """A fresh recorded (or built) payload by name."""
    if name == "block_actions":
        return block_actions()
    if name == "url_verification":
        return url_verification()
    if name == "settings_submission":
        body = payload("view_submission")
        body["view"]["callback_id"] = "headshot_settings"
        return body
    return payload(name)


def truncate(data: st.DataObject, text: str) -> str:
    """Sometimes cut a body short, as a dropped connection or a bad proxy would."""
    if data.draw(st.booleans()):
        return text
    return text[: data.draw(st.integers(0, max(0, len(text) - 1)))]


@FUZZ
@given(data=st.data())
def test_slash_commands_with_malformed_forms_never_get_a_5xx(live: LiveServer, data: st.DataObject) -> None:
    form = {k: v for k, v in payload("slash_command").items() if data.draw(st.booleans())}
    form.update(data.draw(st.dictionaries(st.sampled_from(sorted(payload("slash_command"))), st.text(max_size=30))))
    if data.draw(st.booleans()):
        form["text"] = data.draw(st.sampled_from(["", "help", "status", "settings", "forget", "x" * 5000]))
    form["response_url"] = f"{live.fake_url}/response/1"
    body = truncate(data, urllib.parse.urlencode(form))
    assert live.slack(body, "application/x-www-form-urlencoded") < 500


@FUZZ
@given(data=st.data(), name=st.sampled_from(INTERACTIVE))
def test_interactive_payloads_mangled_never_get_a_5xx(live: LiveServer, data: st.DataObject, name: str) -> None:
    body = mutate(data, local(base_payload(name), live.fake_url))
    text = json.dumps(body) if data.draw(st.booleans()) else json.dumps(data.draw(json_values))
    form = truncate(data, urllib.parse.urlencode({"payload": truncate(data, text)}))
    assert live.slack(form, "application/x-www-form-urlencoded") < 500


@FUZZ
@given(data=st.data(), name=st.sampled_from(EVENTS))
def test_event_callbacks_mangled_never_get_a_5xx(live: LiveServer, data: st.DataObject, name: str) -> None:
    body = local(base_payload(name), live.fake_url)
    text = json.dumps(mutate(data, body))
    content_type = data.draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]))
    assert live.slack(truncate(data, text), content_type) < 500


@FUZZ
@given(token=st.text(min_size=0, max_size=140), body=st.one_of(json_values.map(json.dumps), st.binary(max_size=300)))
def test_the_runflow_webhook_refuses_garbage_without_a_5xx(live: LiveServer, token: str, body: str | bytes) -> None:
    raw = body.encode() if isinstance(body, str) else body
    path = "/webhooks/runflow/" + urllib.parse.quote(token, safe="")
    assert live.post(path, raw, {"Content-Type": "application/json"}) < 500


def test_huge_and_unsigned_requests_are_refused_and_the_server_keeps_answering(live: LiveServer) -> None:
    huge = "payload=" + "x" * (2 * 1024 * 1024)
    assert live.slack(huge, "application/x-www-form-urlencoded") == 413
    assert live.post("/webhooks/runflow/" + "a" * 40, b"{" * (512 * 1024), {"Content-Type": "application/json"}) == 413
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert live.post("/slack/events", b"command=/headshot", unsigned) == 401
    assert live.get("/healthz") == 200


# ---- payload parsers: only their documented error types -----------------------------------


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(json_values.map(json.dumps), st.binary(max_size=200), st.just(b'{"event":1}')))
def test_the_runflow_callback_model_raises_only_validation_errors(body: str | bytes) -> None:
    try:
        parsed = RunflowCallback.model_validate_json(body)
    except ValidationError:
        return
    assert parsed.image_urls and isinstance(parsed.headshots_id, str)


@settings(max_examples=300, deadline=None)
@given(response=json_values, text=st.text(max_size=200), header=st.one_of(st.none(), st.text(max_size=40)))
def test_agentai_answers_are_read_without_raising(response: Any, text: str, header: str | None) -> None:
    images, run_id = parse_images(response)
    assert isinstance(images, list) and (run_id is None or isinstance(run_id, str))
    assert all((image.data is None) != (image.url is None) for image in images)  # exactly one of the two
    if isinstance(response, dict) and "images" in response and OUTPUT_VARIABLE not in response:
        # The same answer nested under the action's output variable, as a JSON string, reads the same.
        assert parse_images(json.dumps({OUTPUT_VARIABLE: response})) == (images, run_id)
    assert isinstance(failure_message(text), str) and isinstance(failure_message(json.dumps(response)), str)
    delay = header_seconds(header)
    assert delay is None or delay >= 0
    try:
        Answer.model_validate_json(json.dumps({"status": response, "response": response}))
    except ValidationError:
        pass


def test_the_fuzzed_server_is_still_healthy(live: LiveServer) -> None:
    assert live.get("/healthz") == 200
    health = live.health()
    assert (health["status"], health["store"]) == ("ok", "ok"), health
    with sqlite3.connect(live.data_dir / "headshot-bot.db") as db:  # what the fuzz wrote left the file sound
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
