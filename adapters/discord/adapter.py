"""The Discord adapter as `serve` sees it: built from its token and URLs, started, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

import discord
from aiohttp import web

from adapters.discord.client import HeadshotClient, aim_discord_py_for_this_process, use_gateway_of
from adapters.discord.commands import install_commands
from adapters.discord.consent import DiscordConsent
from adapters.discord.followups import DiscordFollowUps
from adapters.discord.intake import DiscordIntake
from adapters.discord.people import DiscordPeople
from adapters.discord.picks import DiscordPicks, favourites_command
from adapters.discord.status_lookup import end_status
from adapters.discord.surface import DiscordThread, fit
from bot.consent.gate import ConsentGate
from bot.downloads import Downloader
from bot.export.publish import Exports
from bot.followups import FollowUps
from bot.intake import JobIntake
from bot.jobs import PendingIntake, ThreadAddress
from bot.my_data.links import MyDataLinks
from bot.picks import HeadshotPicks
from bot.ports import ChatAdapter, ExclusiveConnection
from bot.service import HeadshotService
from bot.worker_loop import WorkerLoop
from bot.workspace_admin import WorkspaceAdmin

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
RECONNECT_DELAY = 1.0
MAX_RECONNECT_DELAY = 60.0
# How the status messages the bot sends itself begin, in every language (a restart looks for them).
_STATUS_BEGINNINGS = ("⏳",)
STABLE_SECONDS = 60.0  # a connection that lasted this long starts the next pause from the first step


class DiscordAdapter:
    """The bot on Discord: commands over the gateway, deliveries over REST with the bot token."""

    def __init__(self, client: HeadshotClient, surface: DiscordThread, token: str) -> None:
        self.client = client
        self.surface = surface
        self._token = token
        self.people = DiscordPeople(client)  # names for the favourites export
        self.intake: DiscordIntake | None = None  # the commands' way to jobs (set by `build`)
        self._gateway: asyncio.Task[None] | None = None
        self._reconnecting = False
        self._stopping = False
        client.event(self.on_ready)
        client.event(self.on_resumed)
        # The gateway delivers each interaction to one connection: one replica may hold it.
        self._holding = False  # whether this process holds the gateway lease
        self.exclusive: ExclusiveConnection | None = Gateway(self)

    @classmethod
    def build(
        cls,
        *,
        token: str,
        api_base_url: str,
        guild_ids: Sequence[int],
        service: HeadshotService,
        intake: JobIntake,
        follow_ups: FollowUps,
        downloader: Downloader,
        picks: HeadshotPicks | None = None,
        admin: WorkspaceAdmin,
        exports: Exports,
        consents: ConsentGate,
        my_data: MyDataLinks,
    ) -> DiscordAdapter:
        """Build the client, its commands, its follow-up components and the surface; nothing connects yet."""
        aim_discord_py_for_this_process(rest_root=api_base_url)
        client = HeadshotClient(guild_ids=guild_ids)
        surface = DiscordThread(client)
        consent = DiscordConsent(consents, client)
        client.consent = consent
        client.follow_ups = DiscordFollowUps(follow_ups, surface, consent)
        intake_here = DiscordIntake(intake, service, downloader, surface, consent)
        install_commands(client.tree, service, intake_here, admin, exports, my_data)
        if picks is not None:
            client.picks = DiscordPicks(picks)
            client.tree.add_command(favourites_command(client.picks))
        adapter = cls(client, surface, token)
        adapter.intake = intake_here
        return adapter

    def install_routes(self, app: web.Application) -> None:
        """Discord reaches the bot over the gateway: no HTTP routes."""

    async def login(self) -> None:
        """Log in over REST and sync the commands: enough for deliveries and for handling interactions."""
        if self.client.user is None:
            await self.client.login(self._token)

    async def start(self) -> None:
        """Log in over REST: every replica delivers; only the lease holder opens the gateway (`exclusive`)."""
        await self.login()

    async def start_work(self) -> None:
        """Behind the answers: log in over REST for deliveries; the commands are the answering twin's to sync."""
        self.client.sync_at_login = False
        await self.login()

    def hand_off(self, behind: ChatAdapter, worker: WorkerLoop) -> None:
        """Discord's interactions are answered and worked on where the gateway runs; the job runner, and
        with it every delivery, runs behind (on `behind`'s surface)."""

    async def open_gateway(self) -> None:
        """Connect to the gateway in a background task; returns once connected (or still trying)."""
        self._holding = True
        await self.login()
        gateway = await use_gateway_of(self.client)
        self._gateway = asyncio.create_task(self._run_gateway(), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({self._gateway, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._gateway in done:
                self._gateway.result()  # raises why the connection ended
            log.warning("the Discord gateway at %s is slow to get ready; still trying", gateway.host)
            return
        log.info("connected to Discord as %s", self.client.user)

    async def _run_gateway(self) -> None:
        """Hold the gateway connection. discord.py reconnects by itself only after network errors;
        anything else raised while it reads an event (a payload it cannot parse) ends its loop, so
        the connection is dropped and made again here, after a pause that grows while it keeps failing."""
        failures = 0
        while not self.client.is_closed():
            connected_at = time.monotonic()
            try:
                await self.client.connect(reconnect=True)
            except Exception as exc:
                if self.client.is_closed():
                    if not self._stopping:  # Discord refused us for good (a revoked token, say)
                        log.error("the Discord gateway closed the connection for good: %s", exc)
                    return
                stable = time.monotonic() - connected_at > STABLE_SECONDS
                failures = 1 if stable else failures + 1
                delay = min(MAX_RECONNECT_DELAY, RECONNECT_DELAY * 2 ** (failures - 1))
                if failures == 1:  # once per outage; the traceback says what discord.py could not take
                    log.error("the Discord gateway connection broke; reconnecting (%s)", type(exc).__name__,
                              exc_info=exc)
                await self._drop_socket()
                self._reconnecting = True
                await asyncio.sleep(delay)
            else:
                return

    async def _drop_socket(self) -> None:
        ws = self.client.ws
        if ws is not None and ws.open:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=4000), timeout=5)

    async def on_ready(self) -> None:
        """discord.py's READY (and RESUMED) event: the gateway delivers again."""
        if self._reconnecting:
            log.info("reconnected to the Discord gateway")
        self._reconnecting = False

    async def on_resumed(self) -> None:
        """discord.py's RESUMED event: as READY."""
        await self.on_ready()

    async def tell(self, reply: ThreadAddress, text: str) -> None:
        """Tell the person behind a request cut short: in place of the command's deferred answer while its
        token lives (15 minutes), else by direct message."""
        if await self._answer(reply, text):
            return
        log.info("the answer to a request cut short has expired; telling its user directly")
        channel = await self.client.create_dm(discord.Object(id=int(str(reply["user_id"]))))
        await channel.send(fit(text))

    async def end_unrecorded_status(self, intake: PendingIntake, text: str) -> bool:
        """End a status the bot sent itself (in the person's direct messages, or in a followed job's thread)
        and whose id was never written down; the deferred answer says the same. False for a request whose
        status is the command's own answer: `tell` edits that one."""
        reply = intake.reply
        try:
            if reply.get("status_channel_id"):
                channel_id = int(str(reply["status_channel_id"]))
            elif reply.get("private"):
                channel_id = (await self.client.create_dm(discord.Object(id=int(str(reply["user_id"]))))).id
            else:
                return False
            if not await end_status(self.client, channel_id, intake, text, _STATUS_BEGINNINGS):
                return False
        except discord.HTTPException as exc:
            log.info("could not look for the status of a request cut short: %s %s", exc.status, exc.text)
            return False
        await self._answer(reply, text)
        return True

    async def _answer(self, reply: ThreadAddress, text: str) -> bool:
        """Replace the command's deferred answer with `text`; False once its token has expired."""
        route = discord.http.Route(
            "PATCH", "/webhooks/{application_id}/{token}/messages/@original",
            application_id=str(reply["application_id"]), token=str(reply["token"]),
        )
        try:
            await self.client.http.request(route, json={"content": fit(text), "allowed_mentions": {"parse": []}})
        except discord.HTTPException as exc:
            log.info("could not replace the answer to a request cut short (%s)", exc.status)
            return False
        return True

    async def health(self) -> str:
        """"ok" while the gateway connection is open and ready, "standby" while another replica holds
        it (this one delivers over REST), else what it is doing."""
        if not self._holding:
            return "standby"
        if self._gateway is None or self._gateway.done():
            return "not connected"
        ws = self.client.ws
        if ws is None or not ws.open or not self.client.is_ready() or self._reconnecting:
            return "reconnecting" if self._reconnecting else "connecting"
        return "ok"

    async def close_gateway(self) -> None:
        """Leave the gateway at once; REST (deliveries) keeps working."""
        self._holding = False
        gateway, self._gateway = self._gateway, None
        if gateway is not None:
            gateway.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await gateway
        ws = self.client.ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1000), timeout=5)
            log.info("left Discord's gateway")

    async def stop(self) -> None:
        """Close the gateway connection and the REST client."""
        self._stopping = True
        await self.close_gateway()
        await self.client.close()


class Gateway:
    """The adapter's gateway connection as an `ExclusiveConnection`."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self._adapter = adapter

    async def open(self) -> None:
        """Connect to the gateway."""
        await self._adapter.open_gateway()

    async def close(self) -> None:
        """Leave the gateway at once."""
        await self._adapter.close_gateway()
