"""Start-up: a `headshot-bot serve` subprocess to its first healthy `/healthz`.

Slack is configured in HTTP mode against a fake Slack Web API on loopback, and Discord against
the fake Discord (REST and gateway) when this checkout has one; otherwise the figure is Slack
only and says so. `/healthz` answers once the web server listens, which `serve` does before it
connects to Discord, so the time until the fake gateway receives IDENTIFY is reported too. The
import time of `bot.wiring.serve` and the Slack adapter in a fresh interpreter is reported beside
it, since importing is most of what start-up costs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import LOOPBACK, free_port, serve_env, start_serve, stop_serve, wait_healthy
from benchmarks.table import Row
from tests.servers import running
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import TOKEN, FakeSlack

LIMIT_S = 2.0
HEALTHY_TIMEOUT_S = 15.0


def import_seconds() -> float:
    """Seconds for a fresh interpreter to import what `serve` needs before it can answer."""
    started = time.perf_counter()
    code = "import bot.wiring.serve, bot.wiring.app, adapters.slack"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    return time.perf_counter() - started


async def _identified(fake: Any, started: float, timeout: float) -> float:
    """Seconds from `started` until the fake Discord gateway has an IDENTIFY."""
    while time.perf_counter() - started < timeout:
        if fake.identified:
            return time.perf_counter() - started
        await asyncio.sleep(0.01)
    raise TimeoutError("serve did not identify to the Discord gateway in time")


async def run(quick: bool) -> list[Row]:
    """Median of a few cold starts."""
    starts = 1 if quick else 3
    times, identify = [], []
    with_discord = all(importlib.util.find_spec(m) is not None for m in ("adapters.discord", "tests.discord"))
    slack = FakeSlack()
    async with running(slack.app()) as slack_url:
        slack.url = slack_url
        for _ in range(starts):
            discord: Any = None
            extra = {}
            if with_discord:
                from tests.discord.fake_discord import FakeDiscord
                from tests.discord.shapes import TOKEN as DISCORD_TOKEN

                discord = await FakeDiscord().start()
                extra = {"DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_BASE_URL": discord.api}
            with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
                port = free_port()
                env = serve_env(Path(tmp), port, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                                SLACK_API_BASE_URL=f"{slack_url}/api/", **extra)
                started = time.perf_counter()
                process = start_serve(Path(tmp), env, Path(tmp) / "serve.log")
                try:
                    times.append(await wait_healthy(f"http://{LOOPBACK}:{port}", process, HEALTHY_TIMEOUT_S))
                    if discord is not None:
                        identify.append(await _identified(discord, started, HEALTHY_TIMEOUT_S))
                finally:
                    stop_serve(process)
                    if discord is not None:
                        await discord.close()
    imports = await asyncio.to_thread(import_seconds)
    median = statistics.median(times)
    scope = (
        f"Slack + Discord; gateway IDENTIFY at {statistics.median(identify):.2f} s"
        if identify else "Slack only: no Discord fake in this checkout"
    )
    return [
        Row(
            "serve start-up",
            f"{median:.2f} s to healthy (median of {starts})",
            f"limit {LIMIT_S:.0f} s; imports alone {imports:.2f} s",
            median / LIMIT_S,
            f"<= {LIMIT_S:.0f} s",
            median <= LIMIT_S,
            scope,
        )
    ]
