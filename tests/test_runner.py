"""The job runner: a job in hand keeps its lease for as long as it runs, and gives it up after."""

from __future__ import annotations

import asyncio
import time

from bot.jobs import JobState
from bot.ports import Generated, GenerationInput, Submitted
from tests.conftest import CoreFactory, submit
from tests.doubles import ScriptedProvider


class SlowProvider(ScriptedProvider):
    """Answers only once `gate` is set: a provider call much longer than a lease."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def generate(self, task: GenerationInput) -> Generated | Submitted:
        await self.gate.wait()
        return await super().generate(task)


async def test_a_job_in_hand_keeps_its_lease_while_it_runs_and_releases_it_after(make_core: CoreFactory) -> None:
    slow = SlowProvider()
    core = await make_core(providers={"scripted": slow}, job_lease_s=0.3, job_concurrency=1)
    job_id = await submit(core)
    work = asyncio.create_task(core.runner.run_until_idle())
    await asyncio.sleep(1.0)  # more than three leases long
    assert await core.store.claim("another worker", time.time(), 10, lease_s=30) == []
    slow.gate.set()
    await asyncio.wait_for(work, 20)
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    assert await core.store.next_due() is None  # finished, and no lease left behind
