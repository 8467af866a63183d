"""The queue between an answer and the work behind it, and the worker loop it hands work to."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from bot.work_queue import Answering, WorkQueue
from bot.worker_loop import JobsOnWorker, WorkerLoop


@dataclass
class Place:
    name: str
    seen: list[tuple[str, str]] = field(default_factory=list)
    tasks: WorkQueue[Place] = field(default_factory=WorkQueue)

    def __post_init__(self) -> None:
        self.tasks.bind(self)


async def note(place: Place, what: str) -> None:
    place.seen.append((what, threading.current_thread().name))


async def test_alone_the_queue_runs_work_on_this_loop_against_its_own_context() -> None:
    here = Place("here")
    here.tasks.spawn(lambda p: note(p, "one"), name="one")
    await here.tasks.drain()
    assert here.seen == [("one", threading.current_thread().name)]


async def test_handed_over_work_runs_on_the_worker_loop_against_the_twin_and_drain_waits_for_it() -> None:
    worker = WorkerLoop(name="behind")
    worker.start()
    try:
        here, there = Place("here"), Place("there")
        here.tasks.hand_to(there.tasks, worker)

        async def slow(place: Place) -> None:
            await asyncio.sleep(0.2)
            await note(place, place.name)

        for _ in range(3):
            here.tasks.spawn(slow, name="slow")
        assert not here.seen and not there.seen
        await asyncio.wait_for(here.tasks.drain(), 5)
        assert here.seen == [] and there.seen == [("there", "behind")] * 3
        assert here.tasks.has_room()
    finally:
        await worker.stop()


async def test_past_its_capacity_the_queue_has_no_room_until_work_ends() -> None:
    here = Place("here", tasks=WorkQueue(capacity=2))
    release = asyncio.Event()

    async def held(_place: Place) -> None:
        await release.wait()

    here.tasks.spawn(held, name="a")
    assert here.tasks.has_room()
    here.tasks.spawn(held, name="b")
    assert not here.tasks.has_room()
    release.set()
    await here.tasks.drain()
    assert here.tasks.has_room()


async def test_failing_work_is_logged_and_counted_as_done(caplog: object) -> None:
    here = Place("here", tasks=WorkQueue(capacity=1))

    async def broken(_place: Place) -> None:
        raise RuntimeError("boom")

    here.tasks.spawn(broken, name="broken")
    await here.tasks.drain()
    assert here.tasks.has_room()
    assert "broken failed" in getattr(caplog, "text", "")


async def test_work_behind_waits_while_a_request_is_being_answered_but_not_for_ever() -> None:
    answering = Answering()
    with answering.one():
        started = time.monotonic()
        await answering.quiet(at_most=0.2)  # nobody ends the answer: the wait is bounded
        assert 0.15 < time.monotonic() - started < 1.0

    worker = WorkerLoop(name="behind")
    worker.start()
    try:
        here, there = Place("here"), Place("there")
        here.tasks.hand_to(there.tasks, worker)
        with here.tasks.answering.one():
            here.tasks.spawn(lambda p: note(p, "after the answer"), name="after")
            await asyncio.sleep(0.1)
            assert there.seen == []  # held back while the answer is under way
        await asyncio.wait_for(here.tasks.drain(), 5)
        assert there.seen == [("after the answer", "behind")]
    finally:
        await worker.stop()


async def test_the_runner_behind_is_woken_on_its_own_loop() -> None:
    worker = WorkerLoop(name="behind")
    worker.start()
    try:
        woken: list[str] = []
        jobs = JobsOnWorker(worker, lambda: woken.append(threading.current_thread().name), lambda: 3)
        jobs.wake()
        await worker.call(asyncio.sleep(0))  # after everything scheduled before it
        assert woken == ["behind"] and jobs.busy == 3
    finally:
        await worker.stop()
