"""What a chat app installed in many workspaces keeps: each installation, and the one-time
states of the install flow."""

from __future__ import annotations

from typing import Protocol


class Installations(Protocol):
    """Each workspace's installation of a chat app: an opaque blob, sealed (encrypted) by the adapter."""

    async def save_installation(self, workspace: str, sealed: bytes) -> None:
        """Store (or replace) a workspace's installation."""
        ...

    async def installation(self, workspace: str) -> bytes | None:
        """A workspace's sealed installation, if it is installed."""
        ...

    async def installations(self) -> list[tuple[str, bytes]]:
        """Every stored installation (workspace, sealed blob)."""
        ...

    async def delete_installation(self, workspace: str) -> bool:
        """Forget a workspace's installation at once; whether there was one."""
        ...


class OneTimeStates(Protocol):
    """Secrets handed out once and accepted once before they expire (an OAuth `state`); stored hashed."""

    async def issue_state(self, state_hash: str, expires_at: float) -> None:
        """Remember a new state until `expires_at` (and drop expired ones)."""
        ...

    async def consume_state(self, state_hash: str, now: float) -> bool:
        """True exactly once for an issued state that has not expired at `now`."""
        ...

