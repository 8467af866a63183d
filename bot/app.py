"""The composition root: builds the core from `Settings` and wires in the configured platforms."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import aiohttp

from bot.chat import ChatAdapter, ChatSurface
from bot.downloads import Downloader
from bot.engine import JobEngine
from bot.metrics import Metrics
from bot.providers import Provider
from bot.providers.studio import StudioProvider
from bot.runner import JobRunner
from bot.service import HeadshotService
from bot.settings import Settings
from storage.blobs import FileBlobStore
from storage.jobs import SqliteJobStore

log = logging.getLogger(__name__)

PROVIDER_CONCURRENCY = {"studio": 1, "agentai": 2, "runflow": 2}
QUIET_LOGGERS = ("discord.gateway", "discord.client", "slack_bolt")


@dataclass
class Core:
    """Everything `serve` and `generate` run on, with what must be closed at the end."""

    settings: Settings
    store: SqliteJobStore
    blobs: FileBlobStore
    engine: JobEngine
    runner: JobRunner
    service: HeadshotService
    surfaces: dict[str, ChatSurface]
    http_clients: list[aiohttp.ClientSession] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)

    async def close(self) -> None:
        """Stop the runner and release connections."""
        await self.runner.stop()
        self.service.close()
        for http in self.http_clients:
            await http.close()
        await self.store.close()


def default_provider(settings: Settings, available: list[str]) -> str:
    """DEFAULT_PROVIDER if usable, else agentai, runflow, studio: the first configured."""
    if settings.default_provider in available:
        return settings.default_provider
    for name in ("agentai", "runflow", "studio"):
        if name in available:
            return name
    return "studio"


def fault_hook(point: str | None) -> Callable[[str], None]:
    """A hook that kills this process at a named point (for the fault-injection tests)."""
    if not point:
        return lambda _name: None
    name, _, nth = point.partition(":")
    remaining = [int(nth) if nth else 1]

    def maybe_die(reached: str) -> None:
        if reached == name:
            remaining[0] -= 1
            if remaining[0] <= 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return maybe_die


async def build_core(
    settings: Settings,
    *,
    data_dir: Path | None = None,
    callback_base: str | None = None,
    surfaces: dict[str, ChatSurface] | None = None,
) -> Core:
    """Open the store, build providers, engine, runner and service."""
    root = data_dir or settings.data_dir
    root.mkdir(parents=True, exist_ok=True)
    store = await SqliteJobStore.open(settings.database_path if data_dir is None else root / "headshot-bot.db")
    blobs = FileBlobStore(root / "blobs")
    http_clients: list[aiohttp.ClientSession] = []
    download_http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120, sock_connect=15))
    http_clients.append(download_http)
    downloader = Downloader(download_http, allow_private=settings.allow_private_urls)
    providers = await build_providers(settings, store, downloader, http_clients)
    surface_map: dict[str, ChatSurface] = dict(surfaces or {})
    metrics = Metrics()
    metrics.declare(providers, surface_map)
    engine = JobEngine(
        store,
        blobs,
        providers,
        surface_map,
        downloader,
        callback_base=callback_base or settings.public_base_url,
        callback_timeout=settings.runflow_callback_timeout_s,
        fault=fault_hook(settings.fault_point),
        metrics=metrics,
    )
    runner = JobRunner(
        engine,
        concurrency=settings.job_concurrency,
        provider_concurrency=PROVIDER_CONCURRENCY,
        retention_seconds=settings.result_retention_days * 86400,
    )
    service = HeadshotService(
        engine,
        runner,
        default_provider=default_provider(settings, list(providers)),
        max_jobs_per_user=settings.max_jobs_per_user,
        max_photo_bytes=settings.max_photo_bytes,
    )
    return Core(settings, store, blobs, engine, runner, service, surface_map, http_clients, metrics)


async def build_providers(
    settings: Settings, store: SqliteJobStore, downloader: Downloader, http_clients: list[aiohttp.ClientSession]
) -> dict[str, Provider]:
    """Studio always; agent.ai and Runflow when their keys are set."""
    providers: dict[str, Provider] = {"studio": StudioProvider()}
    if settings.agentai_api_key is not None:
        from bot.providers.agentai import AgentAIProvider
        from bot.providers.ratelimit import CallLimiter

        http = aiohttp.ClientSession()
        http_clients.append(http)
        limiter = await CallLimiter.load(store, "agentai")
        providers["agentai"] = AgentAIProvider(
            settings.agentai_api_key.get_secret_value(), settings.agentai_base_url, http, downloader, limiter
        )
    if settings.runflow_api_key is not None:
        from bot.providers.runflow import RunflowProvider

        http = aiohttp.ClientSession()
        http_clients.append(http)
        providers["runflow"] = RunflowProvider(
            settings.runflow_api_key.get_secret_value(), settings.runflow_base_url, http
        )
    return providers


def build_adapters(settings: Settings, core: Core) -> list[ChatAdapter]:
    """The chat platforms whose secrets are configured; their surfaces join the engine's."""
    adapters: list[ChatAdapter] = []
    if settings.slack_enabled:
        from adapters.slack import SlackAdapter

        rate_limited = partial(core.metrics.chat_post, "slack", "rate_limited")
        adapters.append(SlackAdapter.from_settings(settings, core.service, core.store, on_rate_limited=rate_limited))
    if settings.discord_token is not None:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter.from_settings(settings, core.service))
    for adapter in adapters:
        core.surfaces[adapter.surface.name] = adapter.surface
    core.metrics.declare(core.engine.providers, core.surfaces)
    return adapters
