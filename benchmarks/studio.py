"""Seconds per 1024 px studio headshot on one CPU core, with and without the segmentation model.

The renders run in a child process pinned to a single CPU (`os.sched_setaffinity`), so thread
pools inside NumPy or OpenCV cannot borrow a second core. One warm-up render pays the imports,
the face cascade's and the model's loading; the figure is the median of the timed renders.
Without the model the cut-out is GrabCut seeded from the face (the path taken when the
`studio-ml` extra is absent); the child hides the model by looking for it in no package.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

from benchmarks.table import Row

LIMITS_S = {"grabcut": 0.5, "model": 1.0}
CHILD_TIMEOUT_S = 40.0


def measure(renders: int, cutter: str) -> dict[str, float]:
    """In the pinned child: warm up once, then time `renders` single-image renders of the astronaut."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    from bot.options import Options
    from bot.photos import read_photo
    from bot.providers.studio import render_headshots, segmenter
    from tests.images import astronaut_jpeg

    if cutter == "grabcut":
        segmenter.MODEL_PACKAGE = "no-such-package"
    if segmenter.available() != (cutter == "model"):
        return {"available": 0}
    photo = read_photo(astronaut_jpeg(), name="astronaut.jpg")
    options = Options(count=1)
    render_headshots([photo], options)
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        render_headshots([photo], options)
        times.append(time.perf_counter() - started)
    return {"available": 1, "median": statistics.median(times), "min": min(times), "max": max(times), "cpu": cpu}


async def _row(renders: int, cutter: str) -> Row:
    limit = LIMITS_S[cutter]
    name = f"studio 1024 px headshot ({cutter})"
    command = [sys.executable, "-m", "benchmarks.studio", str(renders), cutter]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if not found["available"]:
        return Row(name, "-", f"limit {limit} s", None, f"<= {limit} s on 1 core", None,
                   "not measured: the studio-ml extra is not installed")
    median = found["median"]
    return Row(
        name,
        f"{median:.3f} s median (min {found['min']:.3f}, max {found['max']:.3f})",
        f"limit {limit} s",
        median / limit,
        f"<= {limit} s on 1 core",
        median <= limit,
        f"{renders} renders pinned to CPU {found['cpu']:.0f}, astronaut 512 px in",
    )


async def run(quick: bool) -> list[Row]:
    """Run `measure` in a pinned child, once per cut-out path."""
    renders = 3 if quick else 10
    return [await _row(renders, cutter) for cutter in LIMITS_S]


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "model")))
