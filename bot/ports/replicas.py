"""What processes sharing one store need of each other: news of work, and a lease only one holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class JobWakeups(Protocol):
    """News from other processes sharing the store: a job was accepted, a callback landed."""

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` whenever another process made work due, until cancelled."""
        ...


class SingletonLease(Protocol):
    """A lease at most one process of a deployment holds at a time (for a connection only one may keep)."""

    async def acquire(self) -> None:
        """Wait until this process holds the lease."""
        ...

    async def lost(self) -> None:
        """Return as soon as the lease is lost; whatever it guarded must stop at once."""
        ...

    async def release(self) -> None:
        """Give the lease up."""
        ...

