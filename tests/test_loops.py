"""Which event loop `serve` runs on."""

from __future__ import annotations

import asyncio
import importlib.util

from bot.wiring.loops import loop_factory, loop_name


def test_asyncio_is_used_when_uvloop_is_not_wanted() -> None:
    factory = loop_factory(prefer_uvloop=False)
    assert factory is asyncio.new_event_loop and loop_name(factory) == "asyncio"


def test_uvloop_is_used_when_installed_and_wanted_else_asyncio() -> None:
    factory = loop_factory(prefer_uvloop=True)
    expected = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    assert loop_name(factory) == expected
    loop = factory()
    try:
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        loop.close()
