"""Block Kit views (the request and settings modals) and reading their submitted state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.files import SlackFile
from bot.brand_kit import BrandKit
from bot.catalog import ProviderChoice
from bot.options import MAX_COUNT, MAX_PROMPT_CHARS, MIN_COUNT, Options, choices
from bot.photos import ACCEPTED_SUFFIXES

REQUEST_CALLBACK = "headshot_request"
SETTINGS_CALLBACK = "headshot_settings"
PHOTOS_BLOCK = "photos"
PROVIDER_BLOCK = "provider"
PROMPT_BLOCK = "prompt"
PRIVATE_BLOCK = "private"
PRIVATE_OPTION: dict[str, Any] = {
    "text": {"type": "plain_text", "text": "Send them to me privately"},
    "description": {"type": "plain_text", "text": "The status and the headshots arrive in a direct message"},
    "value": "private",
}
SELECT_BLOCKS = ("style", "background", "attire", "count", "quality", "aspect_ratio")
FILE_TYPES = list(ACCEPTED_SUFFIXES)
MAX_UPLOAD_FILES = 10
_LABELS = {
    "style": "Style",
    "background": "Background",
    "attire": "Attire",
    "count": "How many",
    "quality": "Quality",
    "aspect_ratio": "Aspect ratio",
}
_METADATA_LIMIT = 3000


def _text(value: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": value if len(value) <= limit else value[: limit - 1] + "…"}


def _option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": _text(label), "value": value}
    if description:
        option["description"] = _text(description)
    return option


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _select(block: str, options: list[dict[str, Any]], initial: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": block, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return {"type": "input", "block_id": block, "label": _text(_LABELS.get(block, "Provider")), "element": element}


def choice_label(choice: ProviderChoice) -> str:
    """A provider's name, with what is left of its allowance where a limit is set: "agent.ai — 3 left today"."""
    label = choice.capabilities.label
    return f"{label} — {choice.left}" if choice.left else label


def option_blocks(
    providers: Sequence[ProviderChoice], options: Options, provider: str, kit: BrandKit | None = None
) -> list[dict[str, Any]]:
    """The provider select, one select per option (only the values of the workspace's brand kit), the
    optional prompt and the private-delivery checkbox; `options` should already fit the kit."""
    provider_options = [_option(p.name, choice_label(p), p.capabilities.description) for p in providers]
    blocks = [_select(PROVIDER_BLOCK, provider_options, provider)]
    current = options.to_dict()
    kit = kit or BrandKit()
    for name in SELECT_BLOCKS:
        values = [str(n) for n in range(MIN_COUNT, MAX_COUNT + 1)] if name == "count" else kit.narrow(
            name, choices(name)
        )
        blocks.append(_select(name, [_option(v, _words(v)) for v in values], str(current[name])))
    prompt: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": PROMPT_BLOCK,
        "multiline": True,
        "max_length": MAX_PROMPT_CHARS,
        "placeholder": _text("Anything else, e.g. “navy blazer, warm light”"),
    }
    if options.prompt:
        prompt["initial_value"] = options.prompt
    blocks.append({"type": "input", "block_id": PROMPT_BLOCK, "optional": True, "label": _text("Prompt"),
                   "element": prompt})
    private: dict[str, Any] = {"type": "checkboxes", "action_id": PRIVATE_BLOCK, "options": [PRIVATE_OPTION]}
    if options.private:
        private["initial_options"] = [PRIVATE_OPTION]
    blocks.append({"type": "input", "block_id": PRIVATE_BLOCK, "optional": True, "label": _text("Delivery"),
                   "element": private})
    return blocks


def request_view(
    providers: Sequence[ProviderChoice], options: Options, provider: str, metadata: dict[str, Any], *,
    upload: bool, photo_count: int = 0, kit: BrandKit | None = None,
) -> dict[str, Any]:
    """The "Make headshots" modal: an upload field (or a note about the message's photos) and the options."""
    if upload:
        first: dict[str, Any] = {
            "type": "input",
            "block_id": PHOTOS_BLOCK,
            "label": _text("Portrait photos"),
            "hint": _text("1-10 clear, front-facing photos of one person"),
            "element": {"type": "file_input", "action_id": PHOTOS_BLOCK, "filetypes": FILE_TYPES,
                        "max_files": MAX_UPLOAD_FILES},
        }
    else:
        noun = "photo" if photo_count == 1 else "photos"
        first = {"type": "section", "block_id": PHOTOS_BLOCK,
                 "text": {"type": "mrkdwn", "text": f"Using the {photo_count} {noun} from the message."}}
    return {
        "type": "modal",
        "callback_id": REQUEST_CALLBACK,
        "title": _text("Make headshots"),
        "submit": _text("Make headshots"),
        "close": _text("Cancel"),
        "private_metadata": encode_metadata(metadata),
        "blocks": [first, *option_blocks(providers, options, provider, kit)],
    }


def settings_view(
    providers: Sequence[ProviderChoice], options: Options, provider: str, metadata: dict[str, Any],
    kit: BrandKit | None = None,
) -> dict[str, Any]:
    """The modal for a user's default options."""
    return {
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "title": _text("Headshot settings"),
        "submit": _text("Save"),
        "close": _text("Cancel"),
        "private_metadata": encode_metadata(metadata),
        "blocks": option_blocks(providers, options, provider, kit),
    }


def encode_metadata(metadata: dict[str, Any]) -> str:
    """JSON for `private_metadata`; file URLs are dropped when it would not fit (files.info finds them)."""
    text = json.dumps(metadata, separators=(",", ":"))
    if len(text) > _METADATA_LIMIT and metadata.get("files"):
        slim = [{"id": f["id"], "name": f.get("name", "")} for f in metadata["files"]]
        text = json.dumps({**metadata, "files": slim}, separators=(",", ":"))
    return text


def decode_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The view's `private_metadata` as a dict (empty when absent or unreadable)."""
    try:
        value = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class Submission:
    """What a user entered in a modal."""

    values: dict[str, str]
    provider: str | None
    files: list[SlackFile] = field(default_factory=list)


def read_state(view: dict[str, Any]) -> Submission:
    """Read `view.state.values` (selected options, prompt text, uploaded files)."""
    state: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    values: dict[str, str] = {}
    provider: str | None = None
    files: list[SlackFile] = []
    for block, actions in state.items():
        for action in actions.values():
            kind = action.get("type")
            if kind == "static_select":
                selected = (action.get("selected_option") or {}).get("value")
                if block == PROVIDER_BLOCK:
                    provider = selected
                elif selected is not None:
                    values[block] = str(selected)
            elif kind == "plain_text_input" and block == PROMPT_BLOCK:
                values["prompt"] = str(action.get("value") or "")
            elif kind == "checkboxes" and block == PRIVATE_BLOCK:
                # Unticked says so too: it overrides a saved default of private delivery.
                ticked = {o.get("value") for o in action.get("selected_options") or []}
                values["private"] = "true" if "private" in ticked else "false"
            elif kind == "file_input":
                files.extend(action.get("files") or [])
    return Submission(values=values, provider=provider, files=files)
