"""A stand-in for Discord on a random loopback port: REST (API v10), an attachment CDN, a gateway.

It answers in Discord's documented shapes and with `Content-Type: application/json` exactly
(discord.py reads anything else as text). Knobs make it misbehave the way Discord does: one
429 with `retry_after`, one 5xx, 403 Missing Permissions, expired interaction tokens.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord import shapes
from tests.discord.fake_messages import UPDATE_MESSAGE, InteractionMessages, error, reply

LOADING, EPHEMERAL = 1 << 7, 1 << 6
AUTOCOMPLETE_RESULT = 8  # the interaction callback type that answers an autocomplete
NONCE_WINDOW_S = 300.0  # how long a repeated `nonce` (with `enforce_nonce`) returns the first message


@dataclass
class Upload:
    """One file received in a message."""

    channel_id: str
    message_id: str
    filename: str
    size: int
    data: bytes = field(default=b"", repr=False)


@dataclass
class Seen:
    """One request, for order and timing assertions."""

    method: str
    path: str
    at: float
    auth: str | None


@dataclass
class FakeDiscord(InteractionMessages):
    """Discord's REST API, CDN and gateway, with recordings and failure knobs."""

    runner: web.AppRunner | None = None
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel id -> oldest first
    edits: list[tuple[str, str]] = field(default_factory=list)  # (message id, content) via the bot token
    uploads: list[Upload] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "global" or guild id -> body
    identified: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    interactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> payload
    originals: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> message
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    # (request path, its `allowed_mentions`) for every request that carries message content
    mention_rules: list[tuple[str, Any]] = field(default_factory=list)
    # knobs: route kinds ("send", "thread", "edit", "history", ...) to refuse or fail once
    forbid: set[str] = field(default_factory=set)
    rate_limit_once: dict[str, float] = field(default_factory=dict)
    server_error_once: set[str] = field(default_factory=set)
    tokens_expired: bool = False
    refuse_sends_after: int | None = None  # answer 403 to channel messages after this many were made
    _sends: int = 0
    dms: dict[str, str] = field(default_factory=dict)  # user id -> their direct message channel with the bot
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> GET /users/{id}
    dms_closed: set[str] = field(default_factory=set)  # users who take no direct messages from server members
    nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)  # (channel, nonce)

    @property
    def api(self) -> str:
        return f"{self.url}/api/v10"

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        r = app.router
        a = "/api/v10"
        r.add_get(f"{a}/users/@me", self._me)
        r.add_get(f"{a}/users/{{uid}}", self._user)
        r.add_get(f"{a}/oauth2/applications/@me", self._application)
        r.add_get(f"{a}/gateway/bot", self._gateway_bot)
        r.add_post(f"{a}/users/@me/channels", self._open_dm)
        r.add_put(f"{a}/applications/{{app}}/commands", self._sync)
        r.add_put(f"{a}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        r.add_post(f"{a}/interactions/{{iid}}/{{token}}/callback", self._callback)
        r.add_route("*", f"{a}/webhooks/{{app}}/{{token}}/messages/@original", self._original)
        r.add_patch(f"{a}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self._webhook_edit)
        r.add_post(f"{a}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_post(f"{a}/channels/{{cid}}/messages", self._send)
        r.add_get(f"{a}/channels/{{cid}}/messages", self._history)
        r.add_patch(f"{a}/channels/{{cid}}/messages/{{mid}}", self._edit)
        r.add_post(f"{a}/channels/{{cid}}/messages/{{mid}}/threads", self._thread)
        r.add_get("/attachments/{cid}/{aid}/{name}", self._cdn)
        r.add_get("/gateway", self._gateway)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    def add_file(self, channel_id: str, filename: str, data: bytes, content_type: str) -> dict[str, Any]:
        """Host a file on the CDN; returns its attachment object."""
        aid = shapes.snowflake()
        self.files[f"/attachments/{channel_id}/{aid}/{filename}"] = (data, content_type)
        url = f"{self.url}/attachments/{channel_id}/{aid}/{filename}?ex=6a1b2c3d&is=6a1a1a1a&hm=ab12"
        return {
            "id": aid, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
            "content_type": content_type, "content_scan_version": 0,
        }

    def interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Note an interaction about to be delivered, so its answers land in the right channel."""
        self.interactions[payload["token"]] = payload
        return payload

    def channel_posts(self, channel_id: str) -> list[dict[str, Any]]:
        """The bot's messages in a channel, oldest first (the status message included)."""
        return [m for m in self.messages.get(channel_id, []) if m["author"]["id"] == shapes.APP_ID]

    def first(self, method: str, prefix: str) -> Seen:
        return next(s for s in self.seen if s.method == method and s.path.startswith(prefix))

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a gateway event to every connected client; returns how many got it."""
        live = [ws for ws in self.sockets if not ws.closed]  # a killed client leaves its socket behind
        for ws in live:
            await ws.send_json({"op": 0, "t": event, "s": 2, "d": data})
        return len(live)

    async def deliver_interaction(self, payload: dict[str, Any]) -> None:
        """An INTERACTION_CREATE over the gateway, as Discord sends a command to a connected bot."""
        self.interaction(payload)
        sent = await self.dispatch("INTERACTION_CREATE", payload)
        assert sent, "no client is connected to the gateway"

    def thread_files(self, channel_id: str) -> list[Upload]:
        """Every file the bot uploaded into a channel or thread, in the order they arrived."""
        return [u for u in self.uploads if u.channel_id == channel_id]

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.seen.append(Seen(request.method, request.path, time.monotonic(), request.headers.get("Authorization")))
        return await handler(request)

    async def _me(self, _request: web.Request) -> web.Response:
        return reply(shapes.BOT_USER)

    async def _user(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        if not uid.isdigit():
            return error(404, 10013, "Unknown User")
        someone = {"id": uid, "username": f"user{uid[-4:]}", "global_name": f"Person {uid[-4:]}",
                   "discriminator": "0", "avatar": None, "public_flags": 0}
        return reply(self.users.get(uid) or someone)

    async def _application(self, _request: web.Request) -> web.Response:
        return reply(shapes.application())

    def _knob(self, kind: str) -> web.Response | None:
        if kind in self.rate_limit_once:
            after = self.rate_limit_once.pop(kind)
            body = {"message": "You are being rate limited.", "retry_after": after, "global": False}
            return reply(body, 429, {"Retry-After": str(after), "Via": "1.1 google", "X-RateLimit-Scope": "user"})
        if kind in self.server_error_once:
            self.server_error_once.discard(kind)
            return error(503, 0, "Service Unavailable")
        if kind in self.forbid:
            return error(403, 50013, "Missing Permissions")
        return None

    async def _body(self, request: web.Request, channel_id: str, message_id: str) -> dict[str, Any]:
        """A message body, JSON or multipart (`payload_json` + `files[n]`); files are recorded."""
        if not request.content_type.startswith("multipart/"):
            found = dict(await request.json())
            self.mention_rules.append((request.path, found.get("allowed_mentions")))
            return found
        body: dict[str, Any] = {}
        attachments = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                self.uploads.append(Upload(channel_id, message_id, part.filename or "", len(data), bytes(data)))  # type: ignore[union-attr]
                attachments.append({"id": shapes.snowflake(), "filename": part.filename, "size": len(data),  # type: ignore[union-attr]
                                    "url": f"{self.url}/attachments/{channel_id}/{message_id}/{part.filename}",  # type: ignore[union-attr]
                                    "proxy_url": "", "content_type": "image/jpeg"})
        body["attachments"] = attachments
        self.mention_rules.append((request.path, body.get("allowed_mentions")))
        return body

    async def _open_dm(self, request: web.Request) -> web.Response:
        """`POST /users/@me/channels`: the bot's direct message channel with a user (the same one each time).
        Discord opens it even for users who take no direct messages: sending into it is what fails."""
        user_id = str((await request.json())["recipient_id"])
        channel_id = self.dms.setdefault(user_id, shapes.snowflake())
        return reply(shapes.dm_channel(channel_id, user_id))

    def guild_of(self, channel_id: str) -> str | None:
        """The guild a channel or thread belongs to, from what the fake has seen (None for a DM)."""
        if channel_id in self.dms.values():
            return None
        if channel_id in self.threads:
            return self.threads[channel_id].get("guild_id")
        return self.interactions_guild(channel_id)

    def channel_object(self, channel_id: str, guild: str) -> dict[str, Any]:
        """A guild text channel, or the thread with that id, as an interaction carries it."""
        if channel_id in self.threads:
            return {**self.threads[channel_id], "permissions": "2248473465835073"}
        return {"id": channel_id, "guild_id": guild, "type": 0, "name": "general", "flags": 0, "nsfw": False,
                "parent_id": None, "permissions": "2248473465835073", "position": 0, "rate_limit_per_user": 0,
                "topic": None, "last_message_id": None}

    async def _gateway_bot(self, _request: web.Request) -> web.Response:
        limits = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return reply({"url": f"{self.url.replace('http', 'ws')}/gateway", "shards": 1, "session_start_limit": limits})

    async def _sync(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.commands[request.match_info.get("guild", "global")] = body
        guild = request.match_info.get("guild")
        answer = [{"description": "", "options": [], "default_member_permissions": None, "nsfw": False,
                   **c, "id": shapes.snowflake(), "application_id": shapes.APP_ID, "version": shapes.snowflake(),
                   **({"guild_id": guild} if guild else {})} for c in body]
        return reply(answer)

    async def _callback(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.tokens_expired:
            return error(404, 10062, "Unknown interaction")
        if (knob := self._knob("callback")) is not None:
            return knob
        body = await request.json()
        interaction = self.interactions.get(token)
        if interaction is None:
            return error(404, 10062, "Unknown interaction")
        if any(c["token"] == token for c in self.callbacks):
            return error(400, 40060, "Interaction has already been acknowledged.")
        self.callbacks.append({"token": token, "body": body, "at": time.monotonic()})
        if body["type"] == AUTOCOMPLETE_RESULT:  # suggestions only: no message is made
            result = {"id": interaction["id"], "type": interaction["type"]}
            return reply({"interaction": result, "resource": {"type": AUTOCOMPLETE_RESULT}})
        data = body.get("data") or {}
        if "content" in data:
            self.mention_rules.append((request.path, data.get("allowed_mentions")))
        if body["type"] == UPDATE_MESSAGE:  # a component's own message is changed; no new message
            return self.update_pressed(interaction, data)
        flags = int(data.get("flags") or 0) | (LOADING if body["type"] == 5 else 0)
        channel_id = interaction["channel"]["id"]
        user = (interaction.get("member") or interaction)["user"]
        metadata = {"id": interaction["id"], "type": interaction["type"], "user": user,
                    "authorizing_integration_owners": interaction["authorizing_integration_owners"]}
        if "name" in interaction["data"]:
            metadata["name"] = interaction["data"]["name"]
        message = shapes.message(channel_id, data.get("content", ""), flags=flags, interaction_metadata=metadata)
        message["components"] = data.get("components") or []
        self.originals[token] = message
        if not flags & EPHEMERAL:
            self.messages.setdefault(channel_id, []).append(message)
        result = {"id": interaction["id"], "type": interaction["type"], "response_message_id": message["id"],
                  "response_message_loading": bool(flags & LOADING),
                  "response_message_ephemeral": bool(flags & EPHEMERAL)}
        return reply({"interaction": result, "resource": {"type": body["type"], "message": message}})

    async def _original(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.tokens_expired or token not in self.originals:
            return error(404, 10015, "Unknown Webhook")
        message = self.originals[token]
        if request.method == "GET":
            return reply(message)
        if request.method == "DELETE":
            self.deleted.append(message["id"])
            for history in self.messages.values():
                if message in history:
                    history.remove(message)
            return web.Response(status=204)
        body = await self._body(request, message["channel_id"], message["id"])
        if "content" in body:
            message["content"] = body["content"]
        if "components" in body:
            message["components"] = body["components"]
        if body.get("attachments"):
            message["attachments"] = body["attachments"]
        message["flags"] &= ~LOADING
        message["edited_timestamp"] = shapes.now_iso()
        return reply(message)

    async def _followup(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.tokens_expired or token not in self.interactions:
            return error(404, 10015, "Unknown Webhook")
        channel_id = self.interactions[token]["channel"]["id"]
        body = await self._body(request, channel_id, "followup")
        message = shapes.message(channel_id, body.get("content", ""), flags=int(body.get("flags") or 0))
        message["components"] = body.get("components") or []
        self.followups.append({"token": token, "message": message})
        if not message["flags"] & EPHEMERAL:
            self.messages.setdefault(channel_id, []).append(message)
        return reply(message)

    async def _send(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["cid"]
        if (knob := self._knob("send")) is not None:
            return knob
        if self.refuse_sends_after is not None and self._sends >= self.refuse_sends_after:
            return error(403, 50013, "Missing Permissions")
        self._sends += 1
        if any(self.dms.get(user) == channel_id for user in self.dms_closed):
            return error(403, 50007, "Cannot send messages to this user")
        message_id = shapes.snowflake()
        body = await self._body(request, channel_id, message_id)
        nonce = (channel_id, str(body["nonce"])) if body.get("enforce_nonce") and body.get("nonce") else None
        if nonce in self.nonces and time.monotonic() - self.nonces[nonce][0] < NONCE_WINDOW_S:
            return reply(self.nonces[nonce][1])  # the same author and nonce within the window: the first message
        message = shapes.message(channel_id, body.get("content", ""), attachments=body.get("attachments", []))
        message["id"] = message_id
        message["components"] = body.get("components") or []
        if body.get("message_reference"):
            message["message_reference"] = {k: str(v) if k.endswith("_id") else v
                                            for k, v in body["message_reference"].items()}
            message["type"] = 19
        self.messages.setdefault(channel_id, []).append(message)
        if nonce is not None:
            self.nonces[nonce] = (time.monotonic(), message)
        return reply({**message, "nonce": nonce[1]} if nonce else message)

    async def _edit(self, request: web.Request) -> web.Response:
        cid, mid = request.match_info["cid"], request.match_info["mid"]
        if (knob := self._knob("edit")) is not None:
            return knob
        found = next((m for m in self.messages.get(cid, []) if m["id"] == mid), None)
        if found is None:
            return error(404, 10008, "Unknown Message")
        body = await request.json()
        self.mention_rules.append((request.path, body.get("allowed_mentions")))
        found["content"] = body.get("content", found["content"])
        if "components" in body:
            found["components"] = body["components"]
        found["edited_timestamp"] = shapes.now_iso()
        self.edits.append((mid, found["content"]))
        return reply(found)

    async def _history(self, request: web.Request) -> web.Response:
        if (knob := self._knob("history")) is not None:
            return knob
        newest_first = list(reversed(self.messages.get(request.match_info["cid"], [])))
        query = request.query
        limit, after = int(query.get("limit", "50")), int(query.get("after") or 0)
        newest_first = [m for m in newest_first if after < int(m["id"]) < int(query.get("before") or 2**64)]
        return reply(newest_first[-limit:] if after else newest_first[:limit])  # `after`: the ones just after it

    async def _thread(self, request: web.Request) -> web.Response:
        cid, mid = request.match_info["cid"], request.match_info["mid"]
        if (knob := self._knob("thread")) is not None:
            return knob
        if mid in self.threads:
            return error(400, 160004, "A thread has already been created for this message")
        body = await request.json()
        thread = shapes.thread_channel(mid, cid, self.interactions_guild(cid), body["name"],
                                body.get("auto_archive_duration", 1440))
        self.threads[mid] = thread
        return reply(thread, 201)

    def interactions_guild(self, channel_id: str) -> str | None:
        for payload in self.interactions.values():
            if payload["channel"]["id"] == channel_id:
                return payload.get("guild_id")
        return None

    async def _cdn(self, request: web.Request) -> web.Response:
        data, kind = self.files[request.path]
        return web.Response(body=data, headers={"Content-Type": kind})

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in ws:
            data = json.loads(frame.data)
            if data["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] == 2:
                self.identified.append(data["d"])
                data = shapes.ready(f"{self.url.replace('http', 'ws')}/gateway")
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": data})
        return ws
