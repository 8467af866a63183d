"""The provider port: a source of headshots, and where an asynchronous one's callbacks go."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.providers import Generated, GenerationInput, Submitted
from bot.request import Capabilities

# token → the URL an asynchronous provider is told to call back (made by the callback route's owner).
CallbackUrl = Callable[[str], str]


class CallbackReceiver(Protocol):
    """Where a provider's completion callbacks go once its route has read them."""

    async def receive(self, token: str, remote_id: str, urls: list[str]) -> bool | None:
        """None when no job has this token and remote id, else whether the callback changed anything."""
        ...

    def refused(self) -> None:
        """A callback was refused before it reached any job (a bad token, body or event)."""
        ...


class Provider(Protocol):
    """A source of headshots."""

    name: str
    capabilities: Capabilities

    def wait_seconds(self) -> float:
        """How long until this provider may be called again (0 when it may be called now)."""
        ...

    async def generate(self, task: GenerationInput) -> Generated | Submitted:
        """Make headshots, or submit the job and return its remote id; raise `ProviderError`."""
        ...
