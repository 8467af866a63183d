"""Follow-up presses on Discord: INTERACTION_CREATE (a component) to its answer at a fake Discord REST server.

A burst of presses on "More like these", half by the jobs' owners (checked against the store,
deferred, then a new job is taken in: its photos read back, a status message posted, the job
recorded, the deferred answer removed) and half by someone else (checked, refused ephemerally),
is handed to discord.py the
way the gateway would; the figure is the time from each dispatch to its answer arriving at the
fake. The same burst goes to a bare discord.py client whose persistent button only defers. The
delivered jobs are written straight into the store (rendering them first would only heat the
CPU); the job runner is not started, as in `benchmarks.discord_defer`. Rounds alternate after
one untimed warm-up burst per side; each side's figure is its median over the rounds.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import discord

from benchmarks.common import make_settings, ms, percentile
from benchmarks.table import Row

PRESSES = 100
RATIO_TARGET = 1.5
HARD_LIMIT_S = 3.0
ROUND_TIMEOUT_S = 30.0
CHANNEL = "1187000000000000200"
PLACEHOLDER = "0" * 32


class BareMore(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"headshot:more:(?P<job>[0-9a-f]{32})"):
    """The floor: a persistent button that defers (as the real one does) and does nothing else."""

    def __init__(self, job_id: str) -> None:
        super().__init__(discord.ui.Button(label="More like these", custom_id=f"headshot:more:{job_id}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> BareMore:
        return cls(match["job"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)


async def _delivered_jobs(core: Any, tag: int, count: int) -> list[tuple[str, str]]:
    """Delivered jobs with kept photos, written into the store; (job id, owner's user id) each."""
    from adapters.discord.surface import DiscordAddress
    from bot.blob_keys import photo_key
    from bot.jobs import Job, JobState
    from bot.options import Options
    from tests.consent import agree_to_anything
    from tests.images import astronaut_jpeg

    address = DiscordAddress(None, CHANNEL, None, CHANNEL, "1187000000000000650", None, None, None).to_json()
    photo = astronaut_jpeg()
    made = []
    for n in range(count):
        user = str(1189000000000000000 + tag * 10_000 + n)
        job = Job(id=uuid.uuid4().hex, owner=f"discord:{user}", surface="discord", thread=address, provider="studio",
                  options=Options(), photo_count=1, state=JobState.DELIVERED, created_at=time.time())
        await core.blobs.put(photo_key(job.id, 0), photo)
        await core.store.add(job)
        made.append((job.id, user))
    await agree_to_anything(core.store, *(f"discord:{user}" for _job, user in made))  # their owners agreed long ago
    return made


def _presses(jobs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A press per job: the even ones by the owner, the odd ones by someone else."""
    from tests.discord.conftest import payload
    from tests.discord.shapes import snowflake

    template = json.dumps(payload("component_button"))
    made = []
    for n, (job_id, owner) in enumerate(jobs):
        data = json.loads(template.replace(PLACEHOLDER, job_id))
        data["id"] = snowflake()
        data["token"] = f"press-{data['id']}"
        data["member"]["user"]["id"] = owner if n % 2 == 0 else "1187000000000000999"
        made.append(data)
    return made


async def _round(fake: Any, client: discord.Client, presses: list[dict[str, Any]]) -> list[float]:
    """Dispatch a burst of presses; seconds from each dispatch to its answer."""
    sent: dict[str, float] = {}
    for data in presses:
        fake.interaction(data)
    for data in presses:
        sent[data["token"]] = time.monotonic()
        client._connection.parse_interaction_create(data)  # type: ignore[arg-type]
    deadline = time.monotonic() + ROUND_TIMEOUT_S
    while time.monotonic() < deadline:
        arrived = {c["token"]: c["at"] for c in fake.callbacks if c["token"] in sent}
        if len(arrived) == len(sent):
            return [arrived[t] - sent[t] for t in sent]
        await asyncio.sleep(0.01)
    raise TimeoutError(f"only {len(arrived)} of {len(sent)} presses were answered in time")


async def settle(timeout: float = 30.0) -> None:
    """Wait (bounded) for every running press handler: the new jobs' photos, status messages, records."""
    handlers = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-dynamic-item")]
    if handlers:
        await asyncio.wait(handlers, timeout=timeout)


async def run(quick: bool) -> list[Row]:
    """Alternate bursts of presses against the bare client and the project's adapter."""
    from bot.wiring.app import build_core, discord_adapter
    from tests.discord.fake_discord import FakeDiscord
    from tests.discord.shapes import TOKEN

    rounds = 1 if quick else 5
    p50: dict[str, list[float]] = {"bare": [], "real": []}
    p99: dict[str, list[float]] = {"bare": [], "real": []}
    worst = 0.0
    fake = await FakeDiscord().start()
    with tempfile.TemporaryDirectory(prefix="bench-follow-ups-") as tmp:
        settings = make_settings(Path(tmp), discord_token=TOKEN, discord_api_base_url=fake.api)
        core = await build_core(settings)
        adapter = discord_adapter(settings, core)
        bare = discord.Client(intents=discord.Intents.none())
        bare.add_dynamic_items(BareMore)
        try:
            await adapter.login()
            await bare.login(TOKEN)
            clients = {"bare": bare, "real": adapter.client}
            for n, client in enumerate(clients.values()):  # warm-up, untimed
                await _round(fake, client, _presses(await _delivered_jobs(core, 90 + n, 10)))
                await settle()
            for n in range(rounds):
                for side in (["bare", "real"] if n % 2 == 0 else ["real", "bare"]):
                    presses = _presses(await _delivered_jobs(core, n * 2 + (side == "real"), PRESSES))
                    times = await _round(fake, clients[side], presses)
                    p50[side].append(percentile(times, 50))
                    p99[side].append(percentile(times, 99))
                    if side == "real":
                        worst = max(worst, max(times))
                    await settle()
        finally:
            handlers = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-dynamic-item")]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await adapter.stop()
            await bare.close()
            await core.close()
            await fake.close()
    real99, bare99 = statistics.median(p99["real"]), statistics.median(p99["bare"])
    ratio = real99 / bare99
    return [
        Row(
            "follow-up press",
            f"p99 {ms(real99)} (p50 {ms(statistics.median(p50['real']))}, max {ms(worst)})",
            f"bare p99 {ms(bare99)} (p50 {ms(statistics.median(p50['bare']))})",
            ratio,
            f"<= {RATIO_TARGET}x bare, max < {HARD_LIMIT_S:.0f} s",
            ratio <= RATIO_TARGET and worst < HARD_LIMIT_S,
            f"{PRESSES} at once (half by strangers) x {rounds} round(s), median of rounds",
        )
    ]
