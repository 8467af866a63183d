"""The store's roles for consent and data rights: agreements, requests held for an answer, data exports."""

from __future__ import annotations

from typing import Protocol

from bot.consent.records import ConsentRecord, DataExportLink, PendingRequest
from bot.quotas import Charge


class ConsentLog(Protocol):
    """People's agreements to the consent question, and the requests held back until they answer it."""

    async def record_consent(self, record: ConsentRecord) -> None:
        """Store an agreement (earlier ones stay: they say what each earlier request was agreed under)."""
        ...

    async def latest_consent(self, owner: str) -> ConsentRecord | None:
        """The owner's newest agreement, if any."""
        ...

    async def consent_records(self, owner: str) -> list[ConsentRecord]:
        """Every agreement of the owner, newest first."""
        ...

    async def add_pending_request(self, pending: PendingRequest, drop_before: float) -> None:
        """Hold a request until its person answers; requests created before `drop_before` go in the same write."""
        ...

    async def pending_request(self, pending_id: str) -> PendingRequest | None:
        """A held request, if it is still waiting."""
        ...

    async def end_pending_request(self, pending_id: str) -> bool:
        """Drop a held request; True for exactly one caller (the answer that resumes or refuses it)."""
        ...

    async def pending_requests(self, owner: str) -> list[PendingRequest]:
        """Every request of the owner still waiting for an answer, oldest first."""
        ...


class DataExports(Protocol):
    """Links to people's exports of their own data (`bot.my_data`), and what the export reads that no
    other role gives."""

    async def add_data_export_link(self, link: DataExportLink) -> None:
        """Record a newly issued link (by the hash of its token); links expired by its creation go in the same write."""
        ...

    async def data_export_link(self, token_hash: str, now: float) -> DataExportLink | None:
        """The link with this token hash, if it has not expired at `now` and its owner was not forgotten."""
        ...

    async def charges_of(self, owner: str) -> list[Charge]:
        """Every quota charge of the owner still kept, oldest first."""
        ...
