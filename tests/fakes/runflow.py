"""A fake Runflow API, per its documentation.

`POST /api/v1/images/generate-headshots` with header `x-api-key`: multipart (repeated `images`
files + `callback_url`) or JSON (`callback_url`, `input_images`). Answer
`{"success": true, "data": {"headshots_id": UUID}}`; errors `{code, message, errors[]}`.
Later the fake POSTs `{"event": "headshots.completed", "headshots_id", "image_urls"}` to the
callback URL when a test calls `complete()`. `POST /api/v1/images/score` rates one photo.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import FakeServer

GENERATE = "/api/v1/images/generate-headshots"
SCORE = "/api/v1/images/score"


@dataclass
class Part:
    """One uploaded file as received."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Submission:
    """One accepted generation request."""

    headshots_id: str
    callback_url: str
    api_key: str
    images: list[Part] = field(default_factory=list)
    input_images: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def problem(status: int, code: str, message: str, errors: list[Any] | None = None) -> web.Response:
    """Runflow's error body."""
    return web.json_response({"code": code, "message": message, "errors": errors or []}, status=status)


class FakeRunflow(FakeServer):
    """Runflow's headshot pack endpoint, its quality score, and its completion callback."""

    def __init__(self, api_key: str = "runflow-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.submissions: list[Submission] = []
        self.attempts = 0
        self.score_replies: list[dict[str, Any] | None] = []
        self.scored: list[Part] = []
        self.app.router.add_post(GENERATE, self._generate)
        self.app.router.add_post(SCORE, self._score)

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        reply = self.scripted()
        if reply is not None:
            await request.read()
            return await reply.respond()
        key = request.headers.get("x-api-key", "")
        if key != self.api_key:
            await request.read()
            return problem(401, "unauthorized", "Invalid API key")
        submission = Submission(headshots_id=str(uuid.uuid4()), callback_url="", api_key=key)
        if request.content_type == "application/json":
            body = await request.json()
            submission.callback_url = str(body.get("callback_url", ""))
            submission.input_images = list(body.get("input_images", []))
        else:
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                data = await part.read()
                if part.filename is not None:
                    content_type = part.headers.get("Content-Type", "")
                    submission.images.append(Part(part.name or "", part.filename, content_type, bytes(data)))
                else:
                    submission.fields[part.name or ""] = bytes(data).decode()
            submission.callback_url = submission.fields.get("callback_url", "")
        errors = []
        if not submission.callback_url.startswith(("https://", "http://")):
            errors.append({"field": "callback_url", "message": "callback_url is required"})
        if not submission.images and not submission.input_images:
            errors.append({"field": "images", "message": "At least one image is required"})
        if any(p.name != "images" for p in submission.images):
            errors.append({"field": "images", "message": "Files must be sent as `images`"})
        if errors:
            return problem(422, "validation_error", "Validation failed", errors)
        self.submissions.append(submission)
        return web.json_response({"success": True, "data": {"headshots_id": submission.headshots_id}})

    async def _score(self, request: web.Request) -> web.StreamResponse:
        reply = self.scripted()
        if reply is not None:
            await request.read()
            return await reply.respond()
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.filename is not None:
                content_type = part.headers.get("Content-Type", "")
                self.scored.append(Part(part.name or "", part.filename, content_type, bytes(await part.read())))
        answer = self.score_replies.pop(0) if self.score_replies else None
        if answer is None:
            answer = {"quality_score": 0.9, "brightness": 0.6, "sharpness": 0.8, "tips": []}
        return web.json_response({"success": True, "data": answer})

    async def complete(
        self, submission: Submission, image_urls: list[str], *, headshots_id: str | None = None
    ) -> tuple[int, Any]:
        """Send the completion callback, as Runflow would; returns the receiver's status and body."""
        body = {
            "event": "headshots.completed",
            "headshots_id": headshots_id or submission.headshots_id,
            "image_urls": image_urls,
        }
        return await post_json(submission.callback_url, body)


async def post_json(url: str, body: Any) -> tuple[int, Any]:
    """POST a JSON body; the status and the decoded answer."""
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)
