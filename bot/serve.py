"""`headshot-bot serve`: web server, chat platforms and the job runner in one asyncio process."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import time

from aiohttp import web

from bot.app import build_adapters, build_core, hold_data_folders
from bot.chat import ChatAdapter
from bot.errors import UserError
from bot.interrupted import InterruptedIntakes
from bot.scrape import metrics_route
from bot.settings import Settings
from bot.web import web_runner

log = logging.getLogger(__name__)


def port_refusal(port: int, exc: OSError) -> UserError:
    """The one line `serve` exits with when it cannot listen on PORT."""
    if exc.errno == errno.EADDRINUSE:
        return UserError(f"port {port} is already in use (another headshot-bot serve, or another program); "
                         "stop it or set PORT to a free port.")
    return UserError(f"cannot listen on port {port} ({exc.strerror or exc}).")


async def serve(settings: Settings, *, host: str = "0.0.0.0", stop: asyncio.Event | None = None) -> None:  # noqa: S104
    """Run until SIGTERM/SIGINT (or `stop` is set); in-flight work resumes at the next start."""
    problem = settings.secret_key_problem()
    if problem:
        raise UserError(problem)
    started_at = time.time()
    locks = hold_data_folders(settings)
    try:
        # Holding the data folder, this process is its store's only user: whatever it finds unfinished is dead.
        await _serve(settings, host, stop, started_at if locks else None)
    finally:
        for lock in locks:
            lock.close()


async def _serve(settings: Settings, host: str, stop: asyncio.Event | None, alone_since: float | None) -> None:
    core = await build_core(settings)
    adapters = build_adapters(settings, core)
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
    runner_task: asyncio.Task[None] | None = None
    watch_task: asyncio.Task[None] | None = None
    try:
        # A burst of chat requests can exceed the default listen backlog of 128.
        try:
            await web.TCPSite(server, host, settings.port, backlog=1024).start()
        except OSError as exc:
            raise port_refusal(settings.port, exc) from None
        log.info("web server on port %d; providers: %s", settings.port, ", ".join(core.catalog.names()))
        for adapter in adapters:
            try:
                await adapter.start()
                started.append(adapter)
            except Exception as exc:
                log.error("%s did not start: %s", adapter.surface.name, exc)
        runner_task = asyncio.create_task(core.runner.run(), name="job-runner")
        cut_short = InterruptedIntakes(core.store, core.store, core.surfaces, {a.surface.name: a for a in started})
        watch_task = asyncio.create_task(cut_short.watch(alone_since), name="interrupted-intakes")
        await stop.wait()
        log.info("stopping")
    finally:
        if watch_task is not None:
            watch_task.cancel()
        for adapter in started:
            with contextlib.suppress(Exception):
                await adapter.stop()
        if runner_task is not None:
            runner_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner_task
        await server.cleanup()
        await core.close()
