"""Buttons the core puts under a job's status message, as values each chat surface draws its own way.

A follow-up acts on the job it belongs to: the surface sends a press back to the core
(`bot.followups`) with the follow-up's kind, its job, and for a menu the choice that was picked.
Everything a press needs is in the store, so a button works after a restart and on any replica.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.jobs import Job, JobState
from bot.options import Style
from bot.request import Capabilities


class FollowUpKind(StrEnum):
    """What pressing a follow-up starts."""

    MORE = "more"  # a new job with the same photos and options
    STYLE = "style"  # a new job with the same photos and options in the style picked from the menu


@dataclass(frozen=True)
class Choice:
    """One entry of a follow-up menu: the value sent back, and what the person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class FollowUp:
    """A button under a delivered job's status (a menu when it has `choices`) that starts a new job from it."""

    kind: FollowUpKind
    label: str
    job_id: str
    choices: tuple[Choice, ...] = ()


MORE_LABEL = "More like these"
STYLE_LABEL = "Another style"


def follow_ups(
    job: Job, capabilities: Capabilities | None, allowed_styles: Collection[str] | None = None
) -> list[FollowUp]:
    """The follow-ups a job's status offers: none until it is delivered; the style menu only where the
    provider honours the style, listing the styles the job did not use (of `allowed_styles`, the
    workspace's brand kit, when given), and only when one is left."""
    if job.state is not JobState.DELIVERED:
        return []
    more = FollowUp(FollowUpKind.MORE, MORE_LABEL, job.id)
    if capabilities is None or "style" not in capabilities.honours:
        return [more]
    styles = tuple(
        Choice(s.value, s.value.capitalize()) for s in Style
        if s is not job.options.style and (allowed_styles is None or s.value in allowed_styles)
    )
    return [more, FollowUp(FollowUpKind.STYLE, STYLE_LABEL, job.id, styles)] if styles else [more]
