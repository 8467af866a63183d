"""Which event loop `serve` runs on: uvloop's when the `uvloop` extra is installed, else asyncio's own."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(prefer_uvloop: bool = True) -> LoopFactory:
    """uvloop's new loop when it is installed (and preferred), else asyncio's."""
    if prefer_uvloop and importlib.util.find_spec("uvloop") is not None:
        import uvloop

        factory: LoopFactory = uvloop.new_event_loop  # typed here: without the extra mypy sees no stubs
        return factory
    return asyncio.new_event_loop


def loop_name(factory: LoopFactory) -> str:
    """How the log names the loop a factory makes."""
    return "uvloop" if factory.__module__.startswith("uvloop") else "asyncio"
