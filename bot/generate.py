"""`headshot-bot generate`: the core from the shell, results written into a folder."""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.app import Core, build_core
from bot.directory_surface import DirectorySurface, folder_address
from bot.errors import UserError
from bot.jobs import Job, JobState
from bot.messages import elapsed
from bot.options import Options
from bot.settings import Settings
from bot.web import create_web_app, web_runner


@dataclass(frozen=True)
class GenerateArgs:
    """The `generate` command line, parsed."""

    photos: list[Path]
    provider: str | None
    options: dict[str, str]
    out: Path
    timeout: float | None
    sample: bool = False
    callback_port: int = 0


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


async def run_generate(settings: Settings, args: GenerateArgs) -> int:
    """Make headshots and print their paths; returns the exit status."""
    files = _read_inputs(args)
    interactive = sys.stderr.isatty()
    surface = DirectorySurface(args.out, progress=sys.stderr if interactive else None)
    with tempfile.TemporaryDirectory(prefix="headshot-bot-") as scratch:
        core = await build_core(settings, data_dir=Path(scratch), surfaces={"cli": surface})
        web_runner: web.AppRunner | None = None
        try:
            service = core.service
            photos = await service.read_photos(files)
            options = Options.from_dict(args.options)
            provider = core.engine.providers.get(args.provider or service.default_provider)
            if provider is not None and provider.capabilities.asynchronous:
                web_runner, local = await _serve_callbacks(core, args.callback_port)
                core.engine.callback_base = settings.public_base_url or local
            request = service.build_request(photos, options, args.provider)
            stem = Path(files[0][0]).stem or "headshot"
            job = await service.accept(request, owner="cli", surface="cli", thread=folder_address(stem))
            limit = args.timeout or (settings.runflow_callback_timeout_s if web_runner else 3600.0)
            core.engine.callback_timeout = min(core.engine.callback_timeout, limit)
            bar = asyncio.create_task(show_progress(core, job.id, sys.stderr)) if interactive else None
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
            if final is None or final.state is not JobState.DELIVERED:
                reason = final.error if final and final.error else "the job did not finish."
                print(f"error: {reason}", file=sys.stderr)
                return 1
            return 0
        finally:
            if web_runner is not None:
                await web_runner.cleanup()
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


async def show_progress(core: Core, job_id: str, stream: TextIO) -> None:
    """Redraw the progress bar on the terminal until cancelled."""
    started = time.monotonic()
    while True:
        job = await core.store.get(job_id)
        if job is not None:
            stream.write("\r\033[K" + progress_line(job, time.monotonic() - started))
            stream.flush()
        await asyncio.sleep(0.2)


async def _serve_callbacks(core: Core, port: int) -> tuple[web.AppRunner, str]:
    """Serve the callback route on loopback so an asynchronous provider can finish the job."""
    runner = web_runner(create_web_app(core.engine, core.runner))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    host, bound = runner.addresses[0][:2]
    return runner, f"http://{host}:{bound}"
