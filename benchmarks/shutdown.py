"""Shutdown: SIGTERM to a `headshot-bot serve` subprocess until it has exited.

Measured with no client, with an idle keep-alive connection left open, with a request whose
body stops half-way to a route that does not read it (the server would linger to drain it),
and with a callback whose body trickles in (the handler is still reading when SIGTERM comes).
A platform stops a process with SIGKILL some seconds after SIGTERM; whatever is in flight must
give way well before that.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.common import LOOPBACK, free_port, serve_env, start_serve, stop_serve, wait_healthy
from benchmarks.table import Row

LIMIT_S = 5.0
HEALTHY_TIMEOUT_S = 15.0
EXIT_TIMEOUT_S = 90.0
Client = Callable[[int], Awaitable[asyncio.StreamWriter | None]]


async def _nobody(_port: int) -> None:
    return None


async def _keep_alive(port: int) -> asyncio.StreamWriter:
    """One answered request on a connection that stays open."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    return writer


async def _unread_body(port: int) -> asyncio.StreamWriter:
    """A body cut short on a route that answers without reading it (404)."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    writer.write(b"POST /nowhere HTTP/1.1\r\nHost: bot\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    return writer


async def _trickling_body(port: int) -> asyncio.StreamWriter:
    """A callback whose body has only begun to arrive."""
    _reader, writer = await asyncio.open_connection(LOOPBACK, port)
    writer.write(
        b"POST /webhooks/runflow/" + b"a" * 43 + b" HTTP/1.1\r\nHost: bot\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    await writer.drain()
    await asyncio.sleep(0.2)  # the handler is reading by now
    return writer


async def stop_seconds(client: Client) -> float:
    """Seconds from SIGTERM until `serve` has exited, with `client` connected."""
    with tempfile.TemporaryDirectory(prefix="bench-shutdown-") as tmp:
        port = free_port()
        process = start_serve(Path(tmp), serve_env(Path(tmp), port), Path(tmp) / "serve.log")
        writer = None
        try:
            await wait_healthy(f"http://{LOOPBACK}:{port}", process, HEALTHY_TIMEOUT_S)
            writer = await client(port)
            started = time.perf_counter()
            process.terminate()
            await asyncio.to_thread(process.wait, EXIT_TIMEOUT_S)
            return time.perf_counter() - started
        finally:
            if writer is not None:
                writer.close()
            stop_serve(process)


async def run(quick: bool) -> list[Row]:
    """Each case's median stop time, against the limit."""
    rounds = 1 if quick else 3
    cases: dict[str, Client] = {
        "no client": _nobody, "idle keep-alive": _keep_alive, "unread body": _unread_body,
        "body trickling in": _trickling_body,
    }
    figures = {name: statistics.median([await stop_seconds(client) for _ in range(rounds)])
               for name, client in cases.items()}
    worst = max(figures.values())
    return [
        Row(
            "serve shutdown",
            f"worst {worst:.2f} s from SIGTERM to exit (median of {rounds})",
            f"limit {LIMIT_S:.0f} s",
            worst / LIMIT_S,
            f"<= {LIMIT_S:.0f} s",
            worst <= LIMIT_S,
            "; ".join(f"{name} {seconds:.2f} s" for name, seconds in figures.items()),
        )
    ]
