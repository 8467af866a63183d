"""The chat-surface port: how the core posts into a thread without knowing the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias, runtime_checkable

from aiohttp import web

from bot.buttons import FollowUp, ResultPick
from bot.errors import UserError
from bot.jobs import PendingIntake, ThreadAddress
from bot.photos import Photo
from bot.ports.blobs import BlobStore
from bot.worker_loop import WorkerLoop


@dataclass(frozen=True)
class OutgoingFile:
    """A stored file to post, named as the user sees it; adapters stream it rather than hold it."""

    name: str
    size: int
    key: str
    blobs: BlobStore

    def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes, in chunks (a fresh stream at each call)."""
        return self.blobs.stream(self.key)

    def local_file(self) -> AbstractAsyncContextManager[Path]:
        """A local file with the bytes, for libraries that want a path (see `BlobStore.as_file`)."""
        return self.blobs.as_file(self.key)

    async def read(self) -> bytes:
        """All the bytes at once (small files only)."""
        return await self.blobs.get(self.key)


@dataclass(frozen=True)
class Link:
    """A button under a message that opens a web address (the gallery); each surface draws its own."""

    label: str
    url: str


# What a status message's buttons can be: a link to a page, a follow-up that acts on the job, or a pick
# of one of its headshots.
Button: TypeAlias = FollowUp | Link | ResultPick


class DirectMessagesClosed(UserError):
    """The person asked for private delivery and their direct messages cannot be reached (their privacy
    settings): they are told, to themselves only, and nothing is posted in public instead."""


class ThreadGone(Exception):
    """Raised by a surface when a thread can no longer be reached at all (the app was removed from
    its workspace): nothing is left to post to, so the job ends without another word."""


class ChatSurface(Protocol):
    """A place the core can deliver into: one implementation per chat platform.

    `thread` is the surface's own address (channel, thread, status message): JSON that the
    surface wrote when the job was accepted, and that it alone reads.
    Every post carries a `key` that the surface writes into the message text, so that
    `was_posted` can find it again after a crash (see `bot.delivery`).
    """

    name: str
    max_files_per_post: int
    max_bytes_per_post: int

    async def set_status(self, thread: ThreadAddress, text: str, buttons: Sequence[Button] = ()) -> None:
        """Replace the text of the job's status message, and its buttons with `buttons` (none: it keeps its own)."""
        ...

    async def post(
        self, thread: ThreadAddress, text: str, files: Sequence[OutgoingFile], key: str, links: Sequence[Link] = ()
    ) -> None:
        """Post text (and files, and link buttons) into the thread; `key` is already part of `text`."""
        ...

    async def was_posted(self, thread: ThreadAddress, key: str) -> bool:
        """Whether a message carrying `key` is already in the thread."""
        ...

    def post_limit(self, thread: ThreadAddress) -> int | None:
        """How many posts one job may make into this thread (None: as many as it needs); a place where the
        app may only answer a command allows a few."""
        ...


class PhotoFetcher(Protocol):
    """An adapter's part of intake: the bytes of the photos a user pointed at, however the platform keeps them."""

    async def fetch(self) -> list[tuple[str, bytes]]:
        """Each photo's file name and bytes; raises `bot.errors.UserError` saying which could not be fetched."""
        ...


@runtime_checkable
class CheckedPhotos(Protocol):
    """Photos the bot read and checked itself when they were first taken (a delivered job's kept ones).

    They go to the provider byte for byte: normalising them again would cost a JPEG generation and the CPU.
    """

    async def fetch_checked(self) -> tuple[Photo, ...]:
        """The photos as they were stored; raises `bot.errors.UserError` when they are gone."""
        ...


class StatusOpener(Protocol):
    """An adapter's other part of intake: open the job's status message (and its thread) where it was asked,
    or in the person's direct messages when the request is `private`."""

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        """Post the status message and return the thread's address; raises `bot.errors.UserError` when it
        can't (`DirectMessagesClosed` when private delivery cannot reach the person).

        `intake_id` is the id the request was written down under (None when it was not): the message
        carries it where the platform allows, so that a restart can find a status message whose address
        the process died before recording (`ChatAdapter.end_unrecorded_status`)."""
        ...


