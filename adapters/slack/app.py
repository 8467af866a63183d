"""The Slack adapter: a Bolt app on the shared aiohttp server (HTTP) or over Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from adapters.slack.commands import register_commands
from adapters.slack.files import SlackFileTransfer
from adapters.slack.intake import Intake
from adapters.slack.mentions import register_mentions
from adapters.slack.runtime import Runtime
from adapters.slack.submissions import register_submissions
from adapters.slack.surface import SlackThread, web_client
from bot.chat import ChatSurface
from bot.service import HeadshotService
from bot.settings import Settings
from bot.web import read_body

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
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


class SlackAdapter:
    """Slack plugged into `serve` (`bot.chat.ChatAdapter`): listeners, surface, route, socket."""

    def __init__(
        self,
        service: HeadshotService,
        *,
        bot_token: str,
        signing_secret: str | None,
        app_token: str | None = None,
        api_base_url: str = "https://slack.com/api/",
        on_rate_limited: Callable[[], None] = lambda: None,
    ) -> None:
        # One connection pool for every Web API call (Bolt's per-request clients share it too).
        self._session = aiohttp.ClientSession()
        client = web_client(bot_token, api_base_url, self._session, on_rate_limited)
        self.transfer = SlackFileTransfer(bot_token, api_base_url, max_bytes=service.max_photo_bytes)
        self.surface: ChatSurface = SlackThread(client, self.transfer)
        self.runtime = Runtime(service, client, Intake(service, client, self.transfer))
        self.signing_secret = signing_secret
        self.app_token = app_token
        # Bolt would read SLACK_* from the environment for missing values: pass everything explicitly.
        # Without a signing secret (Socket Mode only) the HTTP route is not installed at all.
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret or "",
            process_before_response=False,
            request_verification_enabled=signing_secret is not None,
        )
        self.app.error(answer_malformed)
        register_commands(self.app, self.runtime)
        register_submissions(self.app, self.runtime)
        register_mentions(self.app, self.runtime)
        self._socket: AsyncSocketModeHandler | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, service: HeadshotService, on_rate_limited: Callable[[], None] = lambda: None
    ) -> SlackAdapter:
        """The adapter for the configured tokens; `on_rate_limited` is called for each 429 from the Web API."""
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        secret = settings.slack_signing_secret
        app_token = settings.slack_app_token
        return cls(
            service,
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=secret.get_secret_value() if secret else None,
            app_token=app_token.get_secret_value() if app_token else None,
            api_base_url=settings.slack_api_base_url,
            on_rate_limited=on_rate_limited,
        )

    @property
    def socket_mode(self) -> bool:
        """Whether Slack reaches us over a socket rather than HTTP."""
        return self.app_token is not None

    def install_routes(self, app: web.Application) -> None:
        """`POST /slack/events`: every signed Slack request (commands, interactivity, events)."""
        if self.signing_secret is None:
            return

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
                return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
            except MALFORMED as exc:
                log.warning("refused a malformed Slack request: %s", type(exc).__name__)
                return web.Response(status=400, text="malformed request body")

        app.router.add_post(EVENTS_PATH, slack_events)

    async def start(self) -> None:
        """Connect over Socket Mode when an app token is configured (HTTP needs nothing)."""
        if self.app_token is not None and self._socket is None:
            self._socket = AsyncSocketModeHandler(self.app, app_token=self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected over Socket Mode")

    async def stop(self) -> None:
        """Disconnect, stop background work and close connections."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.runtime.tasks.cancel()
        await self.transfer.close()
        await self._session.close()

    async def idle(self) -> None:
        """Wait for work started after acknowledgements to finish (tests and shutdown use it)."""
        await self.runtime.tasks.drain()
