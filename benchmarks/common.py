"""Helpers the benchmarks share: percentiles, settings, injected latency, `serve` subprocesses."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.wiring.settings import Settings

LOOPBACK = "127.0.0.1"
# The kind of event loop every benchmark runs on, worker loops included (`--uvloop` sets uvloop's).
LOOPS: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
# Every secret-bearing setting: passed explicitly so nothing leaks in from the caller's environment.
_SECRETS = (
    "slack_bot_token", "slack_signing_secret", "slack_app_token", "discord_token", "agentai_api_key", "runflow_api_key"
)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile `q` (0-100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    """Seconds as a short millisecond figure."""
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def make_settings(data_dir: Path, **values: Any) -> Settings:
    """Settings for an in-process core: no `.env`, no secrets from the environment, loopback only."""
    for name in _SECRETS:
        values.setdefault(name, None)
    values.setdefault("data_dir", data_dir)
    values.setdefault("allow_private_urls", True)
    values.setdefault("discord_api_base_url", f"http://{LOOPBACK}:9/api/v10")
    values.setdefault("agentai_base_url", f"http://{LOOPBACK}:9")
    values.setdefault("runflow_base_url", f"http://{LOOPBACK}:9")
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Delay:
    """An aiohttp middleware that adds a fixed latency to requests under some path prefixes, and counts them."""

    def __init__(self, seconds: float, prefixes: Sequence[str] = ("/",)) -> None:
        self.seconds = seconds
        self.prefixes = tuple(prefixes)
        self.count = 0

    def install(self, app: web.Application) -> Delay:
        """Add the delay in front of every handler of `app` (before it starts)."""

        @web.middleware
        async def delay(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
            if request.path.startswith(self.prefixes):
                self.count += 1
                await asyncio.sleep(self.seconds)
            return await handler(request)

        app.middlewares.append(delay)
        return self


def free_port() -> int:
    """A TCP port on the loopback interface that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def serve_command() -> list[str]:
    """How to start `headshot-bot serve`: the installed console script, else the module."""
    script = Path(sys.executable).parent / "headshot-bot"
    found = str(script) if script.exists() else shutil.which("headshot-bot")
    return [found, "serve"] if found else [sys.executable, "-m", "bot.wiring.cli", "serve"]


def serve_env(data_dir: Path, port: int, **values: str) -> dict[str, str]:
    """A clean environment for a `serve` subprocess: only what it needs, every URL on loopback."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        DATA_DIR=str(data_dir),
        PORT=str(port),
        PUBLIC_BASE_URL=f"http://{LOOPBACK}:{port}",
        ALLOW_PRIVATE_URLS="true",
        DISCORD_API_BASE_URL=f"http://{LOOPBACK}:9/api/v10",
        AGENTAI_BASE_URL=f"http://{LOOPBACK}:9",
        RUNFLOW_BASE_URL=f"http://{LOOPBACK}:9",
        PYTHONUNBUFFERED="1",
    )
    env["EVENT_LOOP"] = "auto" if LOOPS.__module__.startswith("uvloop") else "asyncio"  # as the run's own
    env.update(values)
    return env


def start_serve(data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `serve` in `data_dir` (so no stray `.env` is read), its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(serve_command(), cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT)


async def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until `GET url/healthz` answers 200; raises if the process dies or time runs out."""
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode} before it was healthy")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.01)
    raise TimeoutError(f"serve was not healthy within {timeout:.0f} s")


def stop_serve(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM (a clean stop), then SIGKILL if it does not go in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def proc_status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmHWM, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)
