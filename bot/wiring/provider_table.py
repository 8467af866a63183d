"""Every provider the bot knows, in one table: what switches it on, how it is built, how many jobs at once.

With no usable DEFAULT_PROVIDER, the configured provider of the lowest `default_rank` is the
default. `cli`, `check` and the composition root all read this table; the settings hand it
the part of themselves it needs (`ProviderSettings`), so the table does not import them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.downloads import Downloader
from bot.ports import CallbackReceiver, CallbackUrl, CallLog, Provider
from bot.providers import runflow_callback


@dataclass(frozen=True)
class ProviderSettings:
    """The part of the settings the providers are built from: their keys and addresses."""

    agentai_api_key: SecretStr | None
    agentai_base_url: str
    runflow_api_key: SecretStr | None
    runflow_base_url: str
    public_base_url: str | None  # where a provider's callbacks arrive


@dataclass(frozen=True)
class ProviderTools:
    """What building a provider may use: the call log, the guarded downloader, a new HTTP pool per remote."""

    calls: CallLog
    downloader: Downloader
    new_http: Callable[[], aiohttp.ClientSession]


@dataclass(frozen=True)
class Callbacks:
    """An asynchronous provider's way back: the URL it is given and the route that receives it."""

    url: Callable[[str, str], str]  # (public base URL, token) -> URL
    install: Callable[[web.Application, CallbackReceiver], None]


@dataclass(frozen=True)
class ProviderEntry:
    """One provider before it is built."""

    name: str
    default_rank: int  # the default is the configured provider of the lowest rank
    concurrency: int  # jobs at once in its generating steps
    enabled: Callable[[ProviderSettings], bool]
    build: Callable[[ProviderSettings, ProviderTools], Awaitable[Provider]]
    status: Callable[[ProviderSettings], tuple[str, str]]  # (state, detail) for `headshot-bot check`
    callbacks: Callbacks | None = None


async def _agentai(settings: ProviderSettings, tools: ProviderTools) -> Provider:
    from bot.providers.agentai import AgentAIProvider
    from bot.providers.ratelimit import CallLimiter

    assert settings.agentai_api_key is not None
    limiter = await CallLimiter.load(tools.calls, "agentai")
    key = settings.agentai_api_key.get_secret_value()
    return AgentAIProvider(key, settings.agentai_base_url, tools.new_http(), tools.downloader, limiter)


async def _runflow(settings: ProviderSettings, tools: ProviderTools) -> Provider:
    from bot.providers.runflow import RunflowProvider

    assert settings.runflow_api_key is not None
    return RunflowProvider(settings.runflow_api_key.get_secret_value(), settings.runflow_base_url, tools.new_http())


async def _studio(_settings: ProviderSettings, _tools: ProviderTools) -> Provider:
    from bot.providers.studio import StudioProvider

    return StudioProvider()


def _agentai_status(settings: ProviderSettings) -> tuple[str, str]:
    if settings.agentai_api_key:
        return "configured", settings.agentai_base_url
    return "off", "set AGENTAI_API_KEY"


def _runflow_status(settings: ProviderSettings) -> tuple[str, str]:
    if settings.runflow_api_key and not settings.public_base_url:
        return "incomplete", "RUNFLOW_API_KEY is set but PUBLIC_BASE_URL is not (callbacks)"
    if settings.runflow_api_key:
        return "configured", settings.runflow_base_url
    return "off", "set RUNFLOW_API_KEY"


PROVIDERS: tuple[ProviderEntry, ...] = (
    ProviderEntry("studio", 3, 1, lambda _s: True, _studio, lambda _s: ("configured", "built in, offline")),
    ProviderEntry("agentai", 1, 2, lambda s: s.agentai_api_key is not None, _agentai, _agentai_status),
    ProviderEntry(
        "runflow", 2, 2, lambda s: s.runflow_api_key is not None, _runflow, _runflow_status,
        Callbacks(runflow_callback.callback_url, runflow_callback.install_callback_route),
    ),
)
BY_RANK = sorted(PROVIDERS, key=lambda entry: entry.default_rank)


def provider_names() -> list[str]:
    """Every provider's name."""
    return [entry.name for entry in PROVIDERS]


def concurrency() -> dict[str, int]:
    """How many jobs each provider works on at once."""
    return {entry.name: entry.concurrency for entry in PROVIDERS}


def default_provider(chosen: str | None, available: Sequence[str]) -> str:
    """`chosen` (DEFAULT_PROVIDER) if usable, else the configured provider of the lowest rank."""
    if chosen is not None and chosen in available:
        return chosen
    return next((entry.name for entry in BY_RANK if entry.name in available), "studio")


async def build_providers(settings: ProviderSettings, tools: ProviderTools) -> dict[str, Provider]:
    """The providers the settings switch on."""
    return {entry.name: await entry.build(settings, tools) for entry in PROVIDERS if entry.enabled(settings)}


def callback_url(base: str | None) -> CallbackUrl | None:
    """How an asynchronous provider's callback URL is made under `base`; None without a public address.

    Every asynchronous provider is called back at the first route the table names (Runflow's).
    """
    if base is None:
        return None
    route = next(entry.callbacks for entry in PROVIDERS if entry.callbacks is not None)
    return lambda token: route.url(base, token)


def callback_routes(receive: CallbackReceiver) -> list[Callable[[web.Application], None]]:
    """The web routes of every provider's callbacks, each handing what it reads to `receive`."""
    def route(callbacks: Callbacks) -> Callable[[web.Application], None]:
        return lambda app: callbacks.install(app, receive)

    return [route(entry.callbacks) for entry in PROVIDERS if entry.callbacks is not None]
