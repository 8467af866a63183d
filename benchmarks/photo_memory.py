"""Peak memory while a burst of photos is read: three people sending ten photos each, at once.

Each burst runs in a fresh child process (VmHWM, the kernel's record of the peak resident set,
only ever grows) and goes through `PhotoReader.read`, the path every chat request
takes. The photos are made in the child before the idle figure is read:

- `small-png-bomb`: the 7000 x 7000 PNG of one flat colour (157 kB on the wire, 147 MB as pixels);
- `largest-png`: a 6000 x 4000 PNG, just under the decoding budget, so really decoded;
- `camera-jpeg`: 6000 x 4500 JPEGs, which the decoder reads at a reduced scale.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import proc_status_kb
from benchmarks.table import Row
from bot.errors import UserError
from bot.photos import DEFAULT_MAX_BYTES, PhotoReader

PEOPLE = 3
PHOTOS_EACH = 10
LIMIT_MB = 400.0
CHILD_TIMEOUT_S = 100.0
BURSTS = ("small-png-bomb", "largest-png", "camera-jpeg")


def _photo(kind: str) -> bytes:
    from tests.images import flat_png, gradient_image

    if kind == "small-png-bomb":
        return flat_png(7000, 7000)
    if kind == "largest-png":
        return flat_png(6000, 4000)
    return gradient_image(6000, 4500)


async def _burst(path: str) -> dict[str, float | str]:
    data = Path(path).read_bytes()
    reader = PhotoReader(max_bytes=DEFAULT_MAX_BYTES)
    idle = proc_status_kb(os.getpid(), "VmHWM")

    async def person(n: int) -> str:
        files = [(f"photo-{n}-{k}.png", data) for k in range(PHOTOS_EACH)]
        try:
            await reader.read(files)
        except UserError as exc:
            return str(exc)
        return "accepted"

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(person(n) for n in range(PEOPLE)))
    elapsed = time.perf_counter() - started
    reader.close()
    return {
        "idle_mb": idle / 1024, "peak_mb": proc_status_kb(os.getpid(), "VmHWM") / 1024, "seconds": elapsed,
        "file_kb": len(data) / 1024, "outcome": outcomes[0][:90],
    }


async def run(quick: bool) -> list[Row]:
    """One child process per burst."""
    rows = []
    for kind in BURSTS:
        with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
            path = Path(tmp) / "photo"
            path.write_bytes(_photo(kind))
            command = [sys.executable, "-m", "benchmarks.photo_memory", str(path)]
            done = await asyncio.to_thread(
                subprocess.run, command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=True,
                cwd=Path(__file__).resolve().parents[1],
            )
        found = json.loads(done.stdout.strip().splitlines()[-1])
        peak = found["peak_mb"]
        rows.append(Row(
            f"photo burst: {kind}",
            f"VmHWM {peak:.0f} MB ({PEOPLE} x {PHOTOS_EACH} photos of {found['file_kb']:.0f} kB in "
            f"{found['seconds']:.1f} s)",
            f"limit {LIMIT_MB:.0f} MB; idle {found['idle_mb']:.0f} MB",
            peak / LIMIT_MB,
            f"<= {LIMIT_MB:.0f} MB",
            peak <= LIMIT_MB,
            found["outcome"],
        ))
    return rows


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_burst(sys.argv[1]))))
