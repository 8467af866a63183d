"""People who already agreed to the consent question, for tests about everything that comes after it.

Agreement goes through the core's own gate (a question asked and answered), as a person's would.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from bot.consent.gate import ConsentGate
from bot.consent.records import ConsentRecord
from bot.consent.terms import CONSENT_VERSION, ConsentTerms, DataCommands, ProviderReach, RetentionInForce
from bot.ports import ConsentLog
from bot.wiring.app import Core
from bot.wiring.provider_table import provider_names
from storage.consent_rows import CONSENT_COLUMNS, consent_values

COMMANDS = DataCommands(export="/headshot my-data", forget="/headshot forget")
SLACK_TEAMS = ("T0TEAM", "T0GUEST")
SLACK_USERS = (
    "U0USER",
    "U0ADA",
    "U0BEA",
    "U0ZOE",
    "U0EVA",
    "U0NOFAV",
    "U0OTHER",
    "U0STUDIO",
    "U0AGENT",
    "U0RUNFLOW",
    "U0BEFORE",
    "U0AFTER",
    "U0DURING",
    "U0OK1",
    "U0OK2",
    "U0BAD1",
    "U0BAD2",
    "U0BAD3",
    "U0HALF",
    "U0NONE",
    "URUNFLOW",
    *(f"USTUDIO{n}" for n in range(30)),
    *(f"U0Q{n:02d}" for n in range(10)),
    *(f"U0B{n:03d}" for n in range(300)),
)
DISCORD_OWNER = "discord:1187000000000000500"  # tests/discord/conftest.USER_ID
LONGEST = 1_000_000.0  # hours or days: longer than any retention a test sets
# Terms that cover any bot's: every provider named, any retention.
ANYTHING = ConsentTerms(
    CONSENT_VERSION,
    tuple(ProviderReach(name, name, name == "studio") for name in provider_names()),
    RetentionInForce(LONGEST, LONGEST),
    None,
)


async def agreed(gate: ConsentGate, *owners: str) -> None:
    """Each owner asks once and agrees."""
    for owner in owners:
        question = await gate.ask(owner, "test", {"kind": "none"}, commands=COMMANDS)
        await gate.agree(question.pending_id, owner)


async def agree(core: Core, *owners: str) -> None:
    """Each owner agrees to the core's terms in force. The first asks and answers through the core's
    gate; the others get the record that answer left, under their own names: the same rows, one write
    each instead of a question held and answered (a harness seeds hundreds of people)."""
    if not owners:
        return
    first, *others = owners
    await agreed(core.consents, first)
    record = await core.store.latest_consent(first)
    assert record is not None, "the gate kept no record of an agreement"
    for owner in others:
        await core.store.record_consent(replace(record, owner=owner))


async def agree_to_anything(log: ConsentLog, *owners: str) -> None:
    """Each owner agrees to terms covering every provider and any retention, for a bot that runs in
    another process (its own terms are not known here): the records such an agreement leaves."""
    shown = ANYTHING.shown(None, COMMANDS)
    for owner in owners:
        await log.record_consent(ConsentRecord(owner, shown, time.time()))


def slack_people(teams: tuple[str, ...] = SLACK_TEAMS) -> list[str]:
    """The owner keys of the Slack users the tests use."""
    return [f"slack:{team}:{user}" for team in teams for user in SLACK_USERS]


def stored(data_dir: Path, *, ignore: tuple[str, ...] = ()) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the SQLite store under `data_dir` (but `ignore`d tables), and every
    blob's path: what "nothing kept" is compared against."""
    db = sqlite3.connect(data_dir / "headshot-bot.db", timeout=10)
    try:
        tables = [str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables if t not in ignore}
    finally:
        db.close()
    found["blobs"] = sorted((str(p.relative_to(data_dir)),) for p in (data_dir / "blobs").rglob("*") if p.is_file())
    return found


def agree_in_bulk(data_dir: Path, owners: Iterable[str]) -> None:
    """`agree_to_anything` for many owners at once, in one transaction on the SQLite file under `data_dir`
    (benchmarks seed thousands of people; a running bot's own connection reads them like any others)."""
    shown, now = ANYTHING.shown(None, COMMANDS), time.time()
    rows = [consent_values(ConsentRecord(owner, shown, now)) for owner in owners]
    db = sqlite3.connect(data_dir / "headshot-bot.db", timeout=30)
    try:
        with db:
            marks = ", ".join("?" for _ in CONSENT_COLUMNS)
            db.executemany(f"INSERT INTO consents ({', '.join(CONSENT_COLUMNS)}) VALUES ({marks})", rows)
    finally:
        db.close()
