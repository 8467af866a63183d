"""How a request becomes a job: the one sequence every chat surface and the CLI go through.

saved defaults under the explicit options → fitted to the workspace's brand kit → one of the
user's job slots → the request's images held against the quotas → the photos' bytes (fetched by
the adapter) → read and checked (a follow-up's kept photos were checked when first taken, and go on
as they are) → the status message (opened by the adapter) → the job recorded, photos first, its row
confirming the hold → its first status. Every refusal is a `RequestError` (or the `UserError` of a
photo or a download) carrying one sentence for the user; `check` gives the problems of a form, each
with the field it belongs to, before anything is fetched.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.blob_keys import photo_key
from bot.catalog import ProviderCatalog
from bot.defaults import QUICK_READ_S, UserDefaults
from bot.delivery import show_status
from bot.errors import StoreUnavailable
from bot.i18n import phrase, phrase_n
from bot.jobs import Job, PendingIntake, ThreadAddress
from bot.logs import job_context
from bot.options import OptionError, Options
from bot.photos import Photo, PhotoReader
from bot.ports import (
    BlobStore,
    ChatSurface,
    CheckedPhotos,
    IntakeLog,
    JobRecords,
    JobSlots,
    PhotoFetcher,
    SlotsTaken,
    StatusOpener,
)
from bot.quota_guard import QuotaExceeded, QuotaGuard, images_for
from bot.quotas import Charge, quota_workspace
from bot.request import Field, HeadshotRequest, Problem, RequestError, count_problem, photo_count_problem
from bot.workspace_admin import WorkspaceKits

log = logging.getLogger(__name__)

# What a user is told when starting a job fails for a reason of ours, on any surface.
START_FAILED = phrase("Something went wrong on my side before your job could start; please try again.")


@dataclass(frozen=True)
class Ask:
    """What a user asked for, as the adapter read it: only the options they gave explicitly.

    `workspace` is the key of the place it was asked in (a team, a server); None for a direct
    message, which counts as the user's own workspace. `locale` is the language the job's posts
    speak (the person's, or a public channel's) and `asker_locale` the person's own, for what only
    they read (None: English, or the same as `locale`).
    """

    owner: str
    values: Mapping[str, object]
    provider: str | None = None
    workspace: str | None = None
    locale: str | None = None
    asker_locale: str | None = None


@dataclass
class Reservation:
    """A request's images, held against the quotas until its job is recorded."""

    charge: Charge
    accepted: bool = False


