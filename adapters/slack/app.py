"""The Slack adapter: a Bolt app on the shared aiohttp server (HTTP) or over Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.signature import SignatureVerifier

from adapters.slack.admin import register_admin
from adapters.slack.campaign_messages import SlackCampaignMessenger
from adapters.slack.campaigns import register_campaigns
from adapters.slack.commands import register_commands
from adapters.slack.consent import SlackConsent, register_consent
from adapters.slack.context import ListenerContext
from adapters.slack.export import register_export
from adapters.slack.files import SlackFileTransfer
from adapters.slack.followups import register_follow_ups
from adapters.slack.home import register_home
from adapters.slack.installations import SealedInstallationStore
from adapters.slack.intake import Origin, SlackIntake, owner_key
from adapters.slack.links import register_link_buttons
from adapters.slack.manifest import EVENTS_PATH
from adapters.slack.mentions import register_mentions
from adapters.slack.oauth import (
    REFRESH_MINUTES_BEFORE,
    OAuthConfig,
    install_oauth_routes,
    oauth_settings,
    register_removal,
)
from adapters.slack.people import SlackPeople
from adapters.slack.picks import SlackPicks, register_picks
from adapters.slack.profile_photo import SlackProfilePhotos
from adapters.slack.status_lookup import find_status
from adapters.slack.submissions import register_submissions
from adapters.slack.surface import SlackThread
from adapters.slack.user_auth import SlackUserAuth, UserAuthConfig
from adapters.slack.user_tokens import SlackUserTokens
from adapters.slack.web_api import web_client
from adapters.slack.workspaces import InstalledWorkspaces, OneWorkspace, Workspaces
from bot.campaigns.desk import CampaignDesk
from bot.consent.gate import ConsentGate
from bot.export.publish import Exports
from bot.followups import FollowUps
from bot.home import HomePages
from bot.intake import JobIntake
from bot.jobs import PendingIntake, ThreadAddress
from bot.my_data.links import MyDataLinks
from bot.picks import HeadshotPicks
from bot.ports import ChatAdapter, ExclusiveConnection, ThreadGone
from bot.service import HeadshotService
from bot.web import read_body
from bot.worker_loop import WorkerLoop
from bot.workspace_admin import WorkspaceAdmin

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024
# What reading a payload without the fields and shapes Slack always sends raises, here or in Bolt
# (LookupError covers missing keys and list items; RecursionError, JSON nested too deep).
MALFORMED = (ValueError, LookupError, TypeError, AttributeError, RecursionError)


def is_signed(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the raw body carries Slack's signature from the last five minutes."""
    try:
        return verifier.is_valid(
            body=body,
            timestamp=headers.get("X-Slack-Request-Timestamp"),
            signature=headers.get("X-Slack-Signature"),
        )
    except ValueError:  # a timestamp that is not a number
        return False


async def answer_malformed(error: Exception, logger: logging.Logger) -> BoltResponse | None:
    """A listener that failed on a malformed payload answers 400; any other failure stays a 500."""
    if isinstance(error, MALFORMED):
        logger.warning("refused a malformed Slack payload: %r", error)
        return BoltResponse(status=400, body="malformed payload")
    logger.error("a Slack listener failed", exc_info=error)
    return None


def one_token_authorize(token: str) -> Callable[[AsyncBoltContext], Awaitable[AuthorizeResult]]:
    """Bolt's authorize for one workspace: the bot token, its `auth.test` answer asked once."""
    known: list[AuthorizeResult] = []

    async def authorize(context: AsyncBoltContext) -> AuthorizeResult:
        if not known:
            answer = await context.client.auth_test(token=token)
            known.append(AuthorizeResult.from_auth_test_response(auth_test_response=answer, bot_token=token))
        return known[0]

    return authorize


