"""`/headshot admin`: the workspace's brand kit in a modal, for the team's admins only.

The modal lists every value of each option in a multi-select (an empty one allows them all) and a
"lock one look" box that wants exactly one of each. Whether the person is an admin is asked of
Slack (`users.info`); the rule that only admins change anything is the core's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.context import ListenerContext
from adapters.slack.intake import Origin, team_workspace
from adapters.slack.modals import decode_metadata, encode_metadata
from adapters.slack.people import SlackAdminCheck
from adapters.slack.rosters import roster_blocks
from bot.brand_kit import KIT_OPTIONS, BrandKit, KitError, value_label
from bot.errors import UserError
from bot.i18n import t
from bot.options import choices
from bot.work_queue import BUSY
from bot.workspace_retention import (
    KeepError,
    KeepFor,
    RetentionRules,
    days_in_words,
    describe_keep,
    hours_in_words,
    read_number,
)

log = logging.getLogger(__name__)

ADMIN_CALLBACK = "headshot_admin"
LOCK_BLOCK = "kit_lock"
LOCK_VALUE = "lock"
PHOTOS_BLOCK = "keep_photos"
RESULTS_BLOCK = "keep_results"


def kit_block(name: str) -> str:
    """The block of an option's multi-select."""
    return f"kit_{name}"


