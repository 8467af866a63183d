"""Block Kit views (the request and settings modals) and reading their submitted state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.files import SlackFile
from bot.brand_kit import BrandKit
from bot.catalog import ProviderChoice
from bot.i18n import say, t, tn
from bot.labels import label, option_name
from bot.options import MAX_COUNT, MAX_PROMPT_CHARS, MIN_COUNT, Options, choices, members
from bot.photos import ACCEPTED_SUFFIXES

REQUEST_CALLBACK = "headshot_request"
SETTINGS_CALLBACK = "headshot_settings"
PHOTOS_BLOCK = "photos"
PROVIDER_BLOCK = "provider"
PROMPT_BLOCK = "prompt"
PRIVATE_BLOCK = "private"
SELECT_BLOCKS = ("style", "background", "attire", "count", "quality", "aspect_ratio")
FILE_TYPES = list(ACCEPTED_SUFFIXES)
MAX_UPLOAD_FILES = 10
_METADATA_LIMIT = 3000


def _text(value: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": value if len(value) <= limit else value[: limit - 1] + "…"}


def _option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": _text(label), "value": value}
    if description:
        option["description"] = _text(description)
    return option


def private_option(locale: str | None) -> dict[str, Any]:
    """The private-delivery checkbox's one option."""
    return {
        "text": _text(t(locale, "Send them to me privately")),
        "description": _text(t(locale, "The status and the headshots arrive in a direct message")),
        "value": "private",
    }


def _select(block: str, options: list[dict[str, Any]], initial: str, locale: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": block, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return {"type": "input", "block_id": block, "label": _text(option_name(locale, block)), "element": element}


def choice_label(choice: ProviderChoice) -> str:
    """A provider's name, with what is left of its allowance where a limit is set: "agent.ai — 3 left today"."""
    label = choice.capabilities.label
    return f"{label} — {choice.left}" if choice.left else label


def _values(name: str, locale: str | None, kit: BrandKit) -> list[dict[str, Any]]:
    if name == "count":
        return [_option(str(n), tn(locale, "1 headshot", "{n} headshots", n)) for n in range(MIN_COUNT, MAX_COUNT + 1)]
    allowed = set(kit.narrow(name, choices(name)))
    return [_option(member.value, label(locale, member)) for member in members(name) if member.value in allowed]


def option_blocks(
    providers: Sequence[ProviderChoice],
    options: Options,
    provider: str,
    locale: str | None = None,
    kit: BrandKit | None = None,
) -> list[dict[str, Any]]:
    """The provider select, one select per option (only the values of the workspace's brand kit), the
    optional prompt and the private-delivery checkbox, labelled in the reader's language (the values
    stay the options' own); `options` should already fit the kit."""
    provider_options = [
        _option(p.name, choice_label(p), say(locale, p.capabilities.description)) for p in providers
    ]
    blocks = [_select(PROVIDER_BLOCK, provider_options, provider, locale)]
    current = options.to_dict()
    kit = kit or BrandKit()
    for name in SELECT_BLOCKS:
        blocks.append(_select(name, _values(name, locale, kit), str(current[name]), locale))
    prompt: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": PROMPT_BLOCK,
        "multiline": True,
        "max_length": MAX_PROMPT_CHARS,
        "placeholder": _text(t(locale, "Anything else, e.g. “navy blazer, warm light”")),
    }
    if options.prompt:
        prompt["initial_value"] = options.prompt
    blocks.append({"type": "input", "block_id": PROMPT_BLOCK, "optional": True,
                   "label": _text(option_name(locale, "prompt")), "element": prompt})
    checkbox = private_option(locale)
    private: dict[str, Any] = {"type": "checkboxes", "action_id": PRIVATE_BLOCK, "options": [checkbox]}
    if options.private:
        private["initial_options"] = [checkbox]
    blocks.append({"type": "input", "block_id": PRIVATE_BLOCK, "optional": True,
                   "label": _text(option_name(locale, "private")), "element": private})
    return blocks


def request_view(
    providers: Sequence[ProviderChoice], options: Options, provider: str, metadata: dict[str, Any], *,
    upload: bool, photo_count: int = 0, locale: str | None = None, kit: BrandKit | None = None,
) -> dict[str, Any]:
    """The "Make headshots" modal: an upload field (or a note about the message's photos) and the options."""
    if upload:
        first: dict[str, Any] = {
            "type": "input",
            "block_id": PHOTOS_BLOCK,
            "label": _text(t(locale, "Portrait photos")),
            "hint": _text(t(locale, "1-10 clear, front-facing photos of one person")),
            "element": {"type": "file_input", "action_id": PHOTOS_BLOCK, "filetypes": FILE_TYPES,
                        "max_files": MAX_UPLOAD_FILES},
        }
    else:
        using = tn(locale, "Using the photo from the message.", "Using the {n} photos from the message.", photo_count)
        first = {"type": "section", "block_id": PHOTOS_BLOCK, "text": {"type": "mrkdwn", "text": using}}
    return {
        "type": "modal",
        "callback_id": REQUEST_CALLBACK,
        "title": _text(t(locale, "Make headshots"), 24),
        "submit": _text(t(locale, "Make headshots"), 24),
        "close": _text(t(locale, "Cancel"), 24),
        "private_metadata": encode_metadata(metadata),
        "blocks": [first, *option_blocks(providers, options, provider, locale, kit)],
    }


def settings_view(
    providers: Sequence[ProviderChoice], options: Options, provider: str, metadata: dict[str, Any], *,
    locale: str | None = None, kit: BrandKit | None = None,
) -> dict[str, Any]:
    """The modal for a user's default options."""
    return {
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "title": _text(t(locale, "Headshot settings"), 24),
        "submit": _text(t(locale, "Save"), 24),
        "close": _text(t(locale, "Cancel"), 24),
        "private_metadata": encode_metadata(metadata),
        "blocks": option_blocks(providers, options, provider, locale, kit),
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
