"""`headshot-bot serve` as a real subprocess, surrounded by fakes of everything outside this machine.

The fakes (Slack, Runflow, agent.ai, a CDN) run in the test's own event loop; the bot runs in a
child process that can be SIGKILLed at a named point and restarted on the same DATA_DIR, which
is the only honest way to test what survives a crash. Every wait has a deadline, and the child
is killed in a `finally` by the fixture that owns it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from storage.sqlite import SqliteJobStore
from tests.consent import DISCORD_OWNER, agree_in_bulk, agree_to_anything, slack_people
from tests.discord.shapes import TOKEN as SAMPLE_DISCORD_TOKEN
from tests.fakes import small_jpeg
from tests.fakes.agentai import FakeAgentAI
from tests.fakes.cdn import FakeCDN
from tests.fakes.runflow import FakeRunflow, Submission
from tests.images import astronaut_jpeg
from tests.servers import running
from tests.slack.conftest import payload, signature
from tests.slack.fake_slack import FakeSlack

REPO = Path(__file__).resolve().parents[2]
CHANNEL = "C0GENERAL"
# Distinctive values, so that a grep for them cannot match anything by accident.
BOT_TOKEN = "xoxb-4417-faultbot-7c1e9a2b44d0f3e1"
SIGNING_SECRET = "sigsec-91c6d8e2f0b4a7c35e11"
RUNFLOW_KEY = "rfkey-3c5d1e2f9a7b8c04d6aa"
AGENTAI_KEY = "aaikey-2a196e5d4c3b7f80e2bb"
SECRETS = {
    "slack bot token": BOT_TOKEN,
    "slack signing secret": SIGNING_SECRET,
    "runflow key": RUNFLOW_KEY,
    "agentai key": AGENTAI_KEY,
}
PACK = 60
# Discord's format (application id in base64, timestamp, HMAC). The first part is public: it is
# the application id, and the invite link carries it. The rest is what must never leak.
DISCORD_TOKEN = SAMPLE_DISCORD_TOKEN.split(".")[0] + ".Gz9QmB.hsfault_q7Vd2pXqR4sLw9eN1cYh3TzAa8u"


def free_port() -> int:
    """A TCP port nobody listens on right now (the bot keeps it across restarts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.05) -> None:
    """Wait until `condition()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(poll)


class CommitThenFailSlack(FakeSlack):
    """A Slack that sometimes does the work and then answers 503, as real outages sometimes do.

    That is the one kind of failure after which a blind retry posts a second copy.
    """

    commit_then_fail: set[str]

    def __init__(self) -> None:
        super().__init__()
        self.commit_then_fail = set()

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        answer = super()._files_completeUploadExternal(p)
        if "files.completeUploadExternal" in self.commit_then_fail and answer.get("ok"):
            self.commit_then_fail.discard("files.completeUploadExternal")
            raise web.HTTPServiceUnavailable(text="upstream request timeout")
        return answer


@dataclass
class Fakes:
    """Everything outside this machine, on loopback ports in the test process."""

    slack: CommitThenFailSlack
    runflow: FakeRunflow
    agentai: FakeAgentAI
    cdn: FakeCDN
    pack: list[bytes] = field(default_factory=list)

    def pack_urls(self, fault: Callable[[int], str | None] = lambda _n: None) -> list[str]:
        """The CDN URLs of a 60-image Runflow pack (served from now on), with optional faults."""
        self.pack = [small_jpeg(n) for n in range(PACK)]
        return [self.cdn.put(f"pack/{n:02d}.jpg", data, fault(n)) for n, data in enumerate(self.pack)]


async def start_fakes(stack: AsyncExitStack) -> Fakes:
    """Start every fake; `stack` stops them."""
    slack = CommitThenFailSlack()
    slack.url = await stack.enter_async_context(running(slack.app()))
    runflow = await stack.enter_async_context(FakeRunflow(RUNFLOW_KEY))
    agentai = await stack.enter_async_context(FakeAgentAI(AGENTAI_KEY))
    cdn = await stack.enter_async_context(FakeCDN())
    return Fakes(slack, runflow, agentai, cdn)  # type: ignore[arg-type]


@dataclass
class Reply:
    """The bot's answer to one request, and how long it took."""

    status: int
    text: str
    elapsed: float

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        return json.loads(self.text) if self.text else None


