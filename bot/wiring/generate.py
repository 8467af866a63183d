"""`headshot-bot generate`: the core from the shell, results written into a folder."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.directory_surface import DirectorySurface, folder_address
from bot.errors import UserError
from bot.intake import Ask
from bot.jobs import Job, JobState, ThreadAddress
from bot.messages import elapsed
from bot.ports import JobRecords
from bot.web import web_runner
from bot.wiring.app import build_core
from bot.wiring.settings import Settings
from bot.wiring.stores import Storage, open_storage, scratch_storage


@dataclass(frozen=True)
class GenerateArgs:
    """The `generate` command line, parsed."""

    photos: list[Path]
    provider: str | None
    options: dict[str, str]
    out: Path
    timeout: float | None
    sample: bool = False
    callback_port: int | None = None  # None: PORT with PUBLIC_BASE_URL, else any free port


def sample_portrait() -> tuple[str, bytes]:
    """scikit-image's bundled astronaut portrait, as JPEG bytes (no network needed)."""
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    pixels = data.astronaut()  # type: ignore[no-untyped-call]
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return "astronaut.jpg", buffer.getvalue()


def _read_inputs(args: GenerateArgs) -> list[tuple[str, bytes]]:
    files = [sample_portrait()] if args.sample else []
    for path in args.photos:
        try:
            files.append((path.name, path.read_bytes()))
        except FileNotFoundError:
            raise UserError(f"{path} does not exist.") from None
        except IsADirectoryError:
            raise UserError(f"{path} is a folder, not a photo.") from None
        except OSError as exc:
            raise UserError(f"{path} cannot be read ({exc.strerror}).") from None
    if not files:
        raise UserError("Give at least one photo (or --sample).")
    return files


@dataclass(frozen=True)
class _Files:
    """`bot.ports.PhotoFetcher` for photos already read from disk."""

    files: list[tuple[str, bytes]]

    async def fetch(self) -> list[tuple[str, bytes]]:
        return self.files


@dataclass(frozen=True)
class _Folder:
    """`bot.ports.StatusOpener`: the "thread" is a file name prefix in the output folder."""

    prefix: str

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        return folder_address(self.prefix)  # a folder on this machine is private anyway


def listen(port: int) -> socket.socket:
    """A socket bound to `port` on loopback (0: any free port), or a sentence saying why not."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {port} is already in use, so the provider's callback cannot arrive here; "
                "stop what listens there, or choose another port with --callback-port."
            ) from None
        raise UserError(f"cannot listen on port {port} ({exc.strerror}).") from None
    return listener


async def run_generate(settings: Settings, args: GenerateArgs) -> int:
    """Make headshots and print their paths; returns the exit status.

    The job's images are charged to user `cli` in the store DATABASE_URL (or DATA_DIR) names, as a
    chat request's are, so a run past a limit is refused with its sentence and `usage` counts the
    ones that ran. The job itself runs on a store of this run's own in a scratch folder: no other
    process works that queue, and its files go when the run ends.
    """
    files = _read_inputs(args)
    counted = await open_storage(settings, serving=False)  # a serve may be working that store
    try:
        return await _generate(settings, args, files, counted)
    finally:
        await counted.close()


async def _generate(settings: Settings, args: GenerateArgs, files: list[tuple[str, bytes]], counted: Storage) -> int:
    interactive = sys.stderr.isatty()
    surface = DirectorySurface(args.out, progress=sys.stderr if interactive else None)
    # With PUBLIC_BASE_URL (a tunnel to PORT) the callback arrives on PORT; without it, at the local
    # address, which must then be known before the core is built: bind it now, serve it if needed.
    public = settings.public_base_url
    port = args.callback_port if args.callback_port is not None else (settings.port if public else 0)
    listener = None if public else listen(port)
    local = f"http://127.0.0.1:{listener.getsockname()[1]}" if listener else None
    timeout_s = min(settings.runflow_callback_timeout_s, args.timeout or settings.runflow_callback_timeout_s)
    settings = settings.model_copy(update={"runflow_callback_timeout_s": timeout_s})
    with tempfile.TemporaryDirectory(prefix="headshot-bot-") as scratch, contextlib.ExitStack() as sockets:
        if listener is not None:
            sockets.enter_context(listener)
        # The scratch folder goes at the end of the run, so no gallery could outlive it.
        core = await build_core(
            settings, storage=await scratch_storage(Path(scratch)), ledger=counted.store, surfaces={"cli": surface},
            callback_base=public or local, galleries=False,
        )
        server: web.AppRunner | None = None
        try:
            chosen = core.catalog.get(args.provider or core.catalog.default)
            if chosen is not None and chosen.capabilities.asynchronous:
                listener = listener or sockets.enter_context(listen(port))
                server = web_runner(core.web_app())
                await server.setup()
                await web.SockSite(server, listener).start()
                where = f"http://127.0.0.1:{listener.getsockname()[1]}"
                reached = f" (reached at {public})" if public else ""
                print(f"waiting for {chosen.capabilities.label}'s callback on {where}{reached}", file=sys.stderr)
            stem = Path(files[0][0]).stem or "headshot"
            ask = Ask(owner="cli", values=args.options, provider=args.provider)
            job = await core.intake.start(ask, _Files(files), _Folder(stem), surface)
            limit = args.timeout or (settings.runflow_callback_timeout_s if server else 3600.0)
            bar = asyncio.create_task(show_progress(core.store, job.id, sys.stderr)) if interactive else None
            try:
                await asyncio.wait_for(core.runner.run_until_idle(include_waiting=True, poll=0.5), limit + 30)
            except TimeoutError:
                print(f"error: no result within {limit:.0f} s; giving up.", file=sys.stderr)
                return 1
            finally:
                if bar is not None:
                    bar.cancel()
                    sys.stderr.write("\r\033[K")
            final = await core.store.get(job.id)
            if final is not None:
                await counted.store.admit(final)  # its charge is confirmed, as a chat job's is when recorded
            if final is None or final.state is not JobState.DELIVERED:
                reason = final.error if final and final.error else "the job did not finish."
                print(f"error: {reason}", file=sys.stderr)
                return 1
            return 0
        finally:
            if server is not None:
                await server.cleanup()
            await core.close()


_STEPS = [JobState.QUEUED, JobState.GENERATING, JobState.WAITING, JobState.FETCHING, JobState.DELIVERING]
BAR_WIDTH = 24


def progress_line(job: Job, seconds: float) -> str:
    """A one-line progress bar: the job's step, and for a pack how many images are in."""
    if job.state in _STEPS:
        fraction = _STEPS.index(job.state) / len(_STEPS)
    else:
        fraction = 1.0
    counted = ""
    if job.state is JobState.FETCHING and job.results_total:
        fraction += job.results_done / job.results_total / len(_STEPS)
        counted = f" {job.results_done}/{job.results_total}"
    filled = round(fraction * BAR_WIDTH)
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {job.state.value}{counted} · {elapsed(seconds)}"


async def show_progress(records: JobRecords, job_id: str, stream: TextIO) -> None:
    """Redraw the progress bar on the terminal until cancelled."""
    started = time.monotonic()
    while True:
        job = await records.get(job_id)
        if job is not None:
            stream.write("\r\033[K" + progress_line(job, time.monotonic() - started))
            stream.flush()
        await asyncio.sleep(0.2)