def _text(value: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": value if len(value) <= limit else value[: limit - 1] + "…"}


def _choice(locale: str | None, value: str) -> dict[str, Any]:
    return {"text": _text(value_label(locale, value)), "value": value}


def _heading(locale: str | None, name: str) -> str:
    headings = {
        "style": t(locale, "Allowed styles"),
        "background": t(locale, "Allowed backgrounds"),
        "attire": t(locale, "Allowed attire"),
        "aspect_ratio": t(locale, "Allowed aspect ratios"),
    }
    return headings[name]


def _number_input(block: str, label: str, hint: str, value: float | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block, "max_length": 12}
    if value is not None:
        element["initial_value"] = f"{value:g}"
    return {
        "type": "input",
        "block_id": block,
        "optional": True,
        "label": _text(label),
        "hint": _text(hint, 150),
        "element": element,
    }


def retention_blocks(rules: RetentionRules, own: KeepFor, locale: str | None = None) -> list[dict[str, Any]]:
    """The two fields that shorten how long the workspace keeps photos and results (empty: the bot's)."""
    photos, results = rules.photo_hours, rules.result_days
    return [
        {"type": "divider"},
        _number_input(
            PHOTOS_BLOCK,
            t(locale, "Keep photos (hours after their job ends)"),
            t(locale, "At most {most}; leave empty for that.", most=hours_in_words(locale, photos)),
            own.photo_hours,
        ),
        _number_input(
            RESULTS_BLOCK,
            t(locale, "Keep headshots (days)"),
            t(locale, "At most {most}; leave empty for that.", most=days_in_words(locale, results)),
            own.result_days,
        ),
    ]


def admin_view(
    kit: BrandKit, metadata: dict[str, Any], locale: str | None = None, more: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The admin modal: the kit's multi-selects, the lock box, then `more` (the retention fields)."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "kit_intro",
            "text": {
                "type": "mrkdwn",
                "text": t(
                    locale,
                    "*Brand kit* — what everyone in this workspace may choose. "
                    "Leave a list empty to allow every choice.",
                ),
            },
        }
    ]
    for name in KIT_OPTIONS:
        element: dict[str, Any] = {
            "type": "multi_static_select",
            "action_id": name,
            "placeholder": _text(t(locale, "Any")),
            "options": [_choice(locale, value) for value in choices(name)],
        }
        chosen = [_choice(locale, value) for value in getattr(kit, name)]
        if chosen:
            element["initial_options"] = chosen
        blocks.append(
            {
                "type": "input",
                "block_id": kit_block(name),
                "optional": True,
                "label": _text(_heading(locale, name)),
                "element": element,
            }
        )
    lock = {
        "text": _text(t(locale, "Lock one look for everyone")),
        "description": _text(t(locale, "Pick exactly one value in each list above")),
        "value": LOCK_VALUE,
    }
    box: dict[str, Any] = {"type": "checkboxes", "action_id": LOCK_BLOCK, "options": [lock]}
    if kit.is_locked:
        box["initial_options"] = [lock]
    blocks.append(
        {
            "type": "input",
            "block_id": LOCK_BLOCK,
            "optional": True,
            "label": _text(t(locale, "One look")),
            "element": box,
        }
    )
    blocks.extend(more or [])
    return {
        "type": "modal",
        "callback_id": ADMIN_CALLBACK,
        "title": _text(t(locale, "Workspace headshots")),
        "submit": _text(t(locale, "Save")),
        "close": _text(t(locale, "Cancel")),
        "private_metadata": encode_metadata(metadata),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class AdminForm:
    """What an admin entered: the values chosen per option, whether one look is locked, and the keeps typed."""

    allowed: dict[str, list[str]]
    lock: bool
    photo_hours: str | None = None
    result_days: str | None = None


def read_admin(view: dict[str, Any]) -> AdminForm:
    """Read the admin modal's `state.values`."""
    state: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    allowed: dict[str, list[str]] = {}
    lock = False
    for name in KIT_OPTIONS:
        action = (state.get(kit_block(name)) or {}).get(name) or {}
        allowed[name] = [str(o.get("value")) for o in action.get("selected_options") or []]
    ticked = (state.get(LOCK_BLOCK) or {}).get(LOCK_BLOCK) or {}
    lock = any(o.get("value") == LOCK_VALUE for o in ticked.get("selected_options") or [])
    typed = {block: ((state.get(block) or {}).get(block) or {}).get("value") for block in (PHOTOS_BLOCK, RESULTS_BLOCK)}
    return AdminForm(allowed, lock, typed[PHOTOS_BLOCK], typed[RESULTS_BLOCK])


async def open_admin_modal(
    shared: ListenerContext, client: AsyncWebClient, trigger_id: str, team: str, user: str, channel: object
) -> None:
    """Open the admin modal for an admin of `team`; raises `NotAdmin` (one sentence) for anyone else."""
    await shared.admin.require_admin(SlackAdminCheck(shared.people, team, user))
    workspace = team_workspace(team)
    kit, own = await shared.admin.kits.kit(workspace), await shared.admin.retention.own(workspace)
    more = retention_blocks(shared.admin.retention, own)
    rosters = await shared.campaigns.rosters(workspace)
    if rosters:
        more += [{"type": "divider"}, *roster_blocks(rosters, people_shown=10)]
    await client.views_open(trigger_id=trigger_id, view=admin_view(kit, {"channel": channel}, more=more))


def register_admin(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the admin modal's submission handler."""

    async def on_admin(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        form = read_admin(view)
        try:
            kit = BrandKit.build(form.allowed, lock=form.lock)
        except KitError as exc:
            await ack(response_action="errors", errors={kit_block("style"): str(exc)})
            return
        errors: dict[str, str] = {}
        typed: dict[str, float | None] = {}
        for block, text in ((PHOTOS_BLOCK, form.photo_hours), (RESULTS_BLOCK, form.result_days)):
            try:
                typed[block] = read_number(text)
                alone = KeepFor(typed[block], None) if block == PHOTOS_BLOCK else KeepFor(None, typed[block])
                shared.admin.retention.checked(alone)
            except KeepError as exc:
                errors[block] = str(exc)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        origin = Origin.of_view(body, decode_metadata(view), context.team_id)
        if not shared.tasks.has_room():
            await ack(response_action="errors", errors={kit_block("style"): BUSY.say(origin.locale)})
            return
        await ack()
        keep = KeepFor(typed[PHOTOS_BLOCK], typed[RESULTS_BLOCK])
        shared.tasks.spawn(lambda there: save(there, origin, kit, keep), name="slack-admin")

    async def save(there: ListenerContext, origin: Origin, kit: BrandKit, keep: KeepFor) -> None:
        asker = SlackAdminCheck(there.people, origin.installed_team, origin.user)
        try:
            await there.admin.save_kit(origin.quota_workspace, kit, asker, origin.owner)
            kept = await there.admin.save_retention(origin.quota_workspace, keep, asker, origin.owner)
        except UserError as exc:
            await there.slack.tell(origin, str(exc))
            return
        text = t(
            None,
            "Saved. Headshots in this workspace now follow: {kit}. It keeps {keep}.",
            kit=kit.describe(),
            keep=describe_keep(None, kept),
        )
        await there.slack.tell(origin, text)

    app.view(ADMIN_CALLBACK)(on_admin)
