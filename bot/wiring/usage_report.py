"""`headshot-bot usage [--workspace ID]`: every workspace's and user's use of the quotas, as a table."""

from __future__ import annotations

from bot.quota_guard import QuotaGuard
from bot.usage import usage_table
from bot.wiring.settings import Settings
from storage.sqlite import SqliteJobStore


async def usage_report(settings: Settings, workspace: str | None = None) -> str:
    """The operator's usage table for today and this month (UTC), one workspace or all."""
    store = await SqliteJobStore.open(settings.database_path)
    try:
        rows = await QuotaGuard(settings.quotas, store).report(workspace)
    finally:
        await store.close()
    if not rows:
        where = f"workspace {workspace}" if workspace else "any workspace"
        return f"No headshots were counted for {where} this month."
    return usage_table(rows)
