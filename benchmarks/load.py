"""A load generator that runs in its own process, so the server under test has its event loop to itself.

Requests are prepared by the caller (bodies signed, URLs on loopback) and sent from a child
process; the child returns each request's status and latency. Every batch is bounded by its
length and by a deadline.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import aiohttp


@dataclass(frozen=True)
class Shot:
    """One prepared POST."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One answer: HTTP status (0 when the request failed or ran out of time) and seconds taken."""

    status: int
    seconds: float
    text: str = ""


@dataclass(frozen=True)
class Batch:
    """The answers of one batch, and the seconds from the first request sent to the last answer."""

    hits: list[Hit]
    seconds: float


def pool() -> ProcessPoolExecutor:
    """A one-worker pool for `fire` (spawned, so the child shares nothing with the server's loop)."""
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))


async def fire(
    executor: ProcessPoolExecutor, shots: list[Shot], concurrency: int, timeout: float, warm_url: str | None = None
) -> Batch:
    """Send `shots` from the child process, at most `concurrency` at once, within `timeout` seconds.

    With `warm_url`, `concurrency` keep-alive connections are opened first (untimed, by GETs of
    that URL), so the figures measure request handling rather than a burst of TCP handshakes.
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, _fire_sync, shots, concurrency, timeout, warm_url)


def _fire_sync(shots: list[Shot], concurrency: int, timeout: float, warm_url: str | None) -> Batch:
    return asyncio.run(_fire(shots, concurrency, timeout, warm_url))


async def _warm(http: aiohttp.ClientSession, url: str, connections: int) -> None:
    async def one() -> None:
        async with http.get(url) as response:
            await response.read()

    await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)


async def _fire(shots: list[Shot], concurrency: int, timeout: float, warm_url: str | None) -> Batch:
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    hits: list[Hit] = [Hit(0, timeout)] * len(shots)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        if warm_url is not None:
            async with asyncio.timeout(timeout):
                await _warm(http, warm_url, concurrency)

        async def one(index: int, shot: Shot) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    async with http.post(shot.url, data=shot.body, headers=shot.headers) as response:
                        text = await response.text()
                        hits[index] = Hit(response.status, time.perf_counter() - started, text[:200])
                except (aiohttp.ClientError, TimeoutError):
                    hits[index] = Hit(0, time.perf_counter() - started)

        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(one(i, s) for i, s in enumerate(shots)))
        except TimeoutError:
            pass  # unanswered shots keep status 0 and count as lost
        return Batch(hits, time.perf_counter() - started)
