"""`headshot-bot serve`: web server, chat platforms and the job runner in one asyncio process."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import time

from aiohttp import web

from bot.errors import UserError
from bot.ports import ChatAdapter
from bot.scrape import metrics_route
from bot.singleton import while_leased
from bot.web import web_runner
from bot.wiring.behind import Behind, answering
from bot.wiring.loops import LoopFactory, loop_name
from bot.wiring.settings import Settings
from bot.wiring.stores import hold_data_folders

log = logging.getLogger(__name__)


def port_refusal(port: int, exc: OSError) -> UserError:
    """The one line `serve` exits with when it cannot listen on PORT."""
    if exc.errno == errno.EADDRINUSE:
        return UserError(f"port {port} is already in use (another headshot-bot serve, or another program); "
                         "stop it or set PORT to a free port.")
    return UserError(f"cannot listen on port {port} ({exc.strerror or exc}).")


async def serve(
    settings: Settings, *, host: str = "0.0.0.0", stop: asyncio.Event | None = None,  # noqa: S104
    loops: LoopFactory = asyncio.new_event_loop,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set); in-flight work resumes at the next start. `loops` makes
    the worker loop (the same kind as the running one)."""
    problem = settings.secret_key_problem()
    if problem:
        raise UserError(problem)
    started_at = time.time()
    locks = hold_data_folders(settings)
    try:
        # Holding the data folder, this process is its store's only user: whatever it finds unfinished is dead.
        await _serve(settings, host, stop, started_at if locks else None, loops)
    finally:
        for lock in locks:
            lock.close()


async def _serve(
    settings: Settings, host: str, stop: asyncio.Event | None, alone_since: float | None, loops: LoopFactory
) -> None:
    # Behind the answers first: the answering core wakes its runner and shares its metrics.
    behind = await Behind.open(settings, loops)
    log.info("answers on one %s loop, the work behind them on another", loop_name(loops))
    try:
        await _answer(settings, behind, host, stop, alone_since)
    finally:
        await behind.close()


async def _answer(
    settings: Settings, behind: Behind, host: str, stop: asyncio.Event | None, alone_since: float | None
) -> None:
    core, adapters = await answering(settings, behind)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    routes = [metrics_route(core.metrics, core.store, token), *(a.install_routes for a in adapters)]
    app = core.web_app(routes, adapters)
    server = web_runner(app)
    await server.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started: list[ChatAdapter] = []
    background: list[asyncio.Task[None]] = []
    try:
        # A burst of chat requests can exceed the default listen backlog of 128.
        try:
            await web.TCPSite(server, host, settings.port, backlog=1024).start()
        except OSError as exc:
            raise port_refusal(settings.port, exc) from None
        log.info("web server on port %d; providers: %s", settings.port, ", ".join(core.catalog.names()))
        log.info("store: %s", core.storage.description)
        for adapter in adapters:
            try:
                await adapter.start()
                started.append(adapter)
            except Exception as exc:
                log.error("%s did not start: %s", adapter.surface.name, exc)
                continue
            if adapter.exclusive is not None:
                name = f"{adapter.surface.name} gateway"
                lease = core.storage.lease(name)
                work = while_leased(lease, name, adapter.exclusive.open, adapter.exclusive.close)
                background.append(asyncio.create_task(work, name=name))
        await behind.run(alone_since)
        await stop.wait()
        log.info("stopping")
    finally:
        for task in background:  # gateways first: nothing may arrive once the runner is gone
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for adapter in started:
            with contextlib.suppress(Exception):
                await adapter.stop()
        await server.cleanup()
        await core.close()
