"""The ports the core works through, by role, in one place: `from bot.ports import X` finds each.

    store          the job store's roles (queue, records, results, deliveries, ...) and `JobStore`, all of them
    limits         what holds across processes: provider call log, job slots, seen keys, quota charges
    installations  a chat app's installations and the one-time states of its install flow
    blobs          photos and results by key
    replicas       what processes sharing a store need of each other: wake-ups, a singleton lease
    chat           the chat surface the core posts through, and an adapter's two parts of intake
    providers      a source of headshots: what it is given, what it answers, how it fails, its callbacks

`storage/sqlite/` and `storage/postgres/` implement the store's ports; `adapters/` the chat ones;
`bot/providers/` the provider.
"""

from __future__ import annotations

from bot.ports.blobs import (
    BlobError,
    BlobStore,
)
from bot.ports.chat import (
    AdminCheck,
    Button,
    CampaignMessage,
    CampaignMessenger,
    ChatAdapter,
    ChatSurface,
    CheckedPhotos,
    DirectMessagesClosed,
    ExclusiveConnection,
    Link,
    OutgoingFile,
    PeopleDirectory,
    Person,
    PhotoFetcher,
    RateLimited,
    StatusOpener,
    ThreadGone,
    Unreachable,
)
from bot.ports.consent import ConsentLog, DataExports
from bot.ports.installations import (
    Installations,
    OneTimeStates,
)
from bot.ports.limits import (
    CallLog,
    JobSlots,
    QuotaLedger,
    SeenKeys,
    SlotHolds,
    SlotsTaken,
)
from bot.ports.providers import (
    CallbackReceiver,
    CallbackUrl,
    Generated,
    GenerationInput,
    Provider,
    ProviderError,
    ResultImage,
    Submitted,
)
from bot.ports.replicas import (
    JobWakeups,
    SingletonLease,
)
from bot.ports.rollout import BrandKits, CampaignStore, ExportLinks, WorkspaceRetention
from bot.ports.store import (
    Connection,
    DeliveryLog,
    Favourites,
    GalleryLinks,
    IntakeLog,
    JobCensus,
    JobQueue,
    JobRecords,
    JobStore,
    Preferences,
    ResultLog,
    Retention,
    UserCredentials,
)

__all__ = [
    "AdminCheck",
    "BlobError",
    "BlobStore",
    "BrandKits",
    "Button",
    "CallLog",
    "CallbackReceiver",
    "CallbackUrl",
    "CampaignMessage",
    "CampaignMessenger",
    "CampaignStore",
    "ChatAdapter",
    "ChatSurface",
    "CheckedPhotos",
    "Connection",
    "ConsentLog",
    "DataExports",
    "DeliveryLog",
    "DirectMessagesClosed",
    "ExclusiveConnection",
    "ExportLinks",
    "Favourites",
    "GalleryLinks",
    "Generated",
    "GenerationInput",
    "Installations",
    "IntakeLog",
    "JobCensus",
    "JobQueue",
    "JobRecords",
    "JobSlots",
    "JobStore",
    "JobWakeups",
    "Link",
    "OneTimeStates",
    "OutgoingFile",
    "PeopleDirectory",
    "Person",
    "PhotoFetcher",
    "Preferences",
    "Provider",
    "ProviderError",
    "QuotaLedger",
    "RateLimited",
    "ResultImage",
    "ResultLog",
    "Retention",
    "SeenKeys",
    "SingletonLease",
    "SlotHolds",
    "SlotsTaken",
    "StatusOpener",
    "Submitted",
    "ThreadGone",
    "Unreachable",
    "UserCredentials",
    "WorkspaceRetention",
]
