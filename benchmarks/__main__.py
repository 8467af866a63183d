"""`python -m benchmarks [--only NAME ...] [--quick] [--markdown]`: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import time
import traceback
from collections.abc import Sequence

from benchmarks import common
from benchmarks.table import Row, render_markdown, render_text
from bot.wiring.loops import loop_factory, loop_name

# name -> (module, seconds allowed in a full run, in a quick run)
BENCHMARKS: dict[str, tuple[str, float, float]] = {
    "slack_ack": ("benchmarks.slack_ack", 450, 90),
    "translation": ("benchmarks.translation", 400, 90),
    "discord_defer": ("benchmarks.discord_defer", 180, 45),
    "follow_ups": ("benchmarks.follow_ups", 90, 30),
    "ingest": ("benchmarks.ingest", 60, 20),
    "fanout": ("benchmarks.fanout", 150, 60),
    "memory": ("benchmarks.memory", 120, 40),
    "photo_memory": ("benchmarks.photo_memory", 120, 60),
    "studio": ("benchmarks.studio", 90, 30),
    "masks": ("benchmarks.masks", 120, 120),
    "startup": ("benchmarks.startup", 45, 15),
    "shutdown": ("benchmarks.shutdown", 240, 120),
    "metrics": ("benchmarks.metrics", 180, 60),
    "gallery": ("benchmarks.gallery", 120, 60),
    "profile_photo": ("benchmarks.profile_photo", 90, 45),
    "pg_ingest": ("benchmarks.pg_ingest", 90, 40),
    "pg_claim": ("benchmarks.pg_claim", 60, 30),
    "pg_replicas": ("benchmarks.pg_replicas", 300, 90),
    "pg_blobs": ("benchmarks.pg_blobs", 60, 30),
    "rollout": ("benchmarks.rollout", 240, 90),
}


async def run_one(name: str, quick: bool) -> list[Row]:
    """One benchmark, bounded in time; a crash or a timeout becomes a row that says so."""
    module_name, full_limit, quick_limit = BENCHMARKS[name]
    limit = quick_limit if quick else full_limit
    try:
        module = importlib.import_module(module_name)
        async with asyncio.timeout(limit):
            rows: list[Row] = await module.run(quick)
            return rows
    except TimeoutError:
        return [Row(name, "-", "-", None, "-", False, f"did not finish within {limit:.0f} s")]
    except Exception as exc:
        traceback.print_exc()
        return [Row(name, "-", "-", None, "-", False, f"failed: {type(exc).__name__}: {exc}"[:160])]


async def main(names: Sequence[str], quick: bool) -> list[Row]:
    """Run the named benchmarks one after another (never at once: they would disturb each other)."""
    rows: list[Row] = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += await run_one(name, quick)
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return rows


def cli(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run, print the table; exits 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller loads (about a minute)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--uvloop", action="store_true",
                        help="run every event loop (the benchmarks', the apps' worker loops) on uvloop (the extra)")
    args = parser.parse_args(argv)
    # The benchmarks exercise failure paths on purpose; their log lines would bury the table.
    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()
    factory = loop_factory(prefer_uvloop=args.uvloop)
    if args.uvloop and loop_name(factory) != "uvloop":
        parser.error("--uvloop needs the uvloop extra: pip install -e '.[uvloop]'")
    common.LOOPS = factory
    with asyncio.Runner(loop_factory=factory) as runner:
        rows = runner.run(main(args.only or list(BENCHMARKS), args.quick))
    print(render_markdown(rows) if args.markdown else render_text(rows))
    print(f"\ntotal {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(cli())
