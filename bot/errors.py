"""The one error family whose message is meant for the person who asked."""

from __future__ import annotations


class UserError(ValueError):
    """Something the user can fix or should know; `str(error)` is a complete sentence."""
