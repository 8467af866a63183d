"""Who a Discord user is (`bot.chat.PeopleDirectory`): their display name, from the REST API, remembered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord

from adapters.discord.intake import OWNER_PREFIX
from bot.ports import Person

log = logging.getLogger(__name__)

LOOKUPS_AT_ONCE = 4


class DiscordPeople:
    """Names by user id: the client's cache first, else `GET /users/{id}`."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._known: dict[int, str] = {}

    async def people(self, owners: Sequence[str]) -> dict[str, Person]:
        """Each Discord owner's display name (their id when Discord cannot say)."""
        gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

        async def one(owner: str) -> tuple[str, Person]:
            user_id = owner.removeprefix(OWNER_PREFIX)
            async with gate:
                return owner, Person(await self._name(int(user_id)), user_id)

        return dict(await asyncio.gather(*(one(o) for o in owners if o.removeprefix(OWNER_PREFIX).isdigit())))

    async def _name(self, user_id: int) -> str:
        if user_id in self._known:
            return self._known[user_id]
        user = self._client.get_user(user_id)
        if user is None:
            try:
                user = await self._client.fetch_user(user_id)
            except discord.HTTPException as exc:
                log.info("Discord could not name a user: %s", exc.status)
                return str(user_id)
        self._known[user_id] = user.global_name or user.name
        return self._known[user_id]
