"""Who a Slack user is, from `users.info`: whether they administer the team, and their name.

Slack's Tier 4 limit is generous, but a campaign's roster or an export names hundreds of
people, and every admin form asks again: answers are kept per team and user for a while.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.ports import Person

if TYPE_CHECKING:
    from adapters.slack.locales import UserLocales
    from adapters.slack.workspaces import Workspaces

log = logging.getLogger(__name__)

PERSON_TTL_S = 600.0
LOOKUPS_AT_ONCE = 8  # users.info is Tier 4: a few at once keeps an export of many people quick and polite


@dataclass(frozen=True)
class SlackPerson:
    """What the bot needs to know about a Slack user."""

    user: str
    name: str  # the name people see: display name, else real name, else the handle
    is_admin: bool  # an admin, owner or primary owner of the team


def person_from(user: str, answer: dict[str, Any]) -> SlackPerson:
    """A person from `users.info`'s `user` object."""
    profile: dict[str, Any] = answer.get("profile") or {}
    name = (
        str(profile.get("display_name") or "").strip()
        or str(answer.get("real_name") or "").strip()
        or str(profile.get("real_name") or "").strip()
        or str(answer.get("name") or "").strip()
        or user
    )
    admin = any(bool(answer.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner"))
    return SlackPerson(user=user, name=name, is_admin=admin)


class SlackPeople:
    """`users.info` per team and user, each answer kept `ttl_s` seconds."""

    def __init__(
        self,
        workspaces: Workspaces,
        *,
        ttl_s: float = PERSON_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        locales: UserLocales | None = None,
    ) -> None:
        self._workspaces = workspaces
        self._ttl_s = ttl_s
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, SlackPerson]] = {}
        # A person's answer also tells their language (the language's own lookups never stand in for
        # this one: who is an admin is read afresh when the cache runs out, not from a language lookup).
        self._locales = locales

    async def person(self, team: str, user: str) -> SlackPerson:
        """The user as the team knows them; raises `SlackApiError` when Slack cannot say."""
        now = self._clock()
        known = self._known.get((team, user))
        if known is not None and now - known[0] < self._ttl_s:
            return known[1]
        client = await self._workspaces.client(team)
        answer = await client.users_info(user=user, include_locale=True)
        described = dict(answer.get("user") or {})
        person = person_from(user, described)
        self._known[(team, user)] = (now, person)
        if self._locales is not None and isinstance(described.get("locale"), str):
            self._locales.remember(team, user, described["locale"])
        return person

    async def people(self, owners: Sequence[str]) -> dict[str, Person]:
        """`bot.chat.PeopleDirectory`: each Slack owner's name, a few `users.info` at a time."""
        gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

        async def one(owner: str) -> tuple[str, Person]:
            _surface, team, user = owner.split(":", 2)
            async with gate:
                return owner, Person(await self.name(team, user), user)

        return dict(await asyncio.gather(*(one(o) for o in owners if o.count(":") == 2)))

    async def name(self, team: str, user: str) -> str:
        """The user's name, or their id when Slack cannot say."""
        try:
            return (await self.person(team, user)).name
        except SlackApiError as exc:
            log.info("users.info could not name a user: %s", exc.response.get("error"))
            return user


@dataclass(frozen=True)
class SlackAdminCheck:
    """`bot.chat.AdminCheck` for one Slack user of one team."""

    people: SlackPeople
    team: str
    user: str

    async def is_admin(self) -> bool:
        """An admin, owner or primary owner of the team; not one when Slack cannot say."""
        try:
            return (await self.people.person(self.team, self.user)).is_admin
        except SlackApiError as exc:
            log.warning("users.info could not say whether a user is an admin: %s", exc.response.get("error"))
            return False