class BotProcess:
    """`python -m bot.wiring.cli serve` in a child process, on a fixed port and DATA_DIR."""

    def __init__(self, root: Path, fakes: Fakes, http: aiohttp.ClientSession) -> None:
        self.data_dir = root / "data"
        self.logs = root / "logs"  # outside DATA_DIR: the privacy tests read DATA_DIR byte by byte
        self.logs.mkdir(parents=True, exist_ok=True)
        self.fakes = fakes
        self.http = http
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.env_overrides: dict[str, str] = {}

    def env(self, fault: str | None) -> dict[str, str]:
        """The child's whole environment: nothing inherited but what Python needs to start."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.logs),
            "PYTHONPATH": str(REPO),
            "PORT": str(self.port),
            "DATA_DIR": str(self.data_dir),
            "ALLOW_PRIVATE_URLS": "true",
            "DEFAULT_PROVIDER": "studio",
            **self.platform_env(),
            **self.env_overrides,
        }
        if fault:
            env["HEADSHOT_FAULT_POINT"] = fault
        return env

    def platform_env(self) -> dict[str, str]:
        """The chat platform and providers this bot runs with: Slack, Runflow and agent.ai fakes."""
        return {
            "PUBLIC_BASE_URL": self.url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": f"{self.fakes.slack.url}/api/",
            "RUNFLOW_API_KEY": RUNFLOW_KEY,
            "RUNFLOW_BASE_URL": self.fakes.runflow.url,
            "AGENTAI_API_KEY": AGENTAI_KEY,
            "AGENTAI_BASE_URL": self.fakes.agentai.url,
        }

    async def start(self, fault: str | None = None) -> None:
        """Start the server and wait until `/healthz` answers (before the first start, the tests' people
        agree to the consent question, as they would have the first time they asked)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self.runs == 0:
            await self.seed_consent()
        self.runs += 1
        out = (self.logs / f"run-{self.runs}.out").open("wb")
        err = (self.logs / f"run-{self.runs}.err").open("wb")
        with out, err:
            # cwd outside the repo: a developer's .env must not leak into the child's settings.
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.wiring.cli", "serve"],
                env=self.env(fault), cwd=self.logs, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                async with self.http.get(f"{self.url}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not become healthy in 30 s")
            await asyncio.sleep(0.05)

    async def seed_consent(self) -> None:
        """The tests' Slack and Discord people agree, in the store this bot will open."""
        url = self.env_overrides.get("DATABASE_URL")
        if not url:
            await (await SqliteJobStore.open(self.data_dir / "headshot-bot.db")).close()  # the schema, first
            agree_in_bulk(self.data_dir, [*slack_people(), DISCORD_OWNER])
            return
        from storage.postgres.store import PostgresStore

        store = await PostgresStore.open(url)
        try:
            await agree_to_anything(store, *slack_people(), DISCORD_OWNER)
        finally:
            await store.close()

    async def died(self, timeout: float = 30.0) -> None:
        """Wait for the fault hook to SIGKILL the server."""
        assert self.proc is not None
        proc = self.proc
        await eventually(lambda: proc.poll() is not None, timeout, "the fault point to kill the server")
        assert proc.returncode == -signal.SIGKILL, f"exited with {proc.returncode}, not by the fault hook"

    def kill(self) -> None:
        """SIGKILL the server now (no clean shutdown) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, as a platform would; SIGKILL if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def output(self) -> str:
        """Everything every run printed on stdout and stderr."""
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("run-*.*")))

    # ---- acting like Slack -------------------------------------------------------------
    async def send(self, body: str, content_type: str, *, timeout: float = 10.0) -> Reply:
        """POST a correctly signed request to `/slack/events`."""
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
        }
        started = time.monotonic()
        async with self.http.post(
            f"{self.url}/slack/events", data=body.encode(), headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as answer:
            return Reply(answer.status, await answer.text(), time.monotonic() - started)

    async def command(self, text: str = "", *, user: str = "U0USER") -> Reply:
        """A `/headshot` slash command."""
        form = payload("slash_command") | {
            "text": text, "user_id": user, "response_url": f"{self.fakes.slack.url}/response/{user}",
        }
        return await self.send(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")

    async def interact(self, body: dict[str, Any]) -> Reply:
        """An interactivity request (view submission, shortcut, action)."""
        form = urllib.parse.urlencode({"payload": json.dumps(body)})
        return await self.send(form, "application/x-www-form-urlencoded")

    async def request_job(self, provider: str, *, user: str = "U0USER", count: str = "1") -> Reply:
        """Submit the `/headshot` modal with a freshly shared portrait."""
        photo = self.fakes.slack.add_user_file("portrait.jpg", astronaut_jpeg())
        return await self.interact(submission(photo, provider, user=user, count=count))

    # ---- reading what happened -----------------------------------------------------------
    def statuses(self) -> list[dict[str, Any]]:
        """The status messages the bot posted in the channel, oldest first."""
        return [m for m in self.fakes.slack.messages.get(CHANNEL, []) if "thread_ts" not in m]

    def replies(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        """The thread under a status message, without the status message itself."""
        return self.fakes.slack.thread(CHANNEL, status["ts"])[1:]

    async def ended(self, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until `count` status messages say the job is over (✅ or ❌); returns them."""

        def over() -> bool:
            found = self.statuses()
            return len(found) >= count and all(m["text"].startswith(("✅", "❌")) for m in found[:count])

        await eventually(over, timeout, f"{count} job(s) to end in their threads")
        return self.statuses()[:count]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the job store directly (a second SQLite reader; WAL lets it run beside the bot)."""
        db = sqlite3.connect(self.data_dir / "headshot-bot.db", timeout=10)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()


def submission(photo: dict[str, Any], provider: str, *, user: str = "U0USER", count: str = "1") -> dict[str, Any]:
    """A `view_submission` of the request modal with one shared photo."""
    body = payload("view_submission")
    body["user"] = {**body["user"], "id": user}
    values = body["view"]["state"]["values"]
    values["photos"]["photos"]["files"] = [photo]
    values["provider"]["provider"]["selected_option"]["value"] = provider
    values["count"]["count"]["selected_option"]["value"] = count
    return body


async def post_callback(url: str, body: Any) -> tuple[int, Any] | None:
    """POST a provider callback; None when the connection dies under it (the bot was killed)."""
    try:
        async with aiohttp.ClientSession() as session, session.post(
            url, json=body, timeout=aiohttp.ClientTimeout(total=20)
        ) as answer:
            return answer.status, await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError):
        return None


def callback_body(sub: Submission, urls: list[str]) -> dict[str, Any]:
    """Runflow's completion callback for a submission."""
    return {"event": "headshots.completed", "headshots_id": sub.headshots_id, "image_urls": urls}


