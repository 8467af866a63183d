"""Completion callbacks that arrive together, recorded together: one transaction for a group.

Runflow sends its callbacks in bursts. Each one costs a transaction (and on SQLite several trips
to the connection's thread, made while the write lock is held), so one at a time the burst queues
behind the lock. Here the callbacks that wait while a group is being recorded form the next group,
which the store records in one transaction: each callback still gets its own exact answer, given
only once that transaction is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# Large enough to take a whole burst at once; small enough that one transaction stays short.
MAX_GROUP = 64


@dataclass(frozen=True)
class Completion:
    """One completion callback to record: the job's callback secret (hashed), its remote id, its URLs."""

    callback_hash: str
    remote_id: str
    urls: list[str]


Answer = bool | None
# Records a group in one transaction; one answer per completion, in order (see `ResultLog.accept_callback`).
RecordGroup = Callable[[list[Completion]], Awaitable[list[Answer]]]


@dataclass
class _Waiting:
    completion: Completion
    answer: asyncio.Future[Answer]


class CallbackGroups:
    """Gathers concurrent `accept_callback` calls into groups that `record` writes, up to
    `recorders` groups at a time (more than one only where the store runs transactions side by side).

    A group holds each callback secret at most once, and no two groups being recorded share one,
    so copies of one callback are answered as if they came one after another: the first True, the
    rest False. A group that fails is rolled back whole; then each of its callbacks is tried alone,
    so that one callback's fault is only its own, except for `shared_failures` (the store is away
    or wedged), which every member is given at once rather than meeting it again, one by one.
    """

    def __init__(
        self, record: RecordGroup, shared_failures: tuple[type[BaseException], ...], *, recorders: int = 1
    ) -> None:
        self._record = record
        self._shared_failures = shared_failures
        self._most = recorders
        self._waiting: list[_Waiting] = []
        self._recording: set[str] = set()
        self._recorders: set[asyncio.Task[None]] = set()

    async def accept(self, completion: Completion) -> Answer:
        """Record one completion with whatever others are waiting; its answer once committed."""
        waiting = _Waiting(completion, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if len(self._recorders) < self._most:
            # It starts on the loop's next turn, so the callbacks that arrive in this one join its group.
            recorder = asyncio.create_task(self._record_groups())
            self._recorders.add(recorder)
            recorder.add_done_callback(self._recorders.discard)  # for one cancelled before it ran
        return await waiting.answer

    async def close(self) -> None:
        """Let the groups already waiting be recorded (before the store closes under them)."""
        while self._recorders:
            await asyncio.wait(list(self._recorders))

    async def _record_groups(self) -> None:
        """Record groups until none is left that another recorder is not busy with. Callbacks held
        back for a secret another recorder has are taken by that one when it is done."""
        try:
            while group := self._next_group():
                secrets = {w.completion.callback_hash for w in group}
                self._recording |= secrets
                try:
                    await self._settle(group)
                except BaseException:  # cancelled: the loop is closing
                    _cancel(group)
                    if len(self._recorders) == 1:
                        _cancel(self._waiting)
                        self._waiting = []
                    raise
                finally:
                    self._recording -= secrets
        finally:
            # Here, not in a done callback: a callback that arrives after this must find a place free.
            self._recorders.discard(asyncio.current_task())

    def _next_group(self) -> list[_Waiting]:
        group: list[_Waiting] = []
        later: list[_Waiting] = []
        secrets: set[str] = set()
        for waiting in self._waiting:
            secret = waiting.completion.callback_hash
            if waiting.answer.done():
                continue  # its caller gave up before its turn came
            if secret in secrets or secret in self._recording or len(group) == MAX_GROUP:
                later.append(waiting)
            else:
                secrets.add(secret)
                group.append(waiting)
        self._waiting = later
        return group

    async def _settle(self, group: list[_Waiting]) -> None:
        try:
            answers = await self._record([w.completion for w in group])
        except self._shared_failures as exc:
            for waiting in group:
                _give(waiting, exc)
            return
        except Exception as exc:
            if len(group) == 1:
                _give(group[0], exc)
                return
            for waiting in group:
                await self._settle([waiting])
            return
        for waiting, answer in zip(group, answers, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(answer)


def _give(waiting: _Waiting, exc: BaseException) -> None:
    if not waiting.answer.done():
        waiting.answer.set_exception(exc)


def _cancel(group: list[_Waiting]) -> None:
    for waiting in group:
        waiting.answer.cancel()
