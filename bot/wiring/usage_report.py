"""`headshot-bot usage [--workspace ID]`: every workspace's and user's use of the quotas, as a table."""

from __future__ import annotations

from bot.quota_guard import QuotaGuard
from bot.usage import usage_table
from bot.wiring.settings import Settings
from bot.wiring.stores import open_storage


async def usage_report(settings: Settings, workspace: str | None = None) -> str:
    """The operator's usage table for today and this month (UTC), one workspace or all, from the store
    DATABASE_URL (or DATA_DIR) names."""
    storage = await open_storage(settings, serving=False)
    try:
        rows = await QuotaGuard(settings.quotas, storage.store).report(workspace)
    finally:
        await storage.close()
    if not rows:
        where = f"workspace {workspace}" if workspace else "any workspace"
        return f"No headshots were counted for {where} this month."
    return usage_table(rows)
