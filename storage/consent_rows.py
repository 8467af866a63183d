"""The consent tables' columns and row mapping, shared by the SQLite and PostgreSQL wings.

Both drivers' rows are read by column name (`sqlite3.Row`, `asyncpg.Record`); JSON travels as text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from bot.consent.records import ConsentRecord, PendingRequest, ShownTerms
from bot.quotas import Charge

# Forgetting a person deletes their rows here too: a forgotten person is asked again, their links end.
FORGOTTEN_WITH_OWNER = ("consents", "pending_requests", "data_export_links")
TERMS = ("version", "providers", "photo_keep_hours", "result_days", "wording")
CONSENT_COLUMNS = ("owner", *TERMS, "agreed_at")
PENDING_COLUMNS = ("id", "owner", "surface", "resume", *TERMS, "created_at")
CHARGE_COLUMNS = ("job_id", "provider", "owner", "workspace", "images", "at")


class Row(Protocol):
    """A database row read by column name."""

    def __getitem__(self, key: str) -> Any: ...


def terms_values(terms: ShownTerms) -> list[Any]:
    """A question's terms as column values, in `TERMS` order."""
    return [terms.version, json.dumps(list(terms.providers)), terms.photo_keep_hours, terms.result_days, terms.wording]


def consent_values(record: ConsentRecord) -> list[Any]:
    """An agreement as column values, in `CONSENT_COLUMNS` order."""
    return [record.owner, *terms_values(record.terms), record.agreed_at]


def pending_values(pending: PendingRequest) -> list[Any]:
    """A held request as column values, in `PENDING_COLUMNS` order."""
    return [
        pending.id,
        pending.owner,
        pending.surface,
        json.dumps(dict(pending.resume)),
        *terms_values(pending.terms),
        pending.created_at,
    ]


def _terms(row: Row) -> ShownTerms:
    return ShownTerms(
        version=str(row["version"]),
        providers=tuple(json.loads(row["providers"])),
        photo_keep_hours=float(row["photo_keep_hours"]),
        result_days=float(row["result_days"]),
        wording=str(row["wording"]),
    )


def consent_from(row: Row) -> ConsentRecord:
    """An agreement read back."""
    return ConsentRecord(str(row["owner"]), _terms(row), float(row["agreed_at"]))


def pending_from(row: Row) -> PendingRequest:
    """A held request read back."""
    return PendingRequest(
        id=str(row["id"]),
        owner=str(row["owner"]),
        surface=str(row["surface"]),
        resume=json.loads(row["resume"]),
        terms=_terms(row),
        created_at=float(row["created_at"]),
    )


def charge_from(row: Row) -> Charge:
    """A quota charge read back."""
    return Charge(
        str(row["job_id"]),
        str(row["provider"]),
        str(row["owner"]),
        str(row["workspace"]),
        int(row["images"]),
        float(row["at"]),
    )


def names(columns: Sequence[str]) -> str:
    """Columns as a SQL list."""
    return ", ".join(columns)
