"""Discord: mangled interactions never break the adapter; `/headshot-forget` leaves nothing behind."""

from __future__ import annotations

import asyncio
import logging
import random
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
