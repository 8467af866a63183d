"""The people of the fake Slack: each authorises the app for themselves (OAuth v2 with a `user_scope`)
and gets a user token, the only kind `users.setPhoto` takes; the photos they were given are kept."""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

MAX_PHOTO_SIDE = 4096


@dataclass
class Call:
    """One Web API call as the fake saw it."""

    method: str
    params: dict[str, Any]
    at: float
    token: str | None = None  # the bearer token the call carried


@dataclass
class FakePeople:
    """Who is signed in to Slack in the browser, the user tokens issued (token -> team and user), the
    ones taken back, and each person's last photo with the crop fields it came with."""

    signed_in: str = "U0USER"
    user_codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # code -> (team, user, scope)
    user_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    revoked_user_tokens: set[str] = field(default_factory=set)
    photos: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def revoke_user_tokens(self, team: str, user: str) -> None:
        """A person took their permission back (or it expired): their tokens are refused from now on."""
        for token, (owner_team, owner) in self.user_tokens.items():
            if (owner_team, owner) == (team, user):
                self.revoked_user_tokens.add(token)

    def _user_access(self, team: str, user: str, scope: str) -> dict[str, Any]:
        """`oauth.v2.access` for a person's own authorisation: no bot token, the user's in `authed_user`."""
        token = f"xoxp-{team}-{user}-{secrets.token_hex(12)}"
        self.user_tokens[token] = (team, user)
        self.issued.append(token)
        return {
            "ok": True, "app_id": "A0HEADSHOT", "team": {"id": team, "name": f"Team {team}"}, "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": user, "scope": scope, "access_token": token, "token_type": "user"},
        }

    async def _users_setPhoto(self, request: web.Request) -> web.Response:
        """`users.setPhoto`: multipart `image` and optional `crop_x`, `crop_y`, `crop_w`, with a user token."""
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        fields: dict[str, Any] = {}
        image = b""
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "image":
                    image = bytes(data)
                else:
                    fields[str(part.name)] = data.decode()
        self.calls.append(Call("users.setPhoto", fields, time.monotonic(), bearer))
        if bearer in self.revoked_user_tokens:
            return web.json_response(self._fail("token_revoked"))
        if bearer in self.tokens:
            return web.json_response(self._fail("not_allowed_token_type"))
        person = self.user_tokens.get(bearer or "")
        if person is None:
            return web.json_response(self._fail("invalid_auth" if bearer else "not_authed"))
        if "users.setPhoto" in self.errors:
            return web.json_response(self._fail(self.errors["users.setPhoto"]))
        try:
            with Image.open(io.BytesIO(image)) as opened:
                size = opened.size
        except OSError:
            return web.json_response(self._fail("bad_image"))
        if max(size) > MAX_PHOTO_SIDE:
            return web.json_response(self._fail("too_large"))
        self.photos[person] = {"image": image, "size": size, **fields}
        return web.json_response({"ok": True})
