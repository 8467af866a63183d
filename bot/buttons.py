"""Buttons the core puts under a job's status message, as values each chat surface draws its own way.

A follow-up acts on the job it belongs to: the surface sends a press back to the core
(`bot.followups`) with the follow-up's kind, its job, and for a menu the choice that was picked.
Everything a press needs is in the store, so a button works after a restart and on any replica.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import phrase, say
from bot.jobs import Job, JobState
from bot.labels import label
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


MORE_LABEL = phrase("More like these")
STYLE_LABEL = phrase("Another style")


def follow_ups(
    job: Job,
    capabilities: Capabilities | None,
    locale: str | None = None,
    allowed_styles: Collection[str] | None = None,
) -> list[FollowUp]:
    """The follow-ups a job's status offers, labelled in `locale`: none until it is delivered; the style
    menu only where the provider honours the style, listing the styles the job did not use (of
    `allowed_styles`, the workspace's brand kit, when given), and only when one is left."""
    if job.state is not JobState.DELIVERED:
        return []
    more = FollowUp(FollowUpKind.MORE, say(locale, MORE_LABEL), job.id)
    if capabilities is None or "style" not in capabilities.honours:
        return [more]
    styles = tuple(
        Choice(s.value, label(locale, s)) for s in Style
        if s is not job.options.style and (allowed_styles is None or s.value in allowed_styles)
    )
    if not styles:
        return [more]
    return [more, FollowUp(FollowUpKind.STYLE, say(locale, STYLE_LABEL), job.id, styles)]


class PickKind(StrEnum):
    """What picking one of a delivered job's headshots does."""

    FAVOURITE = "favourite"  # mark it as a favourite of its owner (or take the mark off again)
    PROFILE_PHOTO = "photo"  # make it the owner's profile picture, cropped square around the face


@dataclass(frozen=True)
class ResultPick:
    """A control under a delivered job's status that acts on one of its headshots, picked by number
    (1..`count`, as the thread, the contact sheet and the gallery number them). Each surface draws
    it its own way: a button per headshot for a few, a menu of numbers for a pack."""

    kind: PickKind
    job_id: str
    count: int


def result_picks(job: Job) -> list[ResultPick]:
    """The picks a job's status offers: none until it is delivered with stored headshots."""
    if job.state is not JobState.DELIVERED or job.results_done <= 0:
        return []
    return [ResultPick(kind, job.id, job.results_done) for kind in PickKind]