class JobIntake:
    """Turns asks into accepted jobs, or into problems with the field each belongs to."""

    def __init__(
        self,
        *,
        records: JobRecords,
        blobs: BlobStore,
        catalog: ProviderCatalog,
        defaults: UserDefaults,
        slots: JobSlots,
        photos: PhotoReader,
        on_accepted: Callable[[], None],
        can_take_callbacks: bool,
        quotas: QuotaGuard,
        intakes: IntakeLog,
        max_jobs_per_user: int = 2,
        fault: Callable[[str], None] = lambda _point: None,
        kits: WorkspaceKits | None = None,
    ) -> None:
        self._records = records
        self._kits = kits
        self._intakes = intakes
        self._fault = fault
        self._blobs = blobs
        self._catalog = catalog
        self._defaults = defaults
        self._slots = slots
        self._photos = photos
        self._on_accepted = on_accepted
        self._can_take_callbacks = can_take_callbacks
        self._quotas = quotas
        self.max_jobs_per_user = max_jobs_per_user
        self.max_photo_bytes = photos.max_bytes

    async def start(
        self,
        ask: Ask,
        photos: PhotoFetcher | CheckedPhotos,
        status: StatusOpener,
        surface: ChatSurface,
        reply: ThreadAddress | None = None,
        taken: PendingIntake | None = None,
    ) -> Job:
        """The whole sequence, from an ask to an accepted job with its first status shown.

        With `reply` (the adapter's address for telling the person), the request is written down
        before anything slow happens to it and crossed off once it is a job or refused, so that a
        process killed in between leaves a note for the next start (`InterruptedIntakes`). `taken`
        is that note when the adapter wrote it already (`note`, before its answer).
        """
        if taken is None and reply is not None:
            taken = await self.note(ask.owner, surface.name, reply, ask.asker_locale or ask.locale)
        else:
            self._fault("answered")  # written down and answered; the work behind the answer only begins
        try:
            job = await self._start(ask, photos, status, surface, taken)
        except asyncio.CancelledError:
            raise  # stopped half-way (a shutdown): the next start tells the person
        except BaseException:
            await self.cross_off(taken)  # a refusal: the adapter tells the person why
            raise
        await self.cross_off(taken)
        await show_status(surface, job, self._catalog.capabilities(job.provider))
        return job

    async def _start(
        self,
        ask: Ask,
        photos: PhotoFetcher | CheckedPhotos,
        status: StatusOpener,
        surface: ChatSurface,
        taken: PendingIntake | None,
    ) -> Job:
        try:
            options, provider = await self._defaults.apply(ask.owner, ask.values, ask.provider)
        except OptionError as exc:
            raise RequestError(Problem(Field(exc.option), exc.message)) from None
        if self._kits is not None:
            kit = await self._kits.kit(quota_workspace(ask.owner, ask.workspace))
            options = kit.fit(options, explicit(ask.values))
            if (problem := kit.check(options, ask.locale)) is not None:
                raise RequestError(problem)
        job_id = taken.id if taken else None
        async with self.job_slot(ask.owner, job_id), self.reserve(ask, options, provider, job_id) as reservation:
            if isinstance(photos, CheckedPhotos):
                read = await photos.fetch_checked()
            else:
                read = await self.read_photos(await photos.fetch())
            request = self.build_request(read, options, provider)
            self._fault("intake-read")
            thread = await status.open(len(read), private=request.options.private, intake_id=job_id)
            self._fault("status-posted")  # posted, its address not written down yet
            if taken is not None:
                await self._intakes.intake_opened(taken.id, thread)
            self._fault("intake-opened")
            return await self.accept(
                request, owner=ask.owner, surface=surface.name, thread=thread, reservation=reservation, job_id=job_id,
                locale=ask.locale,
            )

    async def note(self, owner: str, surface: str, reply: ThreadAddress, locale: str | None) -> PendingIntake:
        """Write a request down before it is taken on, so that a process killed before it is a job leaves a
        note for the next start; `start` (given it as `taken`) or `cross_off` ends it."""
        taken = PendingIntake(uuid.uuid4().hex, owner, surface, reply, time.time(), locale=locale)
        await self._intakes.begin_intake(taken)
        return taken

    async def cross_off(self, taken: PendingIntake | None) -> None:
        """End the note of a request that will not become a job here (or already is one)."""
        if taken is None:
            return
        try:
            await self._intakes.end_intake(taken.id)
        except Exception:  # left in the log, it costs the person a needless "please try again" later
            log.warning("could not cross a finished request off the intake log", exc_info=True)

    async def check(
        self,
        owner: str,
        photo_count: int,
        values: Mapping[str, object],
        provider: str | None,
        workspace: str | None = None,
        locale: str | None = None,
    ) -> tuple[Options, str, list[Problem]]:
        """A form's options and provider, and its problems (none when a job can start from it).

        Quick enough to answer before a platform's acknowledgement: nothing is fetched or read.
        """
        name = provider or self._catalog.default
        try:
            options = Options.from_dict(values)
        except OptionError as exc:
            return Options(), name, [Problem(Field(exc.option), exc.message)]
        if self._kits is not None:
            kit = await self._kits.quick_kit(quota_workspace(owner, workspace))
            options = kit.fit(options, explicit(values))
            if (outside := kit.check(options, locale)) is not None:
                return options, name, [outside]
        capabilities = self._catalog.capabilities(name)
        if capabilities is None:
            return options, name, [self._catalog.unknown(name)]
        found = [photo_count_problem(photo_count, capabilities), count_problem(options, capabilities)]
        found.append(self._callback_problem(name))
        problems = [problem for problem in found if problem is not None]
        if not problems and capabilities is not None:
            # Both only read; asked together, the second waits for no other request's turn.
            images = images_for(capabilities, options)
            try:
                busy, quota = await asyncio.wait_for(asyncio.gather(
                    self._slots.in_use(owner),
                    self._quota_problem(name, capabilities.label, owner, quota_workspace(owner, workspace), images),
                ), QUICK_READ_S)
            except (StoreUnavailable, TimeoutError):  # the store is slow or away: starting the job will tell
                busy, quota = 0, None
            if busy >= self.max_jobs_per_user:
                problems.append(self._limit_problem(busy))
            elif quota is not None:
                problems.append(quota)
        return options, name, problems

    async def _quota_problem(
        self, provider: str, label: str, owner: str, workspace: str, images: int
    ) -> Problem | None:
        try:
            await self._quotas.check(provider, label, owner, workspace, images)
        except QuotaExceeded as exc:
            return exc.problem
        return None

    async def read_photos(self, files: Sequence[tuple[str, bytes]]) -> tuple[Photo, ...]:
        """Check and normalise uploaded files (name, bytes); raises `PhotoError` for the first bad one.

        Decoding happens on the photo reader's own threads, a few at a time, off the event loop.
        """
        return await self._photos.read(files)

    def build_request(self, photos: Sequence[Photo], options: Options, provider: str | None) -> HeadshotRequest:
        """A request that fits its provider; raises `RequestError` with the first problem when it does not."""
        name = provider or self._catalog.default
        capabilities = self._catalog.capabilities(name)
        if capabilities is None:
            raise RequestError(self._catalog.unknown(name))
        for problem in (
            photo_count_problem(len(photos), capabilities),
            count_problem(options, capabilities),
            self._callback_problem(name),
        ):
            if problem is not None:
                raise RequestError(problem)
        return HeadshotRequest(photos=tuple(photos), options=options, provider=name)

    @asynccontextmanager
    async def job_slot(self, owner: str, job_id: str | None = None) -> AsyncIterator[None]:
        """Hold one of the owner's job slots until the job is accepted or given up; refuses when none is free."""
        try:
            async with self._slots.hold(owner, self.max_jobs_per_user, job_id):
                yield
        except SlotsTaken as full:
            raise RequestError(self._limit_problem(full.busy)) from None

    @asynccontextmanager
    async def reserve(
        self, ask: Ask, options: Options, provider: str, job_id: str | None = None
    ) -> AsyncIterator[Reservation]:
        """Hold the request's images until `accept` records its job; raises `QuotaExceeded` holding nothing.

        Checked and taken in one atomic step, before any photo is fetched or stored; given back
        if the request ends without a job. Every job is charged, limited or not, so its use shows.
        """
        capabilities = self._catalog.capabilities(provider)
        if capabilities is None:
            raise RequestError(self._catalog.unknown(provider))
        charge = await self._quotas.hold(
            job_id or uuid.uuid4().hex, provider, capabilities.label, ask.owner,
            quota_workspace(ask.owner, ask.workspace), images_for(capabilities, options),
        )
        reservation = Reservation(charge)
        try:
            yield reservation
        finally:
            if not reservation.accepted:
                await self._quotas.release(charge.job_id)

    async def accept(
        self,
        request: HeadshotRequest,
        *,
        owner: str,
        surface: str,
        thread: ThreadAddress,
        reservation: Reservation | None = None,
        job_id: str | None = None,
        locale: str | None = None,
    ) -> Job:
        """Record a job (photos first, then the row, which confirms its reservation) and wake the runner.

        `job_id` is the id the request was taken on with (its slot is held under it), if any; `locale`
        the language its posts speak."""
        if reservation is not None and reservation.charge.provider != request.provider:
            raise RequestError(Problem(Field.PROVIDER, phrase("The provider changed while the request was starting.")))
        job = Job(
            id=reservation.charge.job_id if reservation else job_id or uuid.uuid4().hex,
            workspace=reservation.charge.workspace if reservation else "",
            owner=owner,
            surface=surface,
            thread=thread,
            provider=request.provider,
            options=request.options,
            photo_count=len(request.photos),
            created_at=time.time(),
            locale=locale,
        )
        for n, photo in enumerate(request.photos):
            await self._blobs.put(photo_key(job.id, n), photo.data)
        await self._records.admit(job)
        if reservation is not None:
            reservation.accepted = True
        with job_context(job.id):
            options = job.options
            log.info("accepted: %s on %s; %d photo(s), count %d", job.provider, surface, job.photo_count, options.count)
        self._on_accepted()
        return job

    def _callback_problem(self, provider: str) -> Problem | None:
        capabilities = self._catalog.capabilities(provider)
        if capabilities is None or not capabilities.asynchronous or self._can_take_callbacks:
            return None
        return Problem(Field.PROVIDER, phrase(
            "{label} calls back when it is done, and this bot has no public address (PUBLIC_BASE_URL) for it; "
            "please pick another provider.", label=capabilities.label,
        ))

    def _limit_problem(self, busy: int) -> Problem:
        return Problem(Field.LIMIT, phrase_n(
            "You already have 1 headshot job in progress; please wait for it to finish (the limit is {limit}).",
            "You already have {n} headshot jobs in progress; please wait for one to finish (the limit is {limit}).",
            busy, limit=self.max_jobs_per_user,
        ))


def explicit(values: Mapping[str, object]) -> set[str]:
    """The options a person gave themselves (not left to their defaults)."""
    return {name for name, value in values.items() if value not in (None, "")}