def assert_each_once(bot: BotProcess, status: dict[str, Any], images: list[bytes] | int, *, sheet: bool) -> None:
    """The thread holds every result exactly once (and the contact sheet once), and says done."""
    count = len(images) if isinstance(images, list) else images
    heads = [r["text"] for r in bot.replies(status)]
    assert status["text"].startswith("✅") and f"done: {count} in the thread" in status["text"], (status["text"], heads)
    replies = bot.replies(status)
    names = Counter(f["name"] for r in replies for f in r.get("files", []))
    expected = Counter({f"headshot-{n:02d}.jpg": 1 for n in range(1, count + 1)})
    if sheet:
        expected["contact-sheet.jpg"] = 1
    assert names == expected, f"files in the thread: {names - expected} extra, {expected - names} missing"
    keys = Counter(r["text"].rsplit(" · ", 2)[-1] for r in replies)
    assert all(n == 1 for n in keys.values()), keys
    if isinstance(images, list):
        files = [f for r in replies for f in r.get("files", []) if f["name"] != "contact-sheet.jpg"]
        posted = Counter(bot.fakes.slack.blobs[f["id"]] for f in files)
        assert posted == Counter(images), "the posted bytes are not the provider's images, once each"


async def wait_submissions(fakes: Fakes, count: int, timeout: float = 30.0) -> Submission:
    """Wait until Runflow has accepted `count` submissions; returns the latest."""
    await eventually(lambda: len(fakes.runflow.submissions) >= count, timeout, f"{count} Runflow submission(s)")
    return fakes.runflow.submissions[-1]
