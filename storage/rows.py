"""What both stores share: the job's columns, a job to and from a row, the fields a `JobChange`
sets, a pending intake to and from a row, and stored results as rows. Only the SQL around them
differs per store.

A row is anything read by column name (`sqlite3.Row`, `asyncpg.Record`); the thread, the
options and an intake's addresses are stored as JSON text (TEXT in SQLite, jsonb in PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, Protocol

from bot.jobs import Job, JobChange, JobState, PendingIntake, StoredResult
from bot.options import Options

JOB_COLUMNS: tuple[str, ...] = tuple(
    "id owner surface thread provider options photo_count state created_at updated_at attempts not_before "
    "remote_id callback_hash deadline results_total results_done error detail photos_purged workspace locale".split()
)
INTAKE_COLUMNS: tuple[str, ...] = ("id", "owner", "surface", "reply", "thread", "created_at", "locale")


class Row(Protocol):
    """A row as either driver returns it, read by column name."""

    def __getitem__(self, name: str) -> Any: ...


ResultValues = tuple[str, int, str | None, str, int]


def stored_result_values(job_id: str, results: Sequence[StoredResult]) -> list[ResultValues]:
    """Stored results of one job as (job_id, idx, url, blob_key, size) rows; refuses a result of
    another job or one without a blob (nothing stored yet), which no caller means to record."""
    values: list[ResultValues] = []
    for result in results:
        if result.job_id != job_id or result.blob_key is None:
            raise ValueError(f"not a stored result of job {job_id}: {result!r}")
        values.append((job_id, result.index, result.url, result.blob_key, result.size))
    return values


def job_values(job: Job) -> list[Any]:
    """The job's values in `JOB_COLUMNS` order, as the stores keep them."""
    values: list[Any] = []
    for name in JOB_COLUMNS:
        value = getattr(job, name)
        if name == "thread":
            value = json.dumps(dict(value))
        elif name == "options":
            value = json.dumps(value.to_dict())
        elif isinstance(value, JobState):
            value = value.value
        values.append(value)
    return values


def job_from_row(row: Row) -> Job:
    """The job a row holds."""
    data = {name: row[name] for name in JOB_COLUMNS}
    data["thread"] = json.loads(data["thread"])
    data["options"] = Options.from_dict(json.loads(data["options"]))
    data["state"] = JobState(data["state"])
    data["photos_purged"] = bool(data["photos_purged"])  # SQLite keeps 0 and 1
    return Job(**data)


def change_sets(change: JobChange, now: float, placeholder: Callable[[int], str]) -> tuple[str, list[Any]]:
    """`name = <placeholder>, ...` for every field `change` sets, and `updated_at = now`; and their values.

    `placeholder(n)` is the store's mark for the n-th value (from 0): `?` in SQLite, `$k` in PostgreSQL.
    """
    fields: dict[str, Any] = {name: value for name, value in asdict(change).items() if value is not None}
    fields["updated_at"] = now
    sets = ", ".join(f"{name} = {placeholder(n)}" for n, name in enumerate(fields))
    return sets, [value.value if isinstance(value, JobState) else value for value in fields.values()]


def intake_values(intake: PendingIntake) -> list[Any]:
    """A request taken on, in `INTAKE_COLUMNS` order (its thread is not open yet)."""
    return [intake.id, intake.owner, intake.surface, json.dumps(dict(intake.reply)), None, intake.created_at,
            intake.locale]


def intake_from_row(row: Row) -> PendingIntake:
    """The pending intake a row holds."""
    return PendingIntake(
        id=str(row["id"]), owner=str(row["owner"]), surface=str(row["surface"]), reply=json.loads(row["reply"]),
        thread=json.loads(row["thread"]) if row["thread"] else None, created_at=float(row["created_at"]),
        locale=row["locale"],
    )
