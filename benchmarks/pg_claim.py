"""Due to claimed across replicas: a job accepted by one process, claimed by another, woken by NOTIFY.

Three child processes each run the real job runner (`JobRunner.run`) on the real PostgreSQL
store, with `PostgresWakeups` listening on a dedicated connection and waking the runner, as
`serve` wires them. Their store records when each claim returned. The parent, a fourth
process, adds jobs one at a time at random intervals, as an accepting replica would; a job
is due the moment its insert commits. The figure is claim time minus the time the insert was
sent (so it includes the insert's own round trip: an upper bound). The jobs name a provider the
replicas do not have, so each ends at once in one cheap step and the runners stay free: this
measures the hand-over, not the work. Without the wake-ups a runner would only look again after
its idle poll (30 s).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.common import ms, percentile
from benchmarks.table import Row
from bot.jobs import Job
from bot.options import Options
from tests import pg

REPLICAS = 3
TARGET_S = 0.1


def _replica(url: str, out: str, stop: str) -> None:
    asyncio.run(_serve_queue(url, Path(out), Path(stop)))


async def _serve_queue(url: str, out: Path, stop: Path) -> None:
    from benchmarks.common import make_settings
    from bot.runner import JobRunner
    from bot.wiring.app import build_core
    from storage.postgres.store import PostgresStore
    from storage.postgres.wakeups import PostgresWakeups

    claims: dict[str, float] = {}

    class TimedStore(PostgresStore):
        """The store, noting when each claim came back."""

        async def claim(self, worker: str, now: float, limit: int, lease_s: float) -> list[Job]:
            jobs = await super().claim(worker, now, limit, lease_s)
            at = time.time()
            claims.update((job.id, at) for job in jobs)
            return jobs

    core = await build_core(make_settings(out.parent / out.stem, database_url=url))
    store = TimedStore(core.store.pool, url)  # type: ignore[attr-defined]
    runner = JobRunner(store, core.engine, concurrency=4)
    tasks = [asyncio.create_task(runner.run()), asyncio.create_task(PostgresWakeups(url).listen(runner.wake))]
    while not stop.exists():
        await asyncio.sleep(0.05)
    await runner.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await core.close()
    out.write_text(json.dumps(claims))


async def run(quick: bool) -> list[Row]:
    """Jobs added one by one while three replicas wait; p99 of commit-to-claim."""
    reason = pg.missing()
    if reason is not None:
        return [Row("due to claimed (NOTIFY)", "-", "-", None, "-", None, reason)]
    from storage.postgres.store import PostgresStore

    count = 60 if quick else 300
    cluster = pg.Cluster().start()
    context = multiprocessing.get_context("spawn")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-claim-") as tmp:
            url = await cluster.fresh_database()
            stop = Path(tmp) / "stop"
            outs = [Path(tmp) / f"claims-{n}.json" for n in range(REPLICAS)]
            children = [context.Process(target=_replica, args=(url, str(out), str(stop))) for out in outs]
            for child in children:
                child.start()
            store = await PostgresStore.open(url)
            added: dict[str, float] = {}
            try:
                await asyncio.sleep(3.0)  # the replicas are listening by now
                rng = random.Random(7)
                for n in range(count):
                    job = Job(id=uuid.uuid4().hex, owner=f"bench:{n}", surface="none", thread={}, provider="absent",
                              options=Options(), photo_count=0)
                    added[job.id] = time.time()  # before the insert: its own round trip is counted too
                    await store.add(job)
                    await asyncio.sleep(rng.uniform(0.0, 0.04))
                await asyncio.sleep(1.0)
            finally:
                stop.touch()
                for child in children:
                    await asyncio.to_thread(child.join, 30)
                await store.close()
            claims: dict[str, list[float]] = {}
            shares: list[int] = []
            for out in outs:
                found = json.loads(out.read_text())
                shares.append(len(found))
                for job_id, at in found.items():
                    claims.setdefault(job_id, []).append(at)
    finally:
        cluster.stop()
    delays = [claims[job_id][0] - at for job_id, at in added.items() if job_id in claims]
    lost = len(added) - len(delays)
    twice = sum(1 for found in claims.values() if len(found) > 1)
    p99, p50 = percentile(delays, 99), percentile(delays, 50)
    return [
        Row("due to claimed (NOTIFY)", f"p99 {ms(p99)} (p50 {ms(p50)}), {lost} unclaimed, {twice} claimed twice",
            f"limit {ms(TARGET_S)}; idle poll 30 s", p99 / TARGET_S, "<= 1.00x, 0 lost, 0 twice",
            p99 <= TARGET_S and lost == 0 and twice == 0,
            f"{count} jobs; claims per replica {'/'.join(map(str, shares))}"),
    ]
