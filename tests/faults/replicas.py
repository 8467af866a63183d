"""Several `headshot-bot serve` replicas on one PostgreSQL database, each with Slack, Runflow and Discord.

Each replica is a `BotProcess` of its own (port, DATA_DIR, logs); they share the database and
the fakes, as replicas behind a load balancer share everything outside themselves.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import asyncpg

from tests.discord.fake_discord import FakeDiscord
from tests.faults.discord_bot import DiscordBot
from tests.faults.harness import BotProcess, Fakes, eventually

LEASE_S = 3


class Replica(DiscordBot):
    """One replica: Slack and Runflow like every fault test's bot, Discord too, the store in PostgreSQL."""

    def __init__(self, root: Path, fakes: Fakes, discord: FakeDiscord, http: aiohttp.ClientSession, url: str) -> None:
        BotProcess.__init__(self, root, fakes, http)
        self.discord = discord
        self.env_overrides = {"DATABASE_URL": url, "JOB_LEASE_S": str(LEASE_S), "MAX_JOBS_PER_USER": "2"}

    def platform_env(self) -> dict[str, str]:
        """Slack, Runflow and agent.ai fakes, and the fake Discord."""
        return {**BotProcess.platform_env(self), **DiscordBot.platform_env(self)}

    async def start(self, fault: str | None = None) -> None:
        """Start and wait until healthy (only the lease holder connects to the gateway)."""
        await BotProcess.start(self, fault)

    @property
    def holds_gateway(self) -> bool:
        """Whether this replica's current run holds the Discord gateway lease."""
        run = "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"run-{self.runs}.*")))
        return run.count("holding the discord gateway lease") > run.count("lost the discord gateway lease")

    @property
    def pid(self) -> int:
        """The process id of the current run."""
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        """Whether the current run is still running."""
        return self.proc is not None and self.proc.poll() is None


async def start_replicas(root: Path, fakes: Fakes, discord: FakeDiscord, http: aiohttp.ClientSession,
                         url: str, count: int = 3) -> list[Replica]:
    """Start `count` replicas at the same moment (they migrate the same new database together)."""
    replicas = [Replica(root / f"replica-{n}", fakes, discord, http, url) for n in range(count)]
    await asyncio.gather(*(replica.start() for replica in replicas))
    return replicas


async def gateway_holder(replicas: list[Replica], timeout: float) -> Replica:
    """Wait until exactly one live replica holds the gateway and it is connected; returns it."""

    def one() -> bool:
        return len([r for r in replicas if r.alive() and r.holds_gateway]) == 1

    await eventually(one, timeout, "one replica to hold the Discord gateway")
    (holder,) = [r for r in replicas if r.alive() and r.holds_gateway]
    await eventually(lambda: holder.output().count("connected to Discord as") >= 1, timeout, "the gateway to be ready")
    return holder


async def leases_held_by(url: str, replica: Replica) -> int:
    """How many jobs the replica's worker holds right now (worker names carry the process id)."""
    conn = await asyncpg.connect(url)
    try:
        value = await conn.fetchval(
            "SELECT count(*) FROM jobs WHERE lease_owner LIKE $1 AND lease_until > extract(epoch FROM now())",
            f"%:{replica.pid}:%",
        )
    finally:
        await conn.close()
    return int(value)


def on_replica(callback_url: str, replica: Replica) -> str:
    """The same callback URL, sent to another replica (as a load balancer may)."""
    return re.sub(r"^http://127\.0\.0\.1:\d+", replica.url, callback_url)
