"""What a workspace's admins decide for everyone in it, and the one rule about who decides.

Only an admin of a workspace changes its settings (its brand kit, how long it keeps photos and
results); the adapters only answer whether the person asking is one (`bot.chat.AdminCheck`).
Kits are read on every request, so each process keeps them a few seconds: a change reaches
every replica within `KIT_CACHE_S`, and at once on the replica that saved it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.brand_kit import BrandKit
from bot.defaults import QUICK_READ_S
from bot.errors import StoreUnavailable, UserError
from bot.i18n import t
from bot.ports import AdminCheck, BrandKits
from bot.workspace_retention import KeepFor, RetentionRules

KIT_CACHE_S = 5.0


class NotAdmin(UserError):
    """Someone who is not an admin of the workspace tried to change its settings."""


class WorkspaceKits:
    """Each workspace's brand kit as the intake, the forms and the buttons read it (briefly cached)."""

    def __init__(self, kits: BrandKits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._kits = kits
        self._clock = clock
        self._cached: dict[str, tuple[float, BrandKit]] = {}

    async def kit(self, workspace: str) -> BrandKit:
        """The workspace's kit (an open one when none is set); raises when the store cannot say."""
        now = self._clock()
        cached = self._cached.get(workspace)
        if cached is not None and now - cached[0] < KIT_CACHE_S:
            return cached[1]
        kit = await self._kits.brand_kit(workspace) or BrandKit()
        self._cached[workspace] = (now, kit)
        return kit

    async def quick_kit(self, workspace: str) -> BrandKit:
        """The kit for a form opened within a platform's few seconds: an open kit when the store is slow
        (starting the job then checks the real one)."""
        try:
            return await asyncio.wait_for(self.kit(workspace), QUICK_READ_S)
        except (StoreUnavailable, TimeoutError):
            return BrandKit()

    async def save(self, workspace: str, kit: BrandKit, by: str) -> None:
        """Store a new kit and use it here at once."""
        await self._kits.save_brand_kit(workspace, kit, by)
        self._cached[workspace] = (self._clock(), kit)


class WorkspaceAdmin:
    """Changes to a workspace's settings, each allowed to its admins alone."""

    def __init__(self, kits: WorkspaceKits, retention: RetentionRules) -> None:
        self.kits = kits
        self.retention = retention

    async def require_admin(self, asker: AdminCheck, locale: str | None = None) -> None:
        """Raise `NotAdmin` (one sentence) unless the person asking is an admin of the workspace."""
        if not await asker.is_admin():
            raise NotAdmin(t(locale, "Only this workspace's admins can change its headshot settings."))

    async def save_kit(
        self, workspace: str, kit: BrandKit, asker: AdminCheck, by: str, locale: str | None = None
    ) -> None:
        """Set the workspace's brand kit, if the person asking is one of its admins."""
        await self.require_admin(asker, locale)
        await self.kits.save(workspace, kit, by)

    async def save_retention(
        self, workspace: str, keep: KeepFor, asker: AdminCheck, by: str, locale: str | None = None
    ) -> KeepFor:
        """Shorten (or give back to the operator's) how long the workspace keeps photos and results, if
        the person asking is one of its admins; returns the keep now in force. Raises `KeepError` for a
        longer keep than the operator's."""
        await self.require_admin(asker, locale)
        stored = self.retention.checked(keep, locale)
        await self.retention.save(workspace, stored, by)
        return await self.retention.in_force(workspace)
