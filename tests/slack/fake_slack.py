"""A stand-in for Slack's Web API, file hosts and OAuth pages, speaking Slack's wire format, for tests.

It keeps what workspaces would: messages per channel (with threads), ephemeral messages,
opened views, shared files and their bytes, and one bot token per installed team (the
`oauth.v2.access` exchange issues a different token for each team, and refreshes them when
token rotation is on), message metadata. People authorise the app for themselves too (OAuth with a
`user_scope`): that issues a user token, the only kind `users.setPhoto` takes. Every call records its
token. Knobs make methods fail as Slack does.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from yarl import URL

from tests.slack.fake_slack_people import Call, FakePeople

TEAM = "T0TEAM"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
TOKEN = "xoxb-test"
APP_TOKEN = "xapp-1-A0HEADSHOT-test"
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "c1e2n3t4s5e6c7r8e9t0a1b2c3d4e5f6"
LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


@dataclass
class FakeSlack(FakePeople):
    """The fake's state and knobs; `app()` serves it."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    uploads_with_auth: int = 0
    downloads: list[str] = field(default_factory=list)
    # knobs
    not_member: set[str] = field(default_factory=set)  # public channels the bot has not joined
    private: set[str] = field(default_factory=set)  # private channels the bot is not in
    rate_limit_once: set[str] = field(default_factory=set)  # methods answering 429 once
    server_error_once: set[str] = field(default_factory=set)  # methods answering 503 once
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error code
    replies_page: int = 4
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    # workspaces: bot token -> team; refresh token -> team; one-time codes -> team
    tokens: dict[str, str] = field(default_factory=lambda: {TOKEN: TEAM})
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    rotation: bool = False  # token rotation on: installs bring refresh tokens, tokens expire
    expires_in: int = 43200
    redirect_url: str = ""  # the app's configured redirect URL, used when the authorize link has none
    authorizations: list[dict[str, str]] = field(default_factory=list)
    downloads_by_token: list[tuple[str, str | None]] = field(default_factory=list)  # (team in path, bearer)
    issued: list[str] = field(default_factory=list)  # every access and refresh token ever handed out
    locales: dict[str, str] = field(default_factory=dict)  # user id -> the language users.info tells
    default_locale: str = "en-US"  # the language of every other user
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> users.info's `user` object
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> their published home view
    members: dict[str, list[str]] = field(default_factory=dict)  # channel id -> its members' user ids
    members_page: int = 200  # conversations.members answers at most this many per page
    # chat.postMessage answers 429 (Retry-After: 1) when a team posts faster than one message per
    # `post_gap_s` on average, beyond a burst of `post_burst` (a token bucket, as Slack allows short bursts)
    post_gap_s: float = 0.0
    post_burst: float = 3.0
    rate_limited: int = 0
    _post_tokens: dict[str, tuple[float, float]] = field(default_factory=dict)  # team -> (tokens, at)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _clock: int = 0
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)

    # ---- helpers for tests -------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Every call of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def next_ts(self) -> str:
        """A fresh message timestamp: the time of posting, in microseconds, increasing like Slack's."""
        self._clock = max(self._clock + 1, int(time.time() * 1_000_000))
        return f"{self._clock // 1_000_000}.{self._clock % 1_000_000:06d}"

    def add_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Put a message into a channel (a user's message, or one left by a crashed run)."""
        message.setdefault("type", "message")
        message.setdefault("ts", self.next_ts())
        self.messages.setdefault(channel, []).append(message)
        return message

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """A thread's messages: the parent first, then the replies, oldest first."""
        found = [m for m in self.messages.get(channel, []) if thread_ts in (m["ts"], m.get("thread_ts"))]
        return sorted(found, key=lambda m: float(m["ts"]))

    def add_user_file(self, name: str, data: bytes, mimetype: str = "image/jpeg", team: str = TEAM) -> dict[str, Any]:
        """A file a user of `team` shared, as Slack describes it; its bytes are served at
        url_private(_download) to that team's tokens only."""
        file_id = f"F0U{len(self.files) + 1:05d}"
        ext = name.rsplit(".", 1)[-1].lower()
        self.blobs[file_id] = data
        self.files[file_id] = {
            "id": file_id, "created": 1_700_000_000, "timestamp": 1_700_000_000, "name": name, "title": name,
            "mimetype": mimetype, "filetype": ext, "pretty_type": ext.upper(), "user": "U0USER",
            "user_team": team, "editable": False, "size": len(data), "mode": "hosted", "is_external": False,
            "external_type": "", "is_public": False, "public_url_shared": False, "display_as_bot": False,
            "username": "", "url_private": f"{self.url}/files-pri/{team}-{file_id}/{name}",
            "url_private_download": f"{self.url}/files-pri/{team}-{file_id}/download/{name}",
            "permalink": f"https://test.slack.com/files/U0USER/{file_id}/{name}",
        }
        return dict(self.files[file_id])

    def add_user(
        self, user: str, *, real_name: str = "", display_name: str = "", admin: bool = False, owner: bool = False,
        primary_owner: bool = False, team: str = TEAM,
    ) -> dict[str, Any]:
        """A member of `team` as `users.info` describes them (an unknown id is an ordinary member)."""
        self.users[user] = {
            "id": user, "team_id": team, "name": (real_name or user).lower().replace(" ", "."), "deleted": False,
            "real_name": real_name, "tz": "Europe/Berlin", "is_admin": admin, "is_owner": owner,
            "is_primary_owner": primary_owner, "is_restricted": False, "is_ultra_restricted": False,
            "is_bot": False, "updated": 1_700_000_000,
            "profile": {"real_name": real_name, "display_name": display_name, "image_72": ""},
        }
        return self.users[user]

    def team_of(self, token: str | None) -> str | None:
        """The team a bot token belongs to (None for an unknown or revoked token)."""
        return self.tokens.get(token or "")

    def tokens_of(self, team: str) -> list[str]:
        """Every bot token issued to a team, oldest first."""
        return [token for token, owner in self.tokens.items() if owner == team]

    def revoke(self, team: str) -> None:
        """Invalidate every token of a team, as an uninstall does."""
        for token in self.tokens_of(team):
            del self.tokens[token]
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v != team}

    def uploaded(self, message: dict[str, Any]) -> list[bytes]:
        """The bytes of every file a message carries."""
        return [self.blobs[f["id"]] for f in message.get("files", [])]

    # ---- the server ---------------------------------------------------------------------
    def app(self) -> web.Application:
        """The aiohttp application: /api/{method}, uploads, private file downloads, response URLs."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/files-pri/{path:.*}", self._download)
        app.router.add_post("/response/{n}", self._response)
        app.router.add_get("/link", self._socket)
        app.router.add_get("/oauth/v2/authorize", self._authorize)
        return app

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to every connected client."""
        for socket in self._sockets:
            await socket.send_json(envelope)

    @property
    def socket_connected(self) -> bool:
        """Whether a Socket Mode client is connected."""
        return any(not s.closed for s in self._sockets)

    def _apps_connections_open(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.url.replace("http://", "ws://") + "/link"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"},
                                "connection_info": {"app_id": "A0HEADSHOT"}})
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return socket

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "users.setPhoto":
            return await self._users_setPhoto(request)
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        self.calls.append(Call(method, params, time.monotonic(), bearer))
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_v2_access(request, params))
        if method == "apps.connections.open":
            if bearer != APP_TOKEN:
                return web.json_response({"ok": False, "error": "invalid_auth"})
        elif self.team_of(bearer) is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.rate_limit_once:
            self.rate_limit_once.discard(method)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        if method in self.server_error_once:
            self.server_error_once.discard(method)
            return web.Response(status=503, text="upstream connect error")
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        if method == "chat.postMessage" and self.post_gap_s:
            team, now = self.team_of(bearer) or TEAM, time.monotonic()
            tokens, at = self._post_tokens.get(team, (self.post_burst, now))
            tokens = min(self.post_burst, tokens + (now - at) / self.post_gap_s)
            if tokens < 1:
                self._post_tokens[team] = (tokens, now)
                self.rate_limited += 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": "1"})
            self._post_tokens[team] = (tokens - 1, now)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer: dict[str, Any] = handler(params)
        return web.json_response(answer)

    @staticmethod
    def _fail(error: str) -> dict[str, Any]:
        return {"ok": False, "error": error}

    def _auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        team = self.team_of(self.calls[-1].token) or TEAM
        return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "headshots", "team_id": team,
                "user_id": bot_user(team), "bot_id": bot_id(team), "is_enterprise_install": False}

    # ---- OAuth ----------------------------------------------------------------------------
    async def _authorize(self, request: web.Request) -> web.Response:
        """Slack's authorize page, as if the person chose `team` and allowed the app: back to the
        redirect URL with a one-time code and the state."""
        query = dict(request.query)
        self.authorizations.append(query)
        team = query.get("team") or TEAM
        code = f"code-{secrets.token_hex(8)}"
        if query.get("user_scope") and not query.get("scope"):  # a person authorises the app for themselves
            self.user_codes[code] = (team, self.signed_in, query["user_scope"])
        else:
            self.codes[code] = team
        target = URL(query.get("redirect_uri") or self.redirect_url)
        target = target.update_query(code=code, state=query.get("state", ""))
        raise web.HTTPFound(str(target))

    def _oauth_v2_access(self, request: web.Request, p: dict[str, Any]) -> dict[str, Any]:
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        client = base64.b64decode(basic).decode() if basic else f"{p.get('client_id')}:{p.get('client_secret')}"
        if client != f"{CLIENT_ID}:{CLIENT_SECRET}":
            return self._fail("invalid_client_id")
        if p.get("grant_type") == "refresh_token":
            team = self.refresh_tokens.pop(str(p.get("refresh_token")), None)
            if team is None:
                return self._fail("invalid_refresh_token")
            return {"ok": True, "token_type": "bot", **self._issue(team)}
        if (person := self.user_codes.pop(str(p.get("code")), None)) is not None:
            return self._user_access(*person)
        team = self.codes.pop(str(p.get("code")), None)
        if team is None:
            return self._fail("invalid_code")
        return {
            "ok": True, "app_id": "A0HEADSHOT", "token_type": "bot", "scope": "commands,chat:write",
            "bot_user_id": bot_user(team), "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": f"U0INSTALLER{team}"},
            **self._issue(team),
        }

    def _issue(self, team: str) -> dict[str, Any]:
        token = f"xoxb-{team}-{secrets.token_hex(12)}"
        self.tokens[token] = team
        self.issued.append(token)
        if not self.rotation:
            return {"access_token": token}
        refresh = f"xoxe-1-{team}-{secrets.token_hex(12)}"
        self.refresh_tokens[refresh] = team
        self.issued.append(refresh)
        return {"access_token": token, "refresh_token": refresh, "expires_in": self.expires_in}

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("user") or "")
        if not user.startswith(("U", "W")):
            return self._fail("user_not_found")
        found = dict(self.users.get(user) or self.add_user(
            user, real_name=f"Person {user}", team=self.team_of(self.calls[-1].token) or TEAM
        ))
        if str(p.get("include_locale")).lower() in ("true", "1"):  # Slack tells the language only when asked
            found["locale"] = self.locales.get(user, self.default_locale)
        return {"ok": True, "user": found}

    def _views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p["view"] if isinstance(p["view"], dict) else json.loads(p["view"])
        if view.get("type") != "home" or len(view.get("blocks") or []) > 100:
            return self._fail("invalid_arguments")
        self.homes[str(p["user_id"])] = view
        return {"ok": True, "view": {"id": f"V0HOME{len(self.homes):04d}", "team_id": TEAM, **view}}

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p["view"] if isinstance(p["view"], dict) else json.loads(p["view"])
        return {"ok": True, "view": {"id": f"V0{len(self.calls):05d}", "team_id": TEAM, **view,
                                     "state": {"values": {}}, "hash": "1700000000.abcdef"}}

    def _can_post(self, channel: str) -> str | None:
        if channel in self.private:
            return "channel_not_found"
        if channel in self.not_member:
            return "not_in_channel"
        return None

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p["channel"])
        if error := self._can_post(channel):
            return self._fail(error)
        message: dict[str, Any] = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": p.get("text", "")}
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        if p.get("blocks"):
            message["blocks"] = _json(p["blocks"])
        if p.get("metadata"):
            message["metadata"] = _json(p["metadata"])
        self.add_message(channel, message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages.get(str(p["channel"]), []):
            if message["ts"] == p["ts"]:
                message["text"] = p.get("text", "")
                if p.get("blocks"):
                    message["blocks"] = _json(p["blocks"])
                if p.get("metadata"):  # without it the message keeps its own
                    message["metadata"] = _json(p["metadata"])
                message["edited"] = {"user": BOT_USER, "ts": self.next_ts()}
                return {"ok": True, "channel": p["channel"], "ts": p["ts"], "text": message["text"]}
        return self._fail("message_not_found")

    def _chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if error := self._can_post(str(p["channel"])):
            return self._fail(error)
        self.ephemerals.append(p)
        return {"ok": True, "message_ts": self.next_ts()}

    def _conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p["channel"])
        if channel in self.private:
            return self._fail("channel_not_found")
        self.not_member.discard(channel)
        return {"ok": True, "channel": {"id": channel, "is_channel": True, "is_member": True}}

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(p["users"]).lstrip("U")}}

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        found = [m for m in self.thread(str(p["channel"]), str(p["ts"])) if _between(m, p)]
        return self._page(found, p, self.replies_page)

    def _conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        """Newest first, within `oldest`/`latest`; a message's `metadata` only with `include_all_metadata`."""
        top = [m for m in self.messages.get(str(p["channel"]), []) if m.get("thread_ts") in (None, m["ts"])]
        found = sorted((m for m in top if _between(m, p)), key=lambda m: -float(m["ts"]))
        return self._page(found, p, 1000)

    @staticmethod
    def _page(found: list[dict[str, Any]], p: dict[str, Any], most: int) -> dict[str, Any]:
        start = int(p.get("cursor") or 0)
        size = min(int(p.get("limit") or 100), most)
        page = found[start:start + size]
        if str(p.get("include_all_metadata")) not in ("1", "true", "True"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + size < len(found)
        return {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": str(
            start + size) if more else ""}}

    def _conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p["channel"])
        if channel not in self.members:
            return self._fail("channel_not_found")
        start = int(p.get("cursor") or 0)
        size = min(int(p.get("limit") or 100), self.members_page)
        page = self.members[channel][start:start + size]
        more = start + size < len(self.members[channel])
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": str(start + size) if more else ""}}

    def _files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.files.get(str(p["file"]))
        return {"ok": True, "file": found} if found else self._fail("file_not_found")

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F0B{len(self._pending) + 1:05d}"
        self._pending[file_id] = {"name": p["filename"], "length": int(p["length"])}
        return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        listed = json.loads(p["files"]) if isinstance(p["files"], str) else p["files"]
        if len(listed) > 10:
            return self._fail("too_many_files")
        shared = []
        for item in listed:
            if item["id"] not in self.blobs:
                return self._fail("file_not_found")
            name = self._pending[item["id"]]["name"]
            self.files[item["id"]] = {"id": item["id"], "name": name, "title": item.get("title") or name,
                                      "mimetype": "image/jpeg", "size": len(self.blobs[item["id"]])}
            shared.append(self.files[item["id"]])
        channel = str(p["channel_id"])
        if error := self._can_post(channel):
            return self._fail(error)
        message: dict[str, Any] = {"type": "message", "user": BOT_USER, "text": p.get("initial_comment", ""),
                                   "files": shared, "upload": True}
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        self.add_message(channel, message)
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if "Authorization" in request.headers:
            self.uploads_with_auth += 1
        data = await request.read()
        if file_id not in self._pending or len(data) != self._pending[file_id]["length"]:
            return web.Response(status=400, text="bad upload")
        self.blobs[file_id] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        self.downloads.append(request.path)
        team, _, file_id = request.match_info["path"].split("/", 1)[0].partition("-")
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        self.downloads_by_token.append((team, bearer))
        if self.team_of(bearer) != team or file_id not in self.blobs:
            return web.Response(text=LOGIN_PAGE, content_type="text/html")  # what Slack does: 200 and a page
        return web.Response(body=self.blobs[file_id], content_type=self.files[file_id]["mimetype"])

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")


def bot_user(team: str) -> str:
    """The bot's user id in a team (the original team keeps the recorded one)."""
    return BOT_USER if team == TEAM else f"U0BOT{team}"


def bot_id(team: str) -> str:
    """The bot's id in a team."""
    return BOT_ID if team == TEAM else f"B0BOT{team}"


def _between(message: dict[str, Any], p: dict[str, Any]) -> bool:
    """Whether a message lies between a request's `oldest` and `latest`, as Slack reads them."""
    ts, oldest, latest = float(message["ts"]), float(p.get("oldest") or 0), float(p.get("latest") or "inf")
    return (oldest <= ts <= latest) if str(p.get("inclusive")) in ("1", "true", "True") else oldest < ts < latest


def _json(value: Any) -> Any:
    """An object as the Web API takes it: JSON, or its text in a form field."""
    return json.loads(value) if isinstance(value, str) else value
