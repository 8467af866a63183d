"""Each user's saved default options and provider, and how they meet what a request says."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from bot.catalog import ProviderCatalog
from bot.errors import StoreUnavailable, UserError
from bot.options import Options
from bot.ports import Preferences
from bot.request import RequestError

# Reads made before a platform's acknowledgement (or a trigger that expires in 3 s) get this long.
QUICK_READ_S = 1.0


class UserDefaults:
    """Saved defaults, read with the bot's own defaults as the fallback."""

    def __init__(self, preferences: Preferences, catalog: ProviderCatalog) -> None:
        self._preferences = preferences
        self._catalog = catalog

    async def get(self, owner: str) -> tuple[Options, str]:
        """An owner's saved default options and provider (or the bot's defaults).

        Forms open on these within a platform's few seconds: a store that does not answer at once
        gets the bot's defaults instead (saving, or starting a job, will then say what is wrong).
        """
        try:
            saved = await asyncio.wait_for(self._preferences.user_defaults(owner), QUICK_READ_S)
        except (StoreUnavailable, TimeoutError):
            saved = None
        if saved is None:
            return Options(), self._catalog.default
        values, provider = saved
        try:
            options = Options.from_dict(values)
        except UserError:  # saved under an older set of choices
            options = Options()
        if provider is None or provider not in self._catalog:
            provider = self._catalog.default
        return options, provider

    async def save(self, owner: str, options: Options, provider: str | None) -> None:
        """Remember an owner's defaults; a provider this bot does not run is refused."""
        if provider is not None and provider not in self._catalog:
            raise RequestError(self._catalog.unknown(provider))
        await self._preferences.save_user_defaults(owner, options.to_dict(), provider)

    async def apply(self, owner: str, values: Mapping[str, object], provider: str | None) -> tuple[Options, str]:
        """The options and provider of a request: what it says explicitly, the owner's defaults for the rest."""
        saved, saved_provider = await self.get(owner)
        return Options.from_dict(values, base=saved), provider or saved_provider
