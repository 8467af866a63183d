"""The fake Discord's messages made through interactions: answers and follow-ups changed by id or by a press.

Kept beside `fake_discord` so that file stays readable; `FakeDiscord` mixes this in.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.discord import shapes

JSON = "application/json"
UPDATE_MESSAGE = 7  # the callback type that changes the message whose component was used


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with exactly `application/json` (no charset)."""
    body = b"" if data is None else json.dumps(data).encode()
    return web.Response(status=status, body=body, headers={"Content-Type": JSON, **(headers or {})})


def error(status: int, code: int, message: str) -> web.Response:
    return reply({"message": message, "code": code}, status)


class InteractionMessages:
    """Answers (`originals`, by token) and follow-ups, found and changed by message id."""

    originals: dict[str, dict[str, Any]]
    followups: list[dict[str, Any]]
    tokens_expired: bool

    async def _body(self, request: web.Request, channel_id: str, message_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def message_by_id(self, message_id: str) -> dict[str, Any] | None:
        """A message the bot made through an interaction (an answer or a follow-up), by id."""
        made = [*self.originals.values(), *(f["message"] for f in self.followups)]
        return next((m for m in made if m["id"] == message_id), None)

    def update_pressed(self, interaction: dict[str, Any], data: dict[str, Any]) -> web.Response:
        """Callback type 7: the message whose component was pressed changes; no message is made."""
        pressed = self.message_by_id(str((interaction.get("message") or {}).get("id")))
        if pressed is None:
            return error(404, 10008, "Unknown Message")
        pressed.update({k: data[k] for k in ("content", "components") if k in data})
        return reply(
            {
                "interaction": {"id": interaction["id"], "type": interaction["type"]},
                "resource": {"type": UPDATE_MESSAGE, "message": pressed},
            }
        )

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        """`PATCH /webhooks/{app}/{token}/messages/{id}`: an interaction's answer or follow-up, changed
        through that interaction's token while it lives."""
        token, message_id = request.match_info["token"], request.match_info["mid"]
        mine = [self.originals.get(token), *(f["message"] for f in self.followups if f["token"] == token)]
        message = next((m for m in mine if m is not None and m["id"] == message_id), None)
        if self.tokens_expired or message is None:
            return error(404, 10008, "Unknown Message")
        body = await self._body(request, message["channel_id"], message_id)
        message.update({k: body[k] for k in ("content", "components") if k in body})
        message["edited_timestamp"] = shapes.now_iso()
        return reply(message)
