"""The picks of a delivered job's headshots as Block Kit, and the presses on them.

A few headshots get a button each ("★ #2", "Set #2 as my Slack photo"); a pack gets a menu of
numbers (a static select holds up to 100 options), numbered as the thread's contact sheet and the
gallery are. Each control's `action_id` says what it does, its `value` (a button's, or the picked
option's) names the job and the number: `<job>:<number>`. Slack uploads files without buttons, so
these sit on the job's status message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ButtonElement, InteractiveElement, Option, StaticSelectElement

from bot.buttons import PickKind, ResultPick
from bot.i18n import t

PICKS_BLOCK_ID = "headshot_picks"
UNFAVOURITE = "unfavourite"  # from a listing of favourites: only ever takes the mark off
PICK_ACTION = re.compile(rf"^headshot_({'|'.join(k.value for k in PickKind)}|{UNFAVOURITE})(?:_[0-9]+)?$")
BUTTONS_UP_TO = 4
MAX_OPTIONS = 100


def pick_value(job_id: str, number: int) -> str:
    """What a pick's control sends back."""
    return f"{job_id}:{number}"


def _button_label(kind: PickKind, number: int, count: int, locale: str | None) -> str:
    if kind is PickKind.FAVOURITE:
        return t(locale, "★ Favourite") if count == 1 else t(locale, "★ #{number}", number=number)
    if count == 1:
        return t(locale, "Set as my Slack photo")
    return t(locale, "Set #{number} as my Slack photo", number=number)


def pick_elements(pick: ResultPick, locale: str | None = None) -> list[InteractiveElement]:
    """A button per headshot for a few, else one menu of their numbers."""
    action = f"headshot_{pick.kind.value}"
    if pick.count <= BUTTONS_UP_TO:
        return [
            ButtonElement(
                action_id=f"{action}_{number}", value=pick_value(pick.job_id, number),
                text=_button_label(pick.kind, number, pick.count, locale),
            )
            for number in range(1, pick.count + 1)
        ]
    placeholder = (
        t(locale, "★ Mark a favourite") if pick.kind is PickKind.FAVOURITE else t(locale, "Set as my Slack photo")
    )
    options = [
        Option(value=pick_value(pick.job_id, number), label=f"#{number}")
        for number in range(1, min(pick.count, MAX_OPTIONS) + 1)
    ]
    return [StaticSelectElement(action_id=action, placeholder=placeholder, options=options)]


@dataclass(frozen=True)
class PickPress:
    """A press on a pick: what it does (a `PickKind` value, or `UNFAVOURITE`), on which job, which number."""

    action: str
    job_id: str
    number: int


def read_pick(action: dict[str, Any]) -> PickPress:
    """The pick a `block_actions` action describes (raises on one that is not a pick's)."""
    match = PICK_ACTION.match(str(action["action_id"]))
    if match is None:
        raise ValueError("not a pick action")
    value = str(action["selected_option"]["value"] if "selected_option" in action else action["value"])
    job_id, _, number = value.partition(":")
    return PickPress(match.group(1), job_id, int(number))
