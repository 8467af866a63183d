"""Seconds per 1024 px studio headshot on one CPU core.

The renders run in a child process pinned to a single CPU (`os.sched_setaffinity`), so thread
pools inside NumPy or OpenCV cannot borrow a second core. One warm-up render pays the imports
and the face cascade's loading; the figure is the median of the timed renders.
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

LIMIT_S = 0.5
CHILD_TIMEOUT_S = 50.0


def measure(renders: int) -> dict[str, float]:
    """In the pinned child: warm up once, then time `renders` single-image renders of the astronaut."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    from bot.options import Options
    from bot.photos import read_photo
    from bot.providers.studio import render_headshots
    from tests.images import astronaut_jpeg

    photo = read_photo(astronaut_jpeg(), name="astronaut.jpg")
    options = Options(count=1)
    render_headshots([photo], options)
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        render_headshots([photo], options)
        times.append(time.perf_counter() - started)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "cpu": cpu}


async def run(quick: bool) -> list[Row]:
    """Run `measure` in a pinned child process."""
    renders = 3 if quick else 10
    command = [sys.executable, "-m", "benchmarks.studio", str(renders)]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    median = found["median"]
    return [
        Row(
            "studio 1024 px headshot",
            f"{median:.3f} s median (min {found['min']:.3f}, max {found['max']:.3f})",
            f"limit {LIMIT_S} s",
            median / LIMIT_S,
            f"<= {LIMIT_S} s on 1 core",
            median <= LIMIT_S,
            f"{renders} renders pinned to CPU {found['cpu']:.0f}, astronaut 512 px in",
        )
    ]


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
