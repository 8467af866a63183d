"""Gallery tokens: 192 random bits in the link, only their SHA-256 in the store."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 24  # 192 bits, 32 URL-safe characters
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_token() -> str:
    """A fresh unguessable token for a gallery link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    """Whether `token` has the shape `new_token` makes (anything else is refused unread)."""
    return _SHAPE.fullmatch(token) is not None


def same_hash(stored: str, token: str) -> bool:
    """Whether `token` hashes to `stored`, compared in constant time."""
    return hmac.compare_digest(stored, token_hash(token))
