"""agent.ai's answer, read at the edge: its envelope, and images wherever the action put them.

The shape of `response` is documented only as "reference results as
`{{headshot_result.images}}`, `{{headshot_result.run_id}}`", so every plausible form is read:
nested under the output variable (possibly as a JSON string) or at the top level; each image a
URL, base64, a data URL, or an object holding one of those.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.downloads import sniff_image
from bot.ports import ResultImage

OUTPUT_VARIABLE = "headshot_result"


class Answer(BaseModel):
    """The documented envelope: `{"status": int, "response": {...}}`."""

    model_config = ConfigDict(extra="ignore")

    status: int | None = None
    response: Any = None


class _ImageObject(BaseModel):
    """One image given as an object rather than a bare string."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    url: str | None = None
    base64: str | None = None
    data: str | None = None
    mimeType: str | None = None  # the wire name


def parse_images(response: Any) -> tuple[list[ResultImage], str | None]:
    """The images and run id in an answer's `response`, wherever the action put them."""
    response = _maybe_json(response)
    if not isinstance(response, dict):
        return [], None
    nested = _maybe_json(response.get(OUTPUT_VARIABLE))
    nested = nested if isinstance(nested, dict) else {}
    container = nested if "images" in nested else response
    run_id = nested.get("run_id", response.get("run_id"))
    entries = _maybe_json(container.get("images"))
    if isinstance(entries, str | dict):
        entries = [entries]
    if not isinstance(entries, list):
        return [], str(run_id) if run_id is not None else None
    images = [image for entry in entries if (image := _image(entry)) is not None]
    return images, str(run_id) if run_id is not None else None


def _image(entry: Any) -> ResultImage | None:
    if isinstance(entry, str):
        return _image_from_text(entry, None)
    if isinstance(entry, dict):
        try:
            item = _ImageObject.model_validate(entry)
        except ValidationError:
            return None
        for text in (item.url, item.base64, item.data):
            if text and (image := _image_from_text(text, item.mimeType)) is not None:
                return image
    return None


def _image_from_text(text: str, mime: str | None) -> ResultImage | None:
    text = text.strip()
    if text.startswith(("https://", "http://")):
        return ResultImage(url=text, mime_type=mime or "image/jpeg")
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if ";base64" not in header:
            return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    sniffed = sniff_image(data[:16])
    return ResultImage(data=data, mime_type=sniffed) if sniffed else None


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def failure_message(text: str) -> str:
    """The provider's own words about a failure, short."""
    try:
        data = _maybe_json(json.loads(text)) if text.strip() else None
    except (ValueError, RecursionError):
        data = None
    for _depth in range(3):
        if not isinstance(data, dict):
            break
        for key in ("message", "error", "detail", "error_message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:300]
        data = data.get("response") or data.get("error")
    fallback = " ".join(text.split())[:300]
    return fallback or "no reason given"


def header_seconds(value: str | None) -> float | None:
    """A delay from a header: seconds, an epoch time, or an HTTP date."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return max(0.0, number - time.time()) if number > 1e9 else max(0.0, number)

