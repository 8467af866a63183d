"""`GET /metrics` on the real web app and store: counts, the token, the store's census under load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from bot.ports import ProviderError
from bot.scrape import metrics_route
from bot.wiring.app import Core
from tests.conftest import submit
from tests.doubles import RecordingSurface, ScriptedProvider, images
from tests.servers import running

TOKEN = "scrape-token-1f3e5a7c9b"


@asynccontextmanager
async def serving(core: Core, token: str | None = None, **census: float) -> AsyncIterator[str]:
    """The web app with the metrics route, on a loopback port."""
    app = core.web_app([metrics_route(core.metrics, core.store, token, **census)])
    async with running(app) as base:
        yield base


async def scrape(base: str, headers: dict[str, str] | None = None) -> tuple[int, dict[tuple[str, str], float]]:
    """Status and samples, keyed by (name, labels as `k=v,...`)."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics", headers=headers or {}) as answer:
        text = await answer.text()
        if answer.status != 200:
            return answer.status, {}
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[(sample.name, labels)] = sample.value
    return 200, samples


async def test_the_token_guards_the_scrape_only_when_set(core: Core) -> None:
    async with serving(core) as base:
        assert (await scrape(base))[0] == 200
    async with serving(core, TOKEN) as base, aiohttp.ClientSession() as http:
        for given in (None, "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}"):
            assert (await scrape(base, {"Authorization": given} if given else None))[0] == 401, given
        async with http.get(f"{base}/metrics", headers={"Authorization": "Bearer é\udcff"}) as answer:
            assert answer.status == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await scrape(base, {"Authorization": f"bearer {TOKEN}"}))[0] == 200
        status, samples = await scrape(base, {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and ("headshot_callbacks_total", "outcome=accepted") in samples


async def test_outcomes_of_providers_posts_and_jobs_are_counted(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    refusal = ProviderError("Scripted refused the photo.")
    scripted.script = [ProviderError("busy", retryable=True, retry_after=0.01), images(2), RuntimeError("bug"), refusal]
    surface.fail_posts = 1
    await submit(core, count=2)
    await core.runner.run_until_idle()
    await submit(core)
    await core.runner.run_until_idle()
    core.metrics.quota_refused("scripted", "user_day")
    async with serving(core) as base:
        _, samples = await scrape(base)
    assert samples[("headshot_provider_requests_total", "outcome=unavailable,provider=scripted")] == 1
    assert samples[("headshot_provider_requests_total", "outcome=ok,provider=scripted")] == 1
    assert samples[("headshot_provider_requests_total", "outcome=error,provider=scripted")] == 1
    assert samples[("headshot_provider_requests_total", "outcome=refused,provider=scripted")] == 1
    assert samples[("headshot_provider_request_seconds_count", "provider=scripted")] == 4
    assert samples[("headshot_chat_posts_total", "outcome=failed,surface=test")] == 1
    assert samples[("headshot_chat_posts_total", "outcome=posted,surface=test")] == len(surface.posts) == 2
    assert samples[("headshot_jobs_total", "outcome=delivered,provider=scripted,surface=test")] == 1
    assert samples[("headshot_jobs_total", "outcome=failed,provider=scripted,surface=test")] == 1
    assert samples[("headshot_images_delivered_total", "provider=scripted,surface=test")] == 2
    assert samples[("headshot_quota_refusals_total", "provider=scripted,scope=user_day")] == 1
    assert samples[("headshot_jobs_in_state", "state=failed")] == 1


async def test_each_core_counts_for_itself(core: Core) -> None:
    other = Metrics()
    other.callback("refused")
    core.metrics.callback("accepted")
    async with serving(core) as base:
        _, samples = await scrape(base)
    assert samples[("headshot_callbacks_total", "outcome=refused")] == 0
    assert samples[("headshot_callbacks_total", "outcome=accepted")] == 1


async def test_job_counts_are_read_from_the_store_at_most_once_per_ttl(core: Core) -> None:
    await submit(core, owner="a")
    async with serving(core, ttl=3600) as cached, serving(core, ttl=0) as fresh:
        assert (await scrape(cached))[1][("headshot_jobs_in_state", "state=queued")] == 1
        await submit(core, owner="b")
        assert (await scrape(cached))[1][("headshot_jobs_in_state", "state=queued")] == 1
        assert (await scrape(fresh))[1][("headshot_jobs_in_state", "state=queued")] == 2
        assert (await scrape(fresh))[1][("headshot_jobs_in_state", "state=delivered")] == 0


async def test_a_busy_database_costs_the_census_not_the_scrape(core: Core) -> None:
    await submit(core)
    # The store's one connection busy with a query that runs for many seconds: every later query waits.
    db = core.store._db
    busy = asyncio.create_task(db.execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) SELECT count(*) FROM n"
    ))
    try:
        await asyncio.sleep(0.1)
        async with serving(core, ttl=0, timeout=0.3) as base:
            started = time.perf_counter()
            status, samples = await scrape(base)
            assert time.perf_counter() - started < 2
            assert status == 200 and ("headshot_callbacks_total", "outcome=accepted") in samples
            assert not any(name == "headshot_jobs_in_state" for name, _ in samples)
            status, _ = await scrape(base)  # waits for the same count, without queueing another
            assert status == 200
            await db.interrupt()
            await asyncio.gather(busy, return_exceptions=True)
            _, samples = await scrape(base)
            assert samples[("headshot_jobs_in_state", "state=queued")] == 1
    finally:
        await db.interrupt()
        await asyncio.gather(busy, return_exceptions=True)
