"""The one error family whose message is meant for the person who asked."""

from __future__ import annotations


class UserError(ValueError):
    """Something the user can fix or should know; `str(error)` is a complete sentence."""


STORE_AWAY = "I can't reach my storage right now, so nothing was done; please try again in a minute."


class StoreUnavailable(UserError):
    """The bot's storage does not answer (a store raises it for lost connections and timeouts, not for
    its own errors): nothing was done, and asking again later will work."""

    def __init__(self, message: str = STORE_AWAY) -> None:
        super().__init__(message)
