"""Discord: mangled interactions never break the adapter; `/headshot-forget` leaves nothing behind."""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
from typing import Any

import pytest

from tests.discord.conftest import OWNER, Harness, extra_providers, fake, harness, make_harness, payload

# The Discord harness's fixtures, used here as they are.
__all__ = ["extra_providers", "fake", "harness", "make_harness"]

RECORDED = ["headshot_command", "headshot_command_dm", "make_headshots_message_command"]
SAMPLES = 150
# What discord.py's own parser raises for a payload that lacks what Discord always sends.
PARSER_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def junk(rng: random.Random) -> Any:
    """A small random JSON value."""
    return rng.choice([None, True, 0, -1, 2**70, 1.5, "", "x" * 300, "1187000000000000999", [], {}, [None], {"a": 1}])


def mangle(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """Keep, drop, replace or recurse into each part of a payload."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            roll = rng.random()
            if roll < 0.1:
                continue
            out[key] = junk(rng) if roll < 0.2 else mangle(rng, inner, depth + 1)
        return out
    if isinstance(value, list):
        return [mangle(rng, inner, depth + 1) for inner in value[: rng.randint(0, len(value))]]
    return junk(rng) if rng.random() < 0.15 else value


async def test_mangled_interactions_never_raise_from_our_handlers(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(20261121)  # a fixed seed: a failure here is reproducible
    caplog.set_level(logging.ERROR)
    for n in range(SAMPLES):
        data = mangle(rng, payload(RECORDED[n % len(RECORDED)]))
        before = {t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker"}
        try:
            harness.adapter.client._connection.parse_interaction_create(data)
        except PARSER_ERRORS:
            continue  # refused by discord.py before any of our code runs
        await asyncio.sleep(0)
        started = {t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker"} - before
        outcomes = await asyncio.wait_for(asyncio.gather(*started, return_exceptions=True), timeout=20)
        assert not [o for o in outcomes if isinstance(o, BaseException)], (n, outcomes)
    ours = [r for r in caplog.records if r.name.startswith(("adapters.", "bot.", "discord.app_commands"))]
    assert ours == [], [(r.getMessage(), r.exc_text or (r.exc_info and repr(r.exc_info[1]))) for r in ours][:5]
    # Still working afterwards.
    await harness.send(harness.portrait_command())
    await harness.run_jobs()
    assert [j.state.value for j in await harness.core.store.jobs_for_owner(OWNER)][:1] == ["delivered"]


async def test_forget_deletes_rows_settings_and_files(harness: Harness) -> None:
    await harness.send(harness.portrait_command())
    await harness.run_jobs()
    await harness.core.store.save_user_defaults(OWNER, {"style": "casual"}, None)
    [job] = await harness.core.store.jobs_for_owner(OWNER)
    folder = harness.core.blobs.root / "jobs" / job.id
    assert folder.exists()
    await harness.send(harness.command(name="headshot-forget"))
    assert await harness.core.store.jobs_for_owner(OWNER) == []
    assert await harness.core.store.user_defaults(OWNER) is None
    assert await harness.core.store.results(job.id) == [] and not folder.exists()


def raised_by_us(error: BaseException) -> bool:
    """Whether the project's own code is on the exception's way up."""
    return any(f"/{top}/" in frame.filename for frame, _ in traceback.walk_tb(error.__traceback__)
               for top in ("adapters", "bot"))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a JSON value."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, inner in items:
        found.append((*prefix, key))
        found += paths(inner, (*prefix, key))
    return found


def spoil(rng: random.Random, value: dict[str, Any], spots: int) -> dict[str, Any]:
    """The payload with a few parts dropped or replaced: most of it stays, so the press reaches a handler."""
    for path in rng.sample(paths(value), spots):
        parent: Any = value
        for key in path[:-1]:
            parent = parent[key] if isinstance(parent, dict | list) and (
                key in parent if isinstance(parent, dict) else key < len(parent)) else None
        if isinstance(parent, dict) and path[-1] in parent:
            if rng.random() < 0.5:
                del parent[path[-1]]
            else:
                parent[path[-1]] = junk(rng)
        elif isinstance(parent, list) and path[-1] < len(parent):
            parent[path[-1]] = junk(rng)
    return value


async def test_spoiled_component_presses_never_raise_from_our_handlers(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(20261122)  # a fixed seed: a failure here is reproducible
    caplog.set_level(logging.ERROR)
    reached = 0
    for n in range(SAMPLES):
        data = spoil(rng, payload(("component_button", "component_select")[n % 2]), rng.randint(1, 3))
        if isinstance(data.get("token"), str) and isinstance(data.get("channel"), dict):
            harness.fake.interaction(data)
        before = {t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-")}
        try:
            harness.adapter.client._connection.parse_interaction_create(data)
        except PARSER_ERRORS:
            continue
        await asyncio.sleep(0)
        started = {t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-")} - before
        reached += len(started)
        outcomes = await asyncio.wait_for(asyncio.gather(*started, return_exceptions=True), timeout=20)
        # discord.py may fail on a spoiled message before any of our code runs; ours must never raise.
        assert not [o for o in outcomes if isinstance(o, BaseException) and raised_by_us(o)], (n, outcomes)
    assert reached >= SAMPLES // 3 and len(harness.fake.callbacks) >= SAMPLES // 3  # many got to us, and an answer
    # discord.ui logs whatever a component's callback raised: our follow-ups' handlers included.
    ours = [r for r in caplog.records if r.name.startswith(("adapters.", "bot.", "discord.ui"))]
    assert ours == [], [(r.getMessage(), r.exc_text or (r.exc_info and repr(r.exc_info[1]))) for r in ours][:5]
