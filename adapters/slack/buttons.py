"""A status message's buttons as Slack Block Kit: the text in a section, the buttons and the style menu under it.

Each follow-up's `action_id` names it; a button's `value`, or a picked option's, names the job.
Links (the gallery) are buttons with a `url`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from adapters.slack.links import MAX_BUTTON_TEXT, MAX_SECTION_TEXT, link_button
from adapters.slack.pick_blocks import PICKS_BLOCK_ID, pick_elements
from bot.buttons import FollowUpKind, PickKind, ResultPick
from bot.followups import Press
from bot.ports import Button, Link

ACTION_PREFIX = "headshot_"
FOLLOW_UP_ACTION = re.compile(rf"^{ACTION_PREFIX}({'|'.join(kind.value for kind in FollowUpKind)})$")
BLOCK_ID = "headshot_follow_ups"


def status_blocks(text: str, buttons: Sequence[Button], *, profile_photos: bool = False) -> list[Block]:
    """The status text in a section with its buttons under it (no blocks without buttons), and the
    picks of its headshots in a block of their own (the profile photo's only with `profile_photos`)."""
    if not buttons:
        return []
    elements: list[InteractiveElement] = []
    picks = [
        b for b in buttons if isinstance(b, ResultPick) and (profile_photos or b.kind is not PickKind.PROFILE_PHOTO)
    ]
    links = 0
    for button in buttons:
        if isinstance(button, ResultPick):
            continue
        if isinstance(button, Link):
            elements.append(link_button(button, links))
            links += 1
            continue
        action_id = f"{ACTION_PREFIX}{button.kind.value}"
        label = button.label[:MAX_BUTTON_TEXT]
        if button.choices:
            options = [
                Option(value=f"{button.job_id}:{c.value}", label=c.label[:MAX_BUTTON_TEXT]) for c in button.choices
            ]
            elements.append(StaticSelectElement(action_id=action_id, placeholder=label, options=options))
        else:
            elements.append(ButtonElement(action_id=action_id, text=label, value=button.job_id))
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text[:MAX_SECTION_TEXT]))]
    if elements:
        blocks.append(ActionsBlock(block_id=BLOCK_ID, elements=elements))
    if picks:
        blocks.append(ActionsBlock(block_id=PICKS_BLOCK_ID, elements=[e for p in picks for e in pick_elements(p)]))
    return blocks


def read_press(action: dict[str, Any], owner: str) -> Press:
    """The press a `block_actions` action describes (raises on one that is not a follow-up's)."""
    match = FOLLOW_UP_ACTION.match(str(action["action_id"]))
    if match is None:
        raise ValueError("not a follow-up action")
    kind = FollowUpKind(match.group(1))
    if kind is FollowUpKind.STYLE:
        job_id, _, choice = str(action["selected_option"]["value"]).partition(":")
        return Press(kind, job_id, owner, choice)
    return Press(kind, str(action["value"]), owner)
