"""The campaign worker: sends each person's invitation and reminder exactly once, paced per workspace.

Exactly once: a step is recorded `started` before its message is sent and `posted` after. A step
found `started` (its sender died in between, or the platform failed mid-way) is looked for in the
conversation before anything is sent again, and only once it is older than `stale_s`, so a
sender that is merely slow (another replica that lost its lease a moment ago) is not raced.

Paced: messages of one workspace go `min_interval_s` apart (the messenger knows its platform's
limits); a `RateLimited` answer pushes the workspace's next message back by its `retry_after`
and leaves the step to do. One process runs the worker at a time (`serve` holds a lease for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.campaigns.model import DueStep, Step, StepState
from bot.campaigns.words import invitation, open_button, reminder
from bot.ports import CampaignMessage, CampaignMessenger, CampaignStore, RateLimited, ThreadGone, Unreachable
from bot.workspace_admin import WorkspaceKits

log = logging.getLogger(__name__)

BATCH = 50
IDLE_POLL_S = 15.0
DEFAULT_STALE_S = 60.0
RETRY_AFTER_FAILURE_S = 5.0


class CampaignWorker:
    """Works through every campaign's due steps; `messengers` (by surface name) are added by the adapters."""

    def __init__(
        self,
        store: CampaignStore,
        kits: WorkspaceKits,
        *,
        stale_s: float = DEFAULT_STALE_S,
        idle_poll_s: float = IDLE_POLL_S,
        clock: Callable[[], float] = time.time,
        fault: Callable[[str], None] = lambda _point: None,
    ) -> None:
        self._store = store
        self._kits = kits
        self.messengers: dict[str, CampaignMessenger] = {}
        self.stale_s = stale_s
        self._idle_poll_s = idle_poll_s
        self.clock = clock
        self.fault = fault  # the fault-injection hook (`HEADSHOT_FAULT_POINT`)
        self._next_slot: dict[str, float] = {}  # workspace -> monotonic time its next message may go
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for due steps now (a campaign was started)."""
        self._wake.set()

    async def start(self) -> None:
        """Start working in the background (this process holds the campaigns' lease)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="campaigns")

    async def stop(self) -> None:
        """Stop at once; a step in flight is found `started` by whoever runs next."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Work until cancelled; a store that fails is tried again after a pause."""
        while True:
            try:
                done = await self.turn()
            except Exception:
                log.warning("campaigns: could not work through the due steps; trying again", exc_info=True)
                done, timeout = 0, RETRY_AFTER_FAILURE_S
            else:
                timeout = self._idle_poll_s
            if done:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()

    async def run_until_idle(self) -> None:
        """Work until no step is due now (tests and benchmarks)."""
        while await self.turn():
            pass

    async def turn(self) -> int:
        """Do the steps due now, a batch at a time; returns how many were acted on."""
        now = self.clock()
        acted = 0
        for due in await self._store.due_steps(now, now - self.stale_s, BATCH):
            messenger = self.messengers.get(due.campaign.surface)
            if messenger is not None:  # a platform not running here leaves its campaigns for later
                acted += await self._do(due, messenger)
        return acted

    async def _do(self, due: DueStep, messenger: CampaignMessenger) -> int:
        campaign, owner = due.campaign, due.person.invitee.owner
        if due.step is Step.REMIND and due.has_favourite:
            await self._store.set_step(campaign.id, owner, due.step, StepState.SKIPPED, self.clock())
            return 1
        if due.state is StepState.STARTED:
            await self._pace(campaign.workspace, messenger.min_interval_s)
            try:
                arrived = await messenger.was_sent(due.person.invitee.address, due.key)
            except ThreadGone:  # the workspace removed the app: nobody there can be reached
                await self._store.set_step(campaign.id, owner, due.step, StepState.FAILED, self.clock())
                return 1
            except Exception as exc:  # asked again next time
                log.warning("campaigns: could not look for a message sent before (%s)", exc)
                return 0
            if arrived:
                log.info("campaigns: a %s was already in the conversation", due.step.value)
                await self._store.set_step(campaign.id, owner, due.step, StepState.POSTED, self.clock())
                return 1
        message = await self._message(due)
        await self._store.set_step(campaign.id, owner, due.step, StepState.STARTED, self.clock())
        try:
            await messenger.send(
                due.person.invitee.address, message, lambda: self._pace(campaign.workspace, messenger.min_interval_s)
            )
        except RateLimited as limited:
            self._next_slot[campaign.workspace] = time.monotonic() + limited.retry_after
            await self._store.set_step(campaign.id, owner, due.step, None, self.clock())  # nothing was sent
            return 1
        except (Unreachable, ThreadGone) as exc:
            log.info("campaigns: someone cannot be reached (%s)", exc)
            await self._store.set_step(campaign.id, owner, due.step, StepState.FAILED, self.clock())
            return 1
        except Exception as exc:  # it may have arrived: left started, looked for once it is stale
            log.warning("campaigns: a %s may not have been sent (%s)", due.step.value, exc)
            return 1
        self.fault("campaign-after-post")
        await self._store.set_step(campaign.id, owner, due.step, StepState.POSTED, self.clock())
        return 1

    async def _message(self, due: DueStep) -> CampaignMessage:
        campaign = due.campaign
        if due.step is Step.INVITE:
            text = invitation(None, campaign.name, campaign.deadline, await self._kits.kit(campaign.workspace))
        else:
            text = reminder(None, campaign.name, campaign.deadline)
        return CampaignMessage(text=text, button=open_button(None), campaign_id=campaign.id, key=due.key)

    async def _pace(self, workspace: str, interval: float) -> None:
        """Wait for the workspace's next slot, and take it."""
        now = time.monotonic()
        slot = max(now, self._next_slot.get(workspace, now))
        self._next_slot[workspace] = slot + interval
        if slot > now:
            await asyncio.sleep(slot - now)