class SlackAdapter:
    """Slack plugged into `serve` (`bot.ports.ChatAdapter`): listeners, surface, route, socket.

    With `bot_token` it serves one workspace; with `oauth` instead, every workspace that installs
    it, each with its own token.
    """

    def __init__(
        self,
        service: HeadshotService,
        intake: JobIntake,
        follow_ups: FollowUps,
        *,
        consents: ConsentGate,
        my_data: MyDataLinks,
        bot_token: str | None = None,
        signing_secret: str | None,
        app_token: str | None = None,
        api_base_url: str = "https://slack.com/api/",
        admin: WorkspaceAdmin,
        homes: HomePages,
        campaigns: CampaignDesk,
        exports: Exports,
        oauth: OAuthConfig | None = None,
        on_rate_limited: Callable[[], None] = lambda: None,
        picks: HeadshotPicks | None = None,
        user_auth: UserAuthConfig | None = None,
    ) -> None:
        if (bot_token is None) == (oauth is None):
            raise ValueError("Slack needs either a bot token or OAuth settings")
        # One connection pool for every Web API call (Bolt's per-request clients share it too).
        self._session = aiohttp.ClientSession()
        # No token here: each request (and each call for a job) brings its workspace's own.
        api = web_client(None, api_base_url, self._session, on_rate_limited)
        self.transfer = SlackFileTransfer(api_base_url, max_bytes=intake.max_photo_bytes)
        self.installations: SealedInstallationStore | None = None
        self.signing_secret = signing_secret
        self.app_token = app_token if oauth is None else None  # many workspaces means HTTP events
        # Bolt would read SLACK_* from the environment for missing values: pass everything explicitly.
        # Without a signing secret (Socket Mode only) the HTTP route is not installed at all.
        if oauth is None:
            assert bot_token is not None
            self.workspaces: Workspaces = OneWorkspace(bot_token, api_base_url, self._session, on_rate_limited)
            # An explicit authorize: with SLACK_CLIENT_ID in the environment Bolt would otherwise
            # start its own install flow and drop the bot token.
            self.app = AsyncApp(
                client=api,
                authorize=one_token_authorize(bot_token),
                signing_secret=signing_secret or "",
                process_before_response=False,
                request_verification_enabled=signing_secret is not None,
            )
        else:
            settings, self.installations = oauth_settings(oauth, api)
            self.workspaces = InstalledWorkspaces(
                self.installations,
                AsyncTokenRotator(client_id=oauth.client_id, client_secret=oauth.client_secret, client=api),
                api_base_url,
                self._session,
                on_rate_limited,
                refresh_minutes_before=REFRESH_MINUTES_BEFORE,
            )
            self.app = AsyncApp(
                client=api, signing_secret=signing_secret or "", oauth_settings=settings, process_before_response=False
            )
        # People's own tokens, for "Set as my Slack photo" (with SLACK_CLIENT_ID/SECRET in either mode).
        self.user_tokens: SlackUserTokens | None = None
        self.user_auth: SlackUserAuth | None = None
        photos: SlackProfilePhotos | None = None
        if user_auth is not None:
            self.user_tokens = SlackUserTokens(user_auth.store, user_auth.secret_key)
            self.user_auth = SlackUserAuth(user_auth, user_auth.store, self.user_tokens, api)
            photos = SlackProfilePhotos(self.user_tokens, self.user_auth, api_base_url, self._session)
        self.surface = SlackThread(self.workspaces, self.transfer, profile_photos=photos is not None)
        consent = SlackConsent(consents, self.workspaces)
        slack = SlackIntake(intake, self.workspaces, self.transfer, self.surface, consent)
        self.people = SlackPeople(self.workspaces, locales=slack.locales)
        self.listeners = ListenerContext(service, intake, slack, self.people, admin, campaigns, my_data, follow_ups)
        if picks is not None:
            self.listeners.picks = SlackPicks(picks, photos)
        self.app.error(answer_malformed)
        register_commands(self.app, self.listeners)
        register_submissions(self.app, self.listeners)
        register_admin(self.app, self.listeners)
        self.home = register_home(self.app, self.listeners, homes)
        register_campaigns(self.app, self.listeners, campaigns)
        register_export(self.app, self.listeners, exports)
        self.messenger = SlackCampaignMessenger(self.workspaces)
        register_mentions(self.app, self.listeners)
        register_link_buttons(self.app)
        register_follow_ups(self.app, self.listeners)
        register_consent(self.app, self.listeners)
        if self.listeners.picks is not None:
            register_picks(self.app, self.listeners, self.listeners.picks)
        if self.installations is not None or self.user_tokens is not None:
            register_removal(self.app, self.installations, self._workspace_removed, self.user_tokens)
        self._socket: AsyncSocketModeHandler | None = None
        # Slack spreads events over every socket and HTTP request: nothing here is one per deployment.
        self.exclusive: ExclusiveConnection | None = None

    async def _workspace_removed(self, team: str) -> None:
        ended = await self.listeners.service.end_jobs_quietly(owner_key(team, ""))
        if ended:
            log.info("workspace %s: %d unfinished jobs ended without a word (nothing to post to)", team, ended)

    @property
    def socket_mode(self) -> bool:
        """Whether Slack reaches us over a socket rather than HTTP."""
        return self.app_token is not None

    def install_routes(self, app: web.Application) -> None:
        """`POST /slack/events`: every signed Slack request (commands, interactivity, events);
        in OAuth mode also `GET /slack/install` and `GET /slack/oauth_redirect`; with people's own
        tokens, `GET /slack/user-auth` and its callback (Socket Mode too)."""
        if self.user_auth is not None:
            self.user_auth.install(app)
        if self.signing_secret is None:
            return
        if self.installations is not None:
            install_oauth_routes(app, self.app)

        verifier = SignatureVerifier(self.signing_secret)

        async def slack_events(request: web.Request) -> web.Response:
            try:
                body = await read_body(request, MAX_REQUEST_BYTES)
            except web.HTTPException as exc:
                return web.Response(status=exc.status, text=exc.reason)
            # The signature is checked on the raw bytes before anything parses them.
            if not is_signed(verifier, body, request.headers):
                return web.Response(status=401, text="invalid request signature")
            try:
                # Slack sends UTF-8 whatever the header says; Bolt's parsing and middleware assume
                # Slack's shapes (`"event": null` breaks them).
                bolt_request = AsyncBoltRequest(
                    body=body.decode("utf-8"), query=request.query_string, headers=dict(request.headers)
                )
                with self.listeners.tasks.answering.one():
                    answer = await self.app.async_dispatch(bolt_request)
                return await to_aiohttp_response(answer)
            except MALFORMED as exc:
                log.warning("refused a malformed Slack request: %s", type(exc).__name__)
                return web.Response(status=400, text="malformed request body")

        app.router.add_post(EVENTS_PATH, slack_events)

    async def start(self) -> None:
        """Connect over Socket Mode when an app token is configured (HTTP needs nothing); in OAuth
        mode, say once if stored installations cannot be opened with this SECRET_KEY."""
        if self.installations is not None:
            unreadable = await self.installations.unreadable()
            if unreadable:
                log.error(
                    "%d stored Slack installations cannot be decrypted with this SECRET_KEY (was it changed?): "
                    "%s. Those workspaces count as not installed until they install the app again.",
                    len(unreadable), ", ".join(unreadable[:10]) + (" and more" if len(unreadable) > 10 else ""),
                )
        if self.app_token is not None and self._socket is None:
            self._socket = AsyncSocketModeHandler(self.app, app_token=self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected over Socket Mode")

    async def start_work(self) -> None:
        """Behind the answers Slack needs nothing connected: every call carries its token."""

    def hand_off(self, behind: ChatAdapter, worker: WorkerLoop) -> None:
        """Run what follows each acknowledgement on `behind` (a `SlackAdapter` on `worker`'s loop)."""
        if not isinstance(behind, SlackAdapter):
            raise TypeError("Slack's work goes to a Slack adapter")
        self.listeners.tasks.hand_to(behind.listeners.tasks, worker)

    async def stop(self) -> None:
        """Disconnect, stop background work and close connections."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.listeners.tasks.cancel()
        await self.transfer.close()
        await self._session.close()

    async def tell(self, reply: ThreadAddress, text: str) -> None:
        """Tell the person behind a request cut short, where they asked (`Origin.to_json`)."""
        await self.listeners.slack.tell(Origin.from_json(reply), text)

    async def end_unrecorded_status(self, intake: PendingIntake, text: str) -> bool:
        """Find the status message of a request cut short by the metadata it carries, where the request
        was made or in the person's direct messages (private, or where the channel was closed to the
        bot), and set `text` on it."""
        origin = Origin.from_json(intake.reply)
        slack = self.listeners.slack
        try:
            client = await self.workspaces.client(origin.installed_team)
            places: list[tuple[str, str | None]] = [(origin.channel, origin.thread_ts)]
            found = await find_status(client, origin.installed_team, places, intake.id, intake.created_at)
            if found is None and not origin.channel.startswith("D"):
                dm = await slack.open_dm(client, origin.user)
                found = await find_status(client, origin.installed_team, [(dm, None)], intake.id, intake.created_at)
            if found is None:
                return False
            await self.surface.show_status(found, text)
        except (ThreadGone, SlackApiError) as exc:  # the person is told where they asked instead
            log.info("could not end the status of a request cut short: %s", type(exc).__name__)
            return False
        return True

    async def health(self) -> str:
        """HTTP needs nothing held open ("ok"); Socket Mode is "ok" while its socket is connected."""
        if not self.socket_mode:
            return "ok"
        if self._socket is None:
            return "not connected"
        return "ok" if await self._socket.client.is_connected() else "reconnecting"

    async def idle(self) -> None:
        """Wait for work started after acknowledgements to finish (tests and shutdown use it)."""
        await self.listeners.tasks.drain()
