"""What both stores share about campaigns: the columns, the queries' shapes, and reading rows back."""

from __future__ import annotations

import json
from typing import Any, Protocol

from bot.campaigns.model import Campaign, DueStep, Invitee, PersonState, RosterLine, Step, StepState

CAMPAIGN_COLUMNS = "id, workspace, surface, name, created_by, created_at, deadline, remind_at"
# A step is due when never done, or left started by someone who may have died before recording it.
INVITE_DUE = "(p.invite_state IS NULL OR (p.invite_state = 'started' AND p.invite_at < {stale}))"
REMIND_DUE = (
    "(p.invite_state = 'posted' AND c.remind_at <= {now} "
    "AND (p.remind_state IS NULL OR (p.remind_state = 'started' AND p.remind_at < {stale})))"
)
DUE = (
    "SELECT c.id, c.workspace, c.surface, c.name, c.created_by, c.created_at, c.deadline, c.remind_at, "
    "p.owner, p.address, p.invite_state, p.invite_at, p.remind_state, p.remind_at AS person_remind_at, "
    "EXISTS (SELECT 1 FROM favourites f WHERE f.owner = p.owner) AS has_favourite "
    "FROM campaign_people p JOIN campaigns c ON c.id = p.campaign_id "
    "WHERE c.deadline > {now} AND (" + INVITE_DUE + " OR " + REMIND_DUE + ") "
    "ORDER BY c.created_at, p.campaign_id, p.seq LIMIT {limit}"
)
# Photos sent and delivered count from the campaign's start, in its workspace; any favourite counts.
ROSTER = (
    "SELECT p.owner, p.address, p.invite_state, "
    "EXISTS (SELECT 1 FROM jobs j WHERE j.owner = p.owner AND j.workspace = c.workspace "
    "AND j.created_at >= c.created_at) AS photos_sent, "
    "EXISTS (SELECT 1 FROM jobs j WHERE j.owner = p.owner AND j.workspace = c.workspace "
    "AND j.created_at >= c.created_at AND j.state = 'delivered') AS delivered, "
    "EXISTS (SELECT 1 FROM favourites f WHERE f.owner = p.owner) AS favourite "
    "FROM campaign_people p JOIN campaigns c ON c.id = p.campaign_id WHERE p.campaign_id = {id} ORDER BY p.seq"
)


class Row(Protocol):
    """A row read by column name: `sqlite3.Row` and `asyncpg.Record` both are."""

    def __getitem__(self, key: str) -> Any: ...


STATE_COLUMN = {Step.INVITE: ("invite_state", "invite_at"), Step.REMIND: ("remind_state", "remind_at")}


def campaign_from(row: Row) -> Campaign:
    """A campaign from a row with `CAMPAIGN_COLUMNS`."""
    return Campaign(
        id=str(row["id"]),
        workspace=str(row["workspace"]),
        surface=str(row["surface"]),
        name=str(row["name"]),
        created_by=str(row["created_by"]),
        created_at=float(row["created_at"]),
        deadline=float(row["deadline"]),
        remind_at=float(row["remind_at"]),
    )


def _state(value: object) -> StepState | None:
    return StepState(str(value)) if value is not None else None


def _address(value: object) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded) if isinstance(loaded, dict) else {}


def due_from(row: Row, now: float) -> DueStep:
    """A due step from a row of `DUE`: the invitation, unless it is posted (then the reminder)."""
    person = PersonState(
        Invitee(str(row["owner"]), _address(row["address"])),
        _state(row["invite_state"]),
        float(row["invite_at"]),
        _state(row["remind_state"]),
        float(row["person_remind_at"]),
    )
    step = Step.REMIND if person.invite is StepState.POSTED else Step.INVITE
    return DueStep(campaign_from(row), person, step, bool(row["has_favourite"]))


def roster_from(row: Row) -> RosterLine:
    """A roster line from a row of `ROSTER`."""
    state = _state(row["invite_state"])
    return RosterLine(
        Invitee(str(row["owner"]), _address(row["address"])),
        invited=state is StepState.POSTED,
        unreachable=state is StepState.FAILED,
        photos_sent=bool(row["photos_sent"]),
        delivered=bool(row["delivered"]),
        favourite=bool(row["favourite"]),
    )
