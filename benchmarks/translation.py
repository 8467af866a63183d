"""What speaking each person's language costs: the Slack acknowledgement, and a status update.

Slack: two copies of the real app, each against a fake Slack of its own (in a process of its own).
On one, nobody's language is looked up (everyone reads English: the bot as it was before it spoke
any other); on the other every user speaks German (`de-DE`, from `users.info`). Rounds of 200
concurrent requests alternate between them, half `/headshot` commands (the language is looked up
after the acknowledgement, once per user, each request here from a new user, and the modal is
built in it) and half modal submissions (whose language comes with the modal). Each round's
ratio is German p99 over English p99; the figure is the median of the rounds' ratios.

Status update: the status text and the buttons of a delivered job, made many times in English
and in German, and the difference per update; the first use of a catalog (read, or compiled
in memory from its .po in a checkout) is timed on its own.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import make_settings, ms, percentile
from benchmarks.load import Shot, fire, pool
from benchmarks.slack_ack import REQUESTS, ROUND_TIMEOUT_S, RealApp, _check, _signed, settle, shots
from benchmarks.slack_process import fake_slack_process
from benchmarks.table import Row
from bot import i18n
from bot.buttons import follow_ups
from bot.jobs import Job, JobState
from bot.messages import status_text
from bot.options import Options
from bot.request import Capabilities
from tests.servers import running
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import TOKEN

ACK_TARGET = 1.05
STATUS_TARGET_S = 0.001
UPDATES = 20_000


class _EveryoneEnglish:
    """`adapters.slack.locales.UserLocales` that never asks: the baseline without any language lookup."""

    def cached(self, team: str, user: str) -> str | None:
        return None

    async def of(self, team: str, user: str, client: object = None) -> str | None:
        return None

    async def quickly(self, team: str, user: str, client: object = None) -> str | None:
        return None


def _in_german(batch: list[Shot], url: str) -> list[Shot]:
    """The same requests, the modal submissions carrying the language their modal was opened in."""
    made = []
    for shot in batch:
        form = dict(_form(shot.body))
        if "payload" in form:
            body: dict[str, Any] = json.loads(form["payload"])
            body["view"]["private_metadata"] = json.dumps({"channel": "C0GENERAL", "locale": "de-DE"})
            made.append(_signed(url, {"payload": json.dumps(body)}))
        else:
            made.append(shot)
    return made


def _form(body: bytes) -> list[tuple[str, str]]:
    import urllib.parse

    return urllib.parse.parse_qsl(body.decode())


async def _look_up(adapters: list[Any], tag: str) -> None:
    """Ask (before the round) the language of the round's users, as a steady state would have it known."""
    for adapter in adapters:
        listeners = getattr(adapter, "listeners", None)
        if listeners is not None:
            users = [f"U{tag}{n:04d}" for n in range(REQUESTS)]
            await asyncio.gather(*(listeners.slack.locales.of("T0TEAM", user) for user in users))


