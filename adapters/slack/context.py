"""What the Slack listeners share: the core's service, intake and data links, Slack's side of intake (its
consent question too), background tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adapters.slack.intake import SlackIntake
from adapters.slack.people import SlackPeople
from bot.campaigns.desk import CampaignDesk
from bot.intake import JobIntake
from bot.my_data.links import MyDataLinks
from bot.service import HeadshotService
from bot.workspace_admin import WorkspaceAdmin

if TYPE_CHECKING:
    from adapters.slack.picks import SlackPicks

log = logging.getLogger(__name__)


class BackgroundTasks:
    """Work started after Slack was acknowledged; references are kept so tasks are not collected."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` in the background; its failure is logged, never lost silently."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until no background work is left (work may start more work)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self, grace: float = 10.0) -> None:
        """At shutdown: let running work finish for `grace` seconds, then stop it."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class ListenerContext:
    """What every listener works with; work after the acknowledgement goes to `tasks`."""

    service: HeadshotService
    intake: JobIntake
    slack: SlackIntake
    people: SlackPeople
    admin: WorkspaceAdmin
    campaigns: CampaignDesk
    my_data: MyDataLinks
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    picks: SlackPicks | None = None  # favourites and profile photos, when the core offers them
