"""The one error family whose message is meant for the person who asked."""

from __future__ import annotations

from bot.i18n import Phrase, phrase, say


class UserError(ValueError):
    """Something the user can fix or should know; `say(locale)` is a complete sentence in the reader's
    language (`str(error)` the same in English, for logs and the command line)."""

    def __init__(self, message: str | Phrase) -> None:
        super().__init__(str(message))
        self.message = message

    def say(self, locale: str | None) -> str:
        """The sentence in the language of `locale`."""
        return say(locale, self.message)


STORE_AWAY = phrase("I can't reach my storage right now, so nothing was done; please try again in a minute.")


class StoreUnavailable(UserError):
    """The bot's storage does not answer (a store raises it for lost connections and timeouts, not for
    its own errors): nothing was done, and asking again later will work."""

    def __init__(self, message: str | Phrase = STORE_AWAY) -> None:
        super().__init__(message)