async def slack_ack(quick: bool, cached: bool) -> Row:
    """German users against English ones, on otherwise identical apps; `cached`: their language is known."""
    rounds = 1 if quick else 11
    ratios: list[float] = []
    p99: dict[str, list[float]] = {"en": [], "de": []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-i18n-") as tmp,
        fake_slack_process("en-US") as (en_fake, en_photo),
        fake_slack_process("de-DE") as (de_fake, de_photo),
    ):
        sides = {"en": (en_fake, en_photo), "de": (de_fake, de_photo)}
        apps = {}
        for side, (fake_url, _photo) in sides.items():
            settings = make_settings(
                Path(tmp), slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_base_url=f"{fake_url}/api/"
            )
            apps[side] = await RealApp.open(settings, Path(tmp) / side, two_loops=False)
        for adapter in apps["en"].adapters:
            listeners = getattr(adapter, "listeners", None)
            if listeners is not None:
                listeners.slack.locales = _EveryoneEnglish()
        try:
            async with running(apps["en"].web) as en_url, running(apps["de"].web) as de_url:
                urls = {"en": en_url, "de": de_url}
                with pool() as executor:
                    for side in sides:  # warm-up: auth.test, imports, the catalog's first use
                        fake_url, photo = sides[side]
                        warm = shots(urls[side], fake_url, photo, f"W{side}", 4)
                        _check((await fire(executor, warm, 4, ROUND_TIMEOUT_S)).hits)
                        await settle(apps[side].adapters)
                    for n in range(rounds):
                        measured = {}
                        for side in (("en", "de") if n % 2 == 0 else ("de", "en")):
                            fake_url, photo = sides[side]
                            batch = shots(urls[side], fake_url, photo, f"{side}{n}", REQUESTS)
                            if side == "de":
                                batch = _in_german(batch, urls[side])
                                if cached:
                                    await _look_up(apps["de"].adapters, f"{side}{n}")
                            hits = await fire(executor, batch, REQUESTS, ROUND_TIMEOUT_S, f"{urls[side]}/healthz")
                            measured[side] = percentile(_check(hits.hits), 99)
                            p99[side].append(measured[side])
                            await settle(apps[side].adapters)
                        ratios.append(measured["de"] / measured["en"])
        finally:
            for app in apps.values():
                await app.close()
    ratio = statistics.median(ratios)
    ratios.sort()
    return Row(
        "slack ack, German users" + (" (language known)" if cached else " (each one new)"),
        f"p99 {ms(statistics.median(p99['de']))}",
        f"no lookup, English p99 {ms(statistics.median(p99['en']))}",
        ratio,
        f"<= {ACK_TARGET}x no lookup",
        ratio <= ACK_TARGET,
        f"{REQUESTS} concurrent x {rounds} round(s); median of per-round ratios (range {ratios[0]:.2f}-"
        f"{ratios[-1]:.2f}); " + ("users.info asked before each round" if cached else
                                  "every command from a new user: one users.info after its ack"),
    )


def _job(locale: str | None) -> Job:
    return Job(id="1a2b3c4d" * 4, owner="o", surface="s", thread={}, provider="studio", options=Options(),
               photo_count=1, state=JobState.DELIVERED, created_at=time.time() - 75, results_done=4,
               results_total=4, locale=locale)


def _per_update(locale: str | None, capabilities: Capabilities) -> float:
    job = _job(locale)
    started = time.perf_counter()
    for _ in range(UPDATES):
        status_text(job, capabilities)
        follow_ups(job, capabilities, locale)
    return (time.perf_counter() - started) / UPDATES


def status_update() -> Row:
    """The words and buttons of one status update, German against English."""
    from bot.providers.studio import StudioProvider

    capabilities = StudioProvider.capabilities
    i18n._loaded.clear()
    started = time.perf_counter()
    i18n.catalog("de")
    first_use = time.perf_counter() - started
    _per_update("de", capabilities)  # warm
    english = min(_per_update(None, capabilities) for _ in range(3))
    german = min(_per_update("de", capabilities) for _ in range(3))
    added = max(0.0, german - english)
    return Row(
        "status update, German",
        f"+{added * 1e6:.1f} µs per update ({german * 1e6:.1f} µs in all)",
        f"English {english * 1e6:.1f} µs; limit +{STATUS_TARGET_S * 1e3:.0f} ms",
        added / STATUS_TARGET_S,
        f"<= +{STATUS_TARGET_S * 1e3:.0f} ms",
        added <= STATUS_TARGET_S,
        f"status text and buttons, best of 3 x {UPDATES}; the catalog's first use {first_use * 1e3:.1f} ms",
    )


async def run(quick: bool) -> list[Row]:
    """Both figures."""
    return [status_update(), await slack_ack(quick, cached=True), await slack_ack(quick, cached=False)]
