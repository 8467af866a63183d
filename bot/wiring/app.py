"""The composition root: builds the core from `Settings` and wires in the configured platforms."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.campaigns.desk import CampaignDesk
from bot.campaigns.worker import DEFAULT_STALE_S, CampaignWorker
from bot.catalog import ProviderCatalog
from bot.consent.gate import ConsentGate
from bot.consent.terms import ProviderReach, RetentionInForce
from bot.defaults import UserDefaults
from bot.downloads import Downloader
from bot.engine import JobEngine
from bot.export.publish import Exports
from bot.export.routes import ExportRoutes
from bot.followups import FollowUps
from bot.gallery.publish import Galleries
from bot.gallery.routes import GalleryRoutes
from bot.inbox import CallbackInbox
from bot.intake import JobIntake
from bot.metrics import Metrics
from bot.my_data.archive import PersonalArchive
from bot.my_data.links import MyDataLinks
from bot.my_data.routes import MyDataRoutes
from bot.photos import PhotoReader
from bot.picks import HeadshotPicks
from bot.ports import BlobStore, ChatAdapter, ChatSurface, JobStore, Provider, QuotaLedger
from bot.quota_guard import QuotaGuard
from bot.results import ResultKeeper
from bot.retention import RetentionSweep
from bot.runner import JobRunner, RunningJobs
from bot.service import HeadshotService
from bot.slots import StoredSlots
from bot.web import RouteInstaller, create_web_app
from bot.wiring.provider_table import (
    ProviderTools,
    build_providers,
    callback_routes,
    callback_url,
    concurrency,
    default_provider,
)
from bot.wiring.settings import Settings
from bot.wiring.stores import Storage, open_storage
from bot.workspace_admin import WorkspaceAdmin, WorkspaceKits
from bot.workspace_retention import RetentionRules

if TYPE_CHECKING:
    from adapters.discord import DiscordAdapter
    from adapters.slack import SlackAdapter

log = logging.getLogger(__name__)

QUIET_LOGGERS = ("discord.gateway", "discord.client", "slack_bolt")


@dataclass
class Core:
    """Everything `serve` and `generate` run on, with what must be closed at the end."""

    settings: Settings
    storage: Storage
    catalog: ProviderCatalog
    engine: JobEngine
    runner: JobRunner
    intake: JobIntake
    follow_ups: FollowUps
    service: HeadshotService
    retention: RetentionSweep
    downloader: Downloader
    surfaces: dict[str, ChatSurface]
    metrics: Metrics
    photo_reader: PhotoReader
    quotas: QuotaGuard
    admin: WorkspaceAdmin
    campaigns: CampaignDesk
    campaign_worker: CampaignWorker
    exports: Exports
    consents: ConsentGate
    my_data: MyDataLinks
    http_clients: list[aiohttp.ClientSession] = field(default_factory=list)
    galleries: Galleries | None = None
    jobs: RunningJobs | None = None  # the runner that runs this core's jobs: its own, or another core's

    def web_app(
        self, installers: Sequence[RouteInstaller] = (), adapters: Sequence[ChatAdapter] = ()
    ) -> web.Application:
        """The web server: health (the store's and each platform's), the providers' callback routes,
        the galleries (with PUBLIC_BASE_URL), and the given (adapters', metrics) routes."""
        jobs = self.jobs or self.runner
        inbox = CallbackInbox(self.engine, jobs.wake, self.metrics)
        platforms = {adapter.surface.name: adapter.health for adapter in adapters}
        routes = [*callback_routes(inbox), *installers]
        if self.galleries is not None:
            routes.append(GalleryRoutes(self.galleries, self.blobs).install)
        if self.exports.base_url is not None:
            days = self.settings.result_retention_days
            routes.append(ExportRoutes(self.exports, self.blobs, retention_days=days).install)
        if self.my_data.base_url is not None:
            routes.append(MyDataRoutes(self.my_data, PersonalArchive(self.store, self.blobs, self.store)).install)
        return create_web_app(self.store, lambda: jobs.busy, routes, platforms)

    def add_surface(self, surface: ChatSurface) -> None:
        """A chat platform's surface joins the engine's (and the metrics' labels)."""
        self.surfaces[surface.name] = surface
        self.metrics.declare(self.catalog.names(), self.surfaces)

    @property
    def store(self) -> JobStore:
        """The job store."""
        return self.storage.store

    @property
    def blobs(self) -> BlobStore:
        """The blob store."""
        return self.storage.blobs

    @cached_property
    def picks(self) -> HeadshotPicks:
        """What people do with their delivered headshots: favourites, profile pictures."""
        return HeadshotPicks(self.store, self.blobs, galleries=self.galleries)

    async def close(self) -> None:
        """Stop the runner (and the campaigns' worker) and release connections."""
        await self.runner.stop()
        await self.campaign_worker.stop()
        self.photo_reader.close()
        for http in self.http_clients:
            await http.close()
        await self.storage.close()


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
    providers: Mapping[str, Provider] | None = None,
    surfaces: Mapping[str, ChatSurface] | None = None,
    storage: Storage | None = None,
    ledger: QuotaLedger | None = None,
    callback_base: str | None = None,
    galleries: bool = True,
    metrics: Metrics | None = None,
    jobs_elsewhere: RunningJobs | None = None,
) -> Core:
    """Open the store (unless `storage` is given) and build providers, engine, runner, intake and service.

    `providers` run beside the ones the settings switch on (a name given here wins);
    `surfaces` are the chat surfaces known from the start (`build_adapters` adds the platforms').
    `ledger` counts the quotas when they are kept in another store than the jobs (`generate`).
    With PUBLIC_BASE_URL (and `galleries`), every delivered job gets a gallery.
    `metrics` are shared with another core of the process; `jobs_elsewhere` is the runner of that core
    when it, not this one, runs the jobs (this one's accepted jobs and callbacks wake it).
    """
    storage = storage or await open_storage(settings, serving=True)
    store, blobs = storage.store, storage.blobs
    ledger = ledger or store
    http_clients: list[aiohttp.ClientSession] = []

    def new_http(timeout: aiohttp.ClientTimeout | None = None) -> aiohttp.ClientSession:
        http = aiohttp.ClientSession(timeout=timeout) if timeout else aiohttp.ClientSession()
        http_clients.append(http)
        return http

    downloader = Downloader(
        new_http(timeout=aiohttp.ClientTimeout(total=120, sock_connect=15)), allow_private=settings.allow_private_urls
    )
    configured = await build_providers(settings.provider_settings, ProviderTools(store, downloader, new_http))
    running = {**configured, **(providers or {})}
    catalog = ProviderCatalog(running, default_provider(settings.default_provider, list(running)))
    surface_map: dict[str, ChatSurface] = dict(surfaces or {})
    metrics = metrics or Metrics()
    metrics.declare(catalog.names(), surface_map)
    fault = fault_hook(settings.fault_point)
    calls_back = callback_url((callback_base or settings.public_base_url or "").rstrip("/") or None)
    retention_seconds = settings.result_retention_days * 86400
    kits = WorkspaceKits(store)
    rules = RetentionRules(
        store, photo_keep_hours=settings.photo_keep_hours, result_retention_days=settings.result_retention_days
    )
    gallery_links = None
    if galleries and settings.public_base_url:
        gallery_links = Galleries(
            store, blobs, base_url=settings.public_base_url, retention_seconds=retention_seconds,
            capabilities=catalog.capabilities, rules=rules,
        )
    engine = JobEngine(
        records=store,
        results=store,
        deliveries=store,
        charges=ledger,
        blobs=blobs,
        providers=catalog,
        surfaces=surface_map,
        keeper=ResultKeeper(store, blobs, downloader, fault=fault),
        callback_url=calls_back,
        callback_timeout=settings.runflow_callback_timeout_s,
        fault=fault,
        metrics=metrics,
        photo_keep_seconds=settings.photo_keep_hours * 3600,
        galleries=gallery_links,
        kits=kits,
        retention=rules,
    )
    retention = RetentionSweep(
        store, blobs, store, photo_keep_seconds=settings.photo_keep_hours * 3600, workspaces=store
    )
    runner = JobRunner(
        store,
        engine,
        concurrency=settings.job_concurrency,
        provider_concurrency=concurrency(),
        sweep=retention,
        retention_seconds=retention_seconds,
        lease_seconds=settings.job_lease_s,
    )
    defaults = UserDefaults(store, catalog)
    photo_reader = PhotoReader(max_bytes=settings.max_photo_bytes)
    quotas = QuotaGuard(settings.quotas, ledger, metrics=metrics)
    intake = JobIntake(
        records=store,
        blobs=blobs,
        catalog=catalog,
        defaults=defaults,
        slots=StoredSlots(store),
        photos=photo_reader,
        on_accepted=(jobs_elsewhere or runner).wake,
        can_take_callbacks=calls_back is not None,
        quotas=quotas,
        intakes=store,
        max_jobs_per_user=settings.max_jobs_per_user,
        fault=fault,
        kits=kits,
    )
    service = HeadshotService(
        records=store, retention=store, blobs=blobs, catalog=catalog, defaults=defaults, engine=engine,
        quotas=quotas, seen=store, kits=kits,
    )
    admin = WorkspaceAdmin(kits, rules)
    # A step left started is looked at only once whoever started it has surely stopped (lost its lease).
    campaign_worker = CampaignWorker(store, kits, stale_s=max(DEFAULT_STALE_S, 2 * settings.job_lease_s), fault=fault)
    follow_ups = FollowUps(
        records=store, blobs=blobs, intake=intake, photo_keep_seconds=settings.photo_keep_hours * 3600
    )
    consents = ConsentGate(
        store,
        providers=[ProviderReach(p.name, p.capabilities.label, p.capabilities.runs_here) for p in catalog.choices],
        retention=RetentionInForce(settings.photo_keep_hours, settings.result_retention_days),
        privacy_policy_url=settings.privacy_policy_url,
    )
    my_data = MyDataLinks(store, base_url=settings.public_base_url)
    return Core(
        settings, storage, catalog, engine, runner, intake, follow_ups, service, retention, downloader,
        surface_map, metrics, photo_reader, quotas, admin, CampaignDesk(store, admin, campaign_worker.wake),
        campaign_worker, Exports(store, store, store, store, admin, base_url=settings.public_base_url),
        consents, my_data, http_clients, gallery_links, jobs_elsewhere or runner,
    )