class AdminCheck(Protocol):
    """An adapter's answer to one question about the person asking: are they an admin of the workspace
    they ask in (as the platform says: its admins or owners, or whoever may manage it)? The rule that only
    admins change a workspace's settings is the core's (`bot.workspace_admin`)."""

    async def is_admin(self) -> bool:
        """Whether the person is an admin of the workspace."""
        ...


@dataclass(frozen=True)
class CampaignMessage:
    """A campaign's message to one person: its words, the label of the button that opens the request,
    the campaign it belongs to, and the key that finds it again in the conversation."""

    text: str
    button: str
    campaign_id: str
    key: str


class RateLimited(Exception):
    """The platform asked to wait `retry_after` seconds before the next message; it sent nothing."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:g} s")
        self.retry_after = retry_after


class Unreachable(Exception):
    """The person cannot get a direct message at all (deactivated, a bot); trying again will not help."""


class CampaignMessenger(Protocol):
    """A chat platform's direct messages for campaigns: one message to one person at a time.

    `min_interval_s` is how far apart the platform wants such messages within one workspace.
    """

    min_interval_s: float

    async def send(
        self, person: ThreadAddress, message: CampaignMessage, ready: Callable[[], Awaitable[None]]
    ) -> None:
        """Send `message` to the person as a direct message from the bot, awaiting `ready()` (the worker's
        pacing) right before the message itself goes out; raises `RateLimited`, `Unreachable`, or anything
        else for a failure after which the message may or may not have arrived."""
        ...

    async def was_sent(self, person: ThreadAddress, key: str) -> bool:
        """Whether a message carrying `key` is already in the bot's direct messages with the person."""
        ...


@dataclass(frozen=True)
class Person:
    """Someone as their chat platform names them: the name people see, and their id there."""

    name: str
    user_id: str


class PeopleDirectory(Protocol):
    """A chat platform's answer to: who are these people (by owner key)?"""

    async def people(self, owners: Sequence[str]) -> dict[str, Person]:
        """Each owner's name and platform id (an owner the platform cannot name gets their id for a name)."""
        ...


class ExclusiveConnection(Protocol):
    """A connection only one process of a deployment may keep at a time (a chat gateway)."""

    async def open(self) -> None:
        """Connect; returns once connected."""
        ...

    async def close(self) -> None:
        """Disconnect at once."""
        ...


class ChatAdapter(Protocol):
    """A chat platform plugged into `serve`: its surface, its routes, its start and stop.

    `exclusive`, when not None, is opened only by the process holding the deployment's lease
    for it (`bot.singleton`), and closed the moment that lease is lost.
    """

    @property
    def surface(self) -> ChatSurface:
        """Where the core posts this platform's jobs."""
        ...

    @property
    def exclusive(self) -> ExclusiveConnection | None:
        """What only one process of a deployment may connect (a gateway), or None."""
        ...

    def install_routes(self, app: web.Application) -> None:
        """Add the platform's HTTP routes to the shared web server (if it has any)."""
        ...

    async def start(self) -> None:
        """Connect what every process runs (a socket, a REST login) and register commands."""
        ...

    async def stop(self) -> None:
        """Disconnect cleanly."""
        ...

    async def start_work(self) -> None:
        """For an adapter that only does the work behind answers (on a worker loop): connect what that
        work needs (a REST login), never a socket or gateway."""
        ...

    def hand_off(self, behind: ChatAdapter, worker: WorkerLoop) -> None:
        """From now on hand the work that follows each answer to `behind`, this platform's adapter
        built on `worker`'s loop."""
        ...

    async def health(self) -> str:
        """The platform's state for `/healthz`: "ok", or a word for what is wrong ("reconnecting")."""
        ...

    async def tell(self, reply: ThreadAddress, text: str) -> None:
        """Tell the person behind a request cut short, at the reply address the adapter gave `JobIntake.start`."""
        ...

    async def end_unrecorded_status(self, intake: PendingIntake, text: str) -> bool:
        """Set `text` on the status message a request cut short may have posted before its address was
        written down (found by what `StatusOpener.open` put on it); False when there is none to find."""
        ...
