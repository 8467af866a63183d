"""A fake agent.ai action endpoint, per the documented request and answer envelope.

`POST /v1/action/instant_headshot_run_headshot_generation` with `Authorization: Bearer <key>`
and a JSON body whose values are all strings (`photos_json` is a JSON *string*). The answer is
`{"status": int, "response": {...}}`; how `response` holds the images is not documented, so
`shape` and `encoding` choose among the plausible forms.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import FakeServer, small_jpeg

ACTION = "/v1/action/instant_headshot_run_headshot_generation"
ENUMS = {
    "style": {"professional", "casual", "creative", "executive", "friendly", "editorial"},
    "background": {"studio_white", "studio_gray", "office", "outdoor", "gradient", "abstract"},
    "attire": {"business_formal", "business_casual", "smart_casual", "casual", "scrubs", "keep_original"},
    "count": {"1", "2", "3", "4"},
    "quality": {"standard", "high"},
    "aspect_ratio": {"1:1", "3:4", "4:3", "2:3", "3:2", "9:16", "16:9"},
}
VARIABLE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")


@dataclass
class ActionRequest:
    """What the fake received."""

    headers: dict[str, str]
    raw: bytes
    body: Any = None


class FakeAgentAI(FakeServer):
    """agent.ai's headshot action. `shape`: nested | nested_string | top | empty;
    `encoding`: url | base64 | data_url | object_url | object_base64."""

    def __init__(self, api_key: str = "agentai-test-key", *, shape: str = "nested", encoding: str = "base64") -> None:
        super().__init__()
        self.api_key = api_key
        self.shape = shape
        self.encoding = encoding
        self.run_id = "run-7f3a"
        self.requests: list[ActionRequest] = []
        self.served: dict[str, bytes] = {}
        self.app.router.add_post(ACTION, self._action)
        self.app.router.add_get("/files/{name}", self._file)

    async def _action(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        received = ActionRequest(headers=dict(request.headers), raw=raw)
        self.requests.append(received)
        reply = self.scripted()
        if reply is not None:
            return await reply.respond()
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"status": 401, "error": "Invalid or missing API token"}, status=401)
        try:
            received.body = json.loads(raw)
        except ValueError:
            return web.json_response({"status": 400, "error": "Body must be JSON"}, status=400)
        problem = _invalid(received.body)
        if problem:
            return web.json_response({"status": 400, "error": problem}, status=400)
        count = int(received.body.get("count", "1"))
        images = [small_jpeg(n + 100) for n in range(count)]
        result = {"images": [self._encode(n, data) for n, data in enumerate(images)], "run_id": self.run_id}
        variable = received.body["output_variable_name"]
        return web.json_response({"status": 200, "response": self._shape(variable, result)})

    def expected_images(self, count: int) -> list[bytes]:
        """The images a successful answer for `count` carries, in order."""
        return [small_jpeg(n + 100) for n in range(count)]

    def _encode(self, n: int, data: bytes) -> Any:
        b64 = base64.b64encode(data).decode()
        if self.encoding in ("url", "object_url"):
            name = f"{uuid.uuid4().hex}-{n}.jpg"
            self.served[name] = data
            url = f"{self.url}/files/{name}"
            return url if self.encoding == "url" else {"url": url, "mimeType": "image/jpeg"}
        if self.encoding == "data_url":
            return f"data:image/jpeg;base64,{b64}"
        if self.encoding == "object_base64":
            return {"base64": b64, "mimeType": "image/jpeg"}
        return b64

    def _shape(self, variable: str, result: dict[str, Any]) -> dict[str, Any]:
        if self.shape == "top":
            return result
        if self.shape == "nested_string":
            return {variable: json.dumps(result)}
        if self.shape == "empty":
            return {variable: {"run_id": self.run_id}}
        return {variable: result}

    async def _file(self, request: web.Request) -> web.Response:
        data = self.served.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/jpeg")


def _invalid(body: Any) -> str | None:
    """Why a body breaks the documented schema, or None."""
    if not isinstance(body, dict):
        return "Body must be an object"
    for name in ("photos_json", "style", "background", "attire", "output_variable_name"):
        if name not in body:
            return f"{name} is required"
    for name, value in body.items():
        if not isinstance(value, str):
            return f"{name} must be a string"
    for name, allowed in ENUMS.items():
        if name in body and body[name] not in allowed:
            return f"{name} must be one of {sorted(allowed)}"
    if not VARIABLE.match(body["output_variable_name"]):
        return "output_variable_name does not match ^[a-zA-Z][a-zA-Z0-9_]*$"
    try:
        photos = json.loads(body["photos_json"])
    except ValueError:
        return "photos_json must be a JSON array"
    if not isinstance(photos, list) or not 1 <= len(photos) <= 3:
        return "photos_json must hold 1 to 3 photos"
    for photo in photos:
        if not isinstance(photo, dict) or not isinstance(photo.get("mimeType"), str):
            return "each photo needs base64 and mimeType"
        try:
            base64.b64decode(photo.get("base64", ""), validate=True)
        except (binascii.Error, ValueError, TypeError):
            return "photo base64 is invalid"
    return None