def build_adapters(settings: Settings, core: Core) -> list[ChatAdapter]:
    """The chat platforms whose secrets are configured; their surfaces join the engine's."""
    adapters: list[ChatAdapter] = []
    if settings.slack_enabled:
        adapters.append(slack_adapter(settings, core))
    if settings.discord_token is not None:
        adapters.append(discord_adapter(settings, core))
    return adapters


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def slack_adapter(settings: Settings, core: Core) -> SlackAdapter:
    """Slack on its configured tokens (one workspace) or OAuth (many), its surface known to the engine."""
    from adapters.slack import SlackAdapter
    from adapters.slack.manifest import REDIRECT_PATH
    from adapters.slack.oauth import OAuthConfig
    from adapters.slack.user_auth import UserAuthConfig
    from bot.home import HomePages

    oauth: OAuthConfig | None = None
    token = _secret(settings.slack_bot_token)
    if settings.slack_oauth:
        problem = settings.secret_key_problem()
        secret_key, client_secret = _secret(settings.secret_key), _secret(settings.slack_client_secret)
        if problem or secret_key is None or client_secret is None or settings.slack_client_id is None:
            raise ValueError(problem or "Slack OAuth needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SECRET_KEY")
        public = settings.public_base_url
        oauth = OAuthConfig(
            client_id=settings.slack_client_id,
            client_secret=client_secret,
            secret_key=secret_key,
            store=core.store,
            authorize_url=settings.slack_oauth_base_url,
            redirect_uri=public.rstrip("/") + REDIRECT_PATH if public else None,
        )
        token = None
    elif token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    user_auth = None
    if settings.slack_photos:  # then the client id and secret serve "Set as my Slack photo" too
        assert settings.slack_client_id and settings.slack_client_secret and settings.public_base_url
        user_auth = UserAuthConfig(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            secret_key=_secret(settings.secret_key) or "",
            public_base_url=settings.public_base_url,
            store=core.store,
            authorize_url=settings.slack_oauth_base_url,
        )
    adapter = SlackAdapter(
        core.service,
        core.intake,
        core.follow_ups,
        consents=core.consents,
        my_data=core.my_data,
        bot_token=token,
        signing_secret=_secret(settings.slack_signing_secret),
        app_token=_secret(settings.slack_app_token),
        api_base_url=settings.slack_api_base_url,
        oauth=oauth,
        on_rate_limited=partial(core.metrics.chat_post, "slack", "rate_limited"),
        picks=core.picks,
        user_auth=user_auth,
        admin=core.admin,
        homes=HomePages(core.service, core.store, core.admin, core.campaigns),
        campaigns=core.campaigns,
        exports=core.exports,
    )
    core.add_surface(adapter.surface)
    core.campaign_worker.messengers[adapter.surface.name] = adapter.messenger
    core.exports.directories[adapter.surface.name] = adapter.people
    return adapter


def discord_adapter(settings: Settings, core: Core) -> DiscordAdapter:
    """Discord on its configured token, its surface known to the engine."""
    from adapters.discord import DiscordAdapter

    token = _secret(settings.discord_token)
    if token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    adapter = DiscordAdapter.build(
        token=token,
        api_base_url=settings.discord_api_base_url,
        guild_ids=settings.guild_ids,
        service=core.service,
        intake=core.intake,
        follow_ups=core.follow_ups,
        downloader=core.downloader,
        picks=core.picks,
        admin=core.admin,
        exports=core.exports,
        consents=core.consents,
        my_data=core.my_data,
    )
    core.add_surface(adapter.surface)
    core.exports.directories[adapter.surface.name] = adapter.people
    return adapter
