"""Links to a person's data export: 192 random bits in the link, their SHA-256 in the store, 24 hours."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.consent.records import DataExportLink
from bot.gallery.tokens import new_token, same_hash, token_hash, well_formed
from bot.i18n import t
from bot.ports import DataExports

EXPORT_VALID_S = 24 * 3600.0
PREFIX = "/my-data"


class MyDataLinks:
    """Issues a person's export link (or says why there is none) and finds the owner behind a token."""

    def __init__(self, exports: DataExports, *, base_url: str | None, clock: Callable[[], float] = time.time) -> None:
        self._exports = exports
        self.base_url = base_url.rstrip("/") if base_url else None
        self._clock = clock

    async def answer(self, owner: str, locale: str | None = None) -> str:
        """The sentence a person gets for asking for their data: a new link, or why there can be none."""
        if self.base_url is None:
            return t(
                locale,
                "I can't give you a download link: this bot has no public web address "
                "(PUBLIC_BASE_URL), so ask its operator for a copy of your data.",
            )
        token = new_token()
        now = self._clock()
        await self._exports.add_data_export_link(DataExportLink(owner, token_hash(token), now, now + EXPORT_VALID_S))
        return t(
            locale,
            "Here is everything I keep about you, in one zip (the link works for 24 hours, for anyone "
            "who has it, so keep it to yourself): {url}",
            url=f"{self.base_url}{PREFIX}/{token}.zip",
        )

    async def owner_of(self, token: str) -> str | None:
        """Whose export a token opens, or None: a wrong or expired token, or a forgotten person."""
        if not well_formed(token):
            return None
        link = await self._exports.data_export_link(token_hash(token), self._clock())
        if link is None or not same_hash(link.token_hash, token):
            return None
        return link.owner
