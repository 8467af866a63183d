"""Each Slack user's language, from `users.info(include_locale=true)`, kept a while per user.

Slack tells no language in commands, actions or events: `users.info` does (`user.locale`, e.g.
"de-DE"), at Tier 4. It is asked once per user and kept for `ttl_s` (a person rarely changes
it), in a bounded cache; requests from one user at the same moment share one call. When Slack
cannot say (a missing `users:read` scope, an error), the person reads English, and Slack is
asked again only after a short while.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

TTL_S = 6 * 3600.0
UNKNOWN_TTL_S = 300.0
MAX_USERS = 10_000
# A lookup made before an acknowledgement (a help text) waits at most this long.
QUICK_S = 1.0


class UserLocales:
    """A bounded cache of (team, user) → locale, filled from `users.info`."""

    def __init__(
        self,
        client_for: Callable[[str], Awaitable[AsyncWebClient]],
        *,
        ttl_s: float = TTL_S,
        max_users: int = MAX_USERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_for = client_for
        self._ttl_s = ttl_s
        self._max_users = max_users
        self._clock = clock
        self._known: OrderedDict[tuple[str, str], tuple[str | None, float]] = OrderedDict()
        self._asking: dict[tuple[str, str], asyncio.Future[str | None]] = {}

    def cached(self, team: str, user: str) -> str | None:
        """The user's locale if it is known and fresh, without asking Slack."""
        found = self._known.get((team, user))
        return found[0] if found is not None and found[1] > self._clock() else None

    async def of(self, team: str, user: str, client: AsyncWebClient | None = None) -> str | None:
        """The user's locale ("de-DE"), asking Slack only when it is not known; None when Slack can't say.

        `team` is the workspace whose installation answers; `client` (a request's own, carrying that
        workspace's token) asks, else one made for `team`."""
        key = (team, user)
        found = self._known.get(key)
        if found is not None and found[1] > self._clock():
            self._known.move_to_end(key)
            return found[0]
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask(team, user, client))
            asking.add_done_callback(lambda _done: self._asking.pop(key, None))
        return await asyncio.shield(asking)

    async def quickly(self, team: str, user: str, client: AsyncWebClient | None = None) -> str | None:
        """`of`, but never longer than `QUICK_S` (None then; the answer is kept for next time)."""
        try:
            return await asyncio.wait_for(self.of(team, user, client), QUICK_S)
        except TimeoutError:
            return None

    async def _ask(self, team: str, user: str, client: AsyncWebClient | None) -> str | None:
        locale: str | None = None
        ttl = UNKNOWN_TTL_S
        try:
            client = client or await self._client_for(team)
            answer = await client.users_info(user=user, include_locale=True)
            found = (answer.get("user") or {}).get("locale")
            if isinstance(found, str) and found:
                locale, ttl = found, self._ttl_s
        except SlackApiError as exc:
            log.info("Slack did not say a user's language (%s); English it is", exc.response.get("error"))
        except Exception as exc:  # the language is a nicety: never a reason to fail a request
            log.warning("could not look up a user's language: %s", type(exc).__name__)
        self.remember(team, user, locale, ttl)
        return locale

    def remember(self, team: str, user: str, locale: str | None, ttl: float | None = None) -> None:
        """Keep a user's locale learnt elsewhere (another `users.info` answer with `include_locale`)."""
        self._known[(team, user)] = (locale, self._clock() + (self._ttl_s if ttl is None else ttl))
        self._known.move_to_end((team, user))
        while len(self._known) > self._max_users:
            self._known.popitem(last=False)
