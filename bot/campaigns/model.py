"""What a campaign is made of, as the store keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.jobs import ThreadAddress


class Step(StrEnum):
    """The messages a campaign sends each person, in order."""

    INVITE = "invite"
    REMIND = "remind"


class StepState(StrEnum):
    """Where one person's step stands; none yet means it is still to do.

    `started` is written before the message is sent and `posted` after, so a process killed in
    between leaves `started`, and the next one looks in the conversation before sending again.
    """

    STARTED = "started"
    POSTED = "posted"
    SKIPPED = "skipped"  # not needed any more (a reminder to someone who picked a favourite)
    FAILED = "failed"  # the person cannot be reached (deactivated, a bot)


DONE = frozenset({StepState.POSTED, StepState.SKIPPED, StepState.FAILED})


@dataclass(frozen=True)
class Campaign:
    """One campaign of one workspace: its name, deadline and when the reminder goes out."""

    id: str
    workspace: str
    surface: str  # the chat surface whose direct messages carry it
    name: str
    created_by: str
    created_at: float
    deadline: float
    remind_at: float


@dataclass(frozen=True)
class Invitee:
    """One person on a campaign's roster: their owner key and the surface's address of them."""

    owner: str
    address: ThreadAddress


@dataclass(frozen=True)
class PersonState:
    """One person's steps as stored (None: still to do) and when each last changed."""

    invitee: Invitee
    invite: StepState | None = None
    invite_at: float = 0.0
    remind: StepState | None = None
    remind_at: float = 0.0


@dataclass(frozen=True)
class DueStep:
    """A step with work to do: whose, which, its state now, and whether the person picked a favourite."""

    campaign: Campaign
    person: PersonState
    step: Step
    has_favourite: bool = False

    @property
    def state(self) -> StepState | None:
        """The step's state as stored."""
        return self.person.invite if self.step is Step.INVITE else self.person.remind

    @property
    def key(self) -> str:
        """What marks the message in the conversation, so that it can be found after a crash."""
        return f"campaign {self.campaign.id} {self.step.value} {self.person.invitee.owner}"


@dataclass(frozen=True)
class RosterLine:
    """How far one person has come."""

    invitee: Invitee
    invited: bool
    unreachable: bool
    photos_sent: bool
    delivered: bool
    favourite: bool


@dataclass(frozen=True)
class Roster:
    """A campaign and everyone on it."""

    campaign: Campaign
    people: list[RosterLine]

    def count(self, attribute: str) -> int:
        """How many people have `attribute` ("invited", "photos_sent", "delivered", "favourite")."""
        return sum(1 for line in self.people if getattr(line, attribute))
