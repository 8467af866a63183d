"""The running core's side of provider callbacks: recorded by the engine, counted, and the runner woken."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import JobEngine
from bot.metrics import Metrics


class CallbackInbox:
    """`bot.ports.CallbackReceiver` for the callback routes of a running core."""

    def __init__(self, engine: JobEngine, wake: Callable[[], None], metrics: Metrics) -> None:
        self._engine = engine
        self._wake = wake
        self._metrics = metrics

    async def receive(self, token: str, remote_id: str, urls: list[str]) -> bool | None:
        """Record a completion; a new one wakes the runner for its downloads."""
        changed = await self._engine.accept_callback(token, remote_id, urls)
        self._metrics.callback("refused" if changed is None else "accepted" if changed else "duplicate")
        if changed:
            self._wake()
        return changed

    def refused(self) -> None:
        """Count a callback its route refused."""
        self._metrics.callback("refused")
