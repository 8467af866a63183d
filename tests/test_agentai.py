"""agent.ai: the real provider against a fake that speaks the documented format; the rate limiter."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest

from bot.downloads import Downloader
from bot.jobs import JobState
from bot.options import Options, Quality
from bot.photos import Photo
from bot.ports import GenerationInput, ProviderError
from bot.providers.agentai import AgentAIProvider
from bot.providers.ratelimit import CallLimiter
from bot.runner import JobRunner
from bot.wiring.app import Core, build_core
from storage.sqlite import SqliteJobStore
from tests.conftest import make_settings
from tests.doubles import RecordingSurface
from tests.fakes import Reply, gradient_jpeg
from tests.fakes.agentai import FakeAgentAI

KEY = "agentai-test-key"


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeAgentAI]:
    async with FakeAgentAI(KEY) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def make_provider(
    fake: FakeAgentAI, http: aiohttp.ClientSession, *, downloader: Downloader | None = None, **kwargs: object
) -> AgentAIProvider:
    kwargs.setdefault("retry_base_delay", 0.01)
    return AgentAIProvider(KEY, fake.url + "/", http, downloader, **kwargs)  # type: ignore[arg-type]


def task(photos: int = 1, **options: object) -> GenerationInput:
    shots = [Photo(gradient_jpeg(512, seed=n)) for n in range(photos)]
    return GenerationInput(job_id="job-1", photos=shots, options=Options(**options))  # type: ignore[arg-type]


async def test_the_request_has_the_documented_format(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    job = task(photos=2, count=3, quality=Quality.HIGH, prompt="  navy blazer, soft light ")
    await make_provider(fake, http).generate(job)
    received = fake.requests[0]
    assert received.headers["Authorization"] == f"Bearer {KEY}"
    assert received.headers["Content-Type"].startswith("application/json")
    body = json.loads(received.raw)
    assert isinstance(body["photos_json"], str)
    photos = json.loads(body["photos_json"])
    assert [base64.b64decode(p["base64"]) for p in photos] == [p.data for p in job.photos]
    assert [p["mimeType"] for p in photos] == ["image/jpeg", "image/jpeg"]
    assert body["count"] == "3" and body["quality"] == "high" and body["aspect_ratio"] == "1:1"
    assert (body["style"], body["background"], body["attire"]) == ("professional", "studio_white", "keep_original")
    assert body["output_variable_name"] == "headshot_result"
    assert body["custom_prompt"] == "navy blazer, soft light"
    await make_provider(fake, http).generate(task())
    assert "custom_prompt" not in json.loads(fake.requests[1].raw)


@pytest.mark.parametrize(
    ("shape", "encoding"),
    [
        ("nested", "base64"),
        ("nested", "data_url"),
        ("nested", "object_base64"),
        ("nested_string", "base64"),
        ("top", "base64"),
        ("top", "data_url"),
    ],
)
async def test_inline_images_are_read_in_every_shape(
    fake: FakeAgentAI, http: aiohttp.ClientSession, shape: str, encoding: str
) -> None:
    fake.shape, fake.encoding = shape, encoding
    result = await make_provider(fake, http).generate(task(count=2))
    assert [image.data for image in result.images] == fake.expected_images(2)
    assert all(image.mime_type == "image/jpeg" for image in result.images)
    assert result.remote_id == fake.run_id and result.raw is not None and KEY not in result.raw


@pytest.mark.parametrize(("shape", "encoding"), [("nested", "url"), ("top", "object_url")])
async def test_url_images_are_downloaded_at_once(
    fake: FakeAgentAI, http: aiohttp.ClientSession, shape: str, encoding: str
) -> None:
    fake.shape, fake.encoding = shape, encoding
    without = await make_provider(fake, http).generate(task(count=2))
    assert all(image.url and image.url.startswith(fake.url) for image in without.images)
    downloader = Downloader(http, allow_private=True)
    result = await make_provider(fake, http, downloader=downloader).generate(task(count=2))
    assert [image.data for image in result.images] == fake.expected_images(2)


async def test_an_answer_without_images_fails_and_keeps_the_raw_answer(
    fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    fake.shape = "empty"
    with pytest.raises(ProviderError, match=r"agent\.ai answered without any images") as caught:
        await make_provider(fake, http).generate(task())
    assert not caught.value.retryable and caught.value.raw is not None and fake.run_id in caught.value.raw
    fake.script = [Reply(200, "<html>gateway</html>")]
    with pytest.raises(ProviderError, match="could not read") as garbled:
        await make_provider(fake, http).generate(task())
    assert garbled.value.raw == "<html>gateway</html>"


async def test_an_answer_past_its_size_cap_is_not_read_whole(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"status": 200, "response": {"images": ["'
        for _ in range(300):  # 300 MB if anyone read it all
            sent += 1
            yield b"A" * (1 << 20)

    fake.script = [Reply(200, endless(), {"Content-Type": "application/json"})]
    provider = make_provider(fake, http)
    with pytest.raises(ProviderError, match=r"larger than 17 MB") as caught:
        await provider.generate(task(count=1))
    assert not caught.value.retryable and len(fake.requests) == 1
    assert provider.answer_limit(task(count=1)) == 17 * 1024 * 1024
    assert sent < 60  # the reader stopped near the cap; the rest was never produced


async def test_a_declared_size_past_the_cap_is_refused_before_reading(
    fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    fake.script = [Reply(200, b"{" + b" " * (18 << 20) + b"}", {"Content-Type": "application/json"})]
    with pytest.raises(ProviderError, match=r"larger than 17 MB"):
        await make_provider(fake, http).generate(task(count=1))


async def test_at_most_count_images_are_taken(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    forty = [base64.b64encode(gradient_jpeg(32, seed=n)).decode() for n in range(40)]
    fake.script = [Reply(200, {"status": 200, "response": {"headshot_result": {"images": forty, "run_id": "r"}}})]
    result = await make_provider(fake, http).generate(task(count=1))
    assert [image.data for image in result.images] == [gradient_jpeg(32, seed=0)]


async def test_a_429_is_retried_after_the_pause_the_server_asks_for(
    fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    fake.script = [Reply(429, {"status": 429, "error": "Too many requests"}, {"retry-after": "1"})]
    started = time.monotonic()
    result = await make_provider(fake, http).generate(task())
    assert time.monotonic() - started >= 0.95
    assert len(fake.requests) == 2 and len(result.images) == 1


async def test_a_long_429_pause_goes_back_to_the_queue(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    fake.script = [Reply(429, {"error": "Daily limit reached"}, {"retry-after": "3600"})]
    with pytest.raises(ProviderError) as caught:
        await make_provider(fake, http).generate(task())
    assert caught.value.retryable and caught.value.retry_after == pytest.approx(3600, abs=2)
    assert len(fake.requests) == 1


async def test_a_refused_key_carries_the_providers_words(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    provider = AgentAIProvider("wrong-key-123", fake.url, http)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(task())
    assert str(caught.value) == "agent.ai refused the API key (Invalid or missing API token)."
    assert not caught.value.retryable and "wrong-key-123" not in str(caught.value)
    assert len(fake.requests) == 1


async def test_an_echoed_key_is_redacted_and_credits_are_explained(
    fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    fake.script = [Reply(402, {"error": f"Out of credits for token {KEY}"})]
    with pytest.raises(ProviderError, match="out of credits") as caught:
        await make_provider(fake, http).generate(task())
    assert KEY not in str(caught.value) and KEY not in (caught.value.raw or "")
    fake.script = [Reply(200, {"status": 402, "response": {"error": "Not enough credits"}})]
    with pytest.raises(ProviderError, match="out of credits: Not enough credits"):
        await make_provider(fake, http).generate(task())
    fake.script = [Reply(400, {"status": 400, "error": "photos_json must hold 1 to 3 photos"})]
    with pytest.raises(ProviderError, match=r"refused the request \(HTTP 400\): photos_json must hold"):
        await make_provider(fake, http).generate(task())


async def test_server_errors_are_retried_then_reported_as_retryable(
    fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    fake.script = [Reply(502, "bad gateway"), Reply(500, {"error": "boom"})]
    result = await make_provider(fake, http).generate(task())
    assert len(fake.requests) == 3 and len(result.images) == 1
    fake.script = [Reply(500, {"error": "boom"})] * 3
    with pytest.raises(ProviderError, match=r"HTTP 500\); the job will be tried again") as caught:
        await make_provider(fake, http).generate(task())
    assert caught.value.retryable and len(fake.requests) == 6


async def test_an_unreachable_service_is_retryable(http: aiohttp.ClientSession) -> None:
    provider = AgentAIProvider(KEY, "http://127.0.0.1:9", http, retry_base_delay=0.01)
    with pytest.raises(ProviderError, match="could not be reached") as caught:
        await provider.generate(task())
    assert caught.value.retryable


async def test_a_slow_answer_times_out(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    fake.script = [Reply(200, {"status": 200, "response": {}}, delay=0.6)]
    provider = make_provider(fake, http, timeout_factor=0.004)
    assert provider.timeout_for(task(count=2)) == pytest.approx((60 + 2 * 15 * 2) * 0.004)
    assert make_provider(fake, http).timeout_for(task(count=4, quality=Quality.HIGH)) == 300
    with pytest.raises(ProviderError, match=r"did not answer within 0.48 s") as caught:
        await provider.generate(task(count=2))
    assert caught.value.retryable and len(fake.requests) == 1


async def test_the_servers_empty_budget_pushes_the_next_call(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    fake.script = [Reply(200, {"status": 200, "response": {"images": [base64.b64encode(gradient_jpeg(32)).decode()]}},
                         {"ratelimit-remaining": "0", "ratelimit-reset": "30"})]
    provider = make_provider(fake, http)
    await provider.generate(task())
    assert 25 < provider.wait_seconds() <= 30


async def test_the_21st_call_in_a_minute_waits(fake: FakeAgentAI, http: aiohttp.ClientSession) -> None:
    clock = Clock()
    provider = make_provider(fake, http, limiter=CallLimiter("agentai", clock=clock), max_inline_wait=5)
    for _ in range(20):
        assert provider.wait_seconds() == 0
        await provider.generate(task())
    assert provider.wait_seconds() == pytest.approx(60)
    with pytest.raises(ProviderError, match="rate limit") as caught:
        await provider.generate(task())
    assert caught.value.retryable and caught.value.retry_after == pytest.approx(60)
    assert len(fake.requests) == 20
    clock.now += 60.5
    assert provider.wait_seconds() == 0


async def test_call_times_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    store = await SqliteJobStore.open(tmp_path / "jobs.db")
    try:
        first = await CallLimiter.load(store, "agentai", clock=clock)
        for _ in range(20):
            assert await first.acquire() == 0
            clock.now += 1
        restarted = await CallLimiter.load(store, "agentai", clock=clock)
        assert restarted.wait_seconds() == pytest.approx(40)
        assert await restarted.acquire() == pytest.approx(40)
        other = await CallLimiter.load(store, "runflow", clock=clock)
        assert other.wait_seconds() == 0
    finally:
        await store.close()


class MemoryCallLog:
    """A call log in memory, for counting a day of calls quickly."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def take_call(self, provider: str, at: float, limits: Sequence[tuple[int, float]]) -> float:
        wait = 0.0
        for limit, window in limits:
            recent = sorted(t for t in self.calls if t > at - window)
            if len(recent) >= limit:
                wait = max(wait, recent[-limit] + window - at)
        if wait == 0:
            self.calls.append(at)
        return wait

    async def calls_since(self, provider: str, since: float) -> list[float]:
        return [t for t in self.calls if t >= since]


async def test_the_daily_budget_is_1000_calls() -> None:
    clock = Clock()
    calls = MemoryCallLog()
    limiter = await CallLimiter.load(calls, "agentai", clock=clock)
    start = clock.now
    for _ in range(1000):
        assert await limiter.acquire() == 0
        clock.now += 61  # well inside the per-minute limit
    clock.now = start + 86400 - 100
    restarted = await CallLimiter.load(calls, "agentai", clock=clock)
    assert restarted.wait_seconds() == pytest.approx(100)
    clock.now += 100.5
    assert restarted.wait_seconds() == 0


async def engine_for(
    tmp_path: Path, provider: AgentAIProvider, http: aiohttp.ClientSession
) -> tuple[Core, JobRunner, RecordingSurface]:
    surface = RecordingSurface()
    core = await build_core(
        make_settings(tmp_path, default_provider="agentai", job_concurrency=2),
        providers={"agentai": provider},
        surfaces={"test": surface},
    )
    return core, core.runner, surface


async def test_a_job_through_the_engine_gets_its_images(
    tmp_path: Path, fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    fake.encoding = "url"
    provider = make_provider(fake, http, downloader=Downloader(http, allow_private=True))
    core, runner, surface = await engine_for(tmp_path, provider, http)
    service = core.intake
    request = service.build_request(task().photos, Options(count=3), None)
    job = await service.accept(request, owner="u1", surface="test", thread={"thread": "t1"})
    await runner.run_until_idle()
    stored = await core.store.get(job.id)
    assert stored is not None and stored.state is JobState.DELIVERED and stored.remote_id == fake.run_id
    assert [data for _, data in surface.files] == fake.expected_images(3)
    await core.close()


async def test_a_spent_daily_budget_leaves_the_job_queued(
    tmp_path: Path, fake: FakeAgentAI, http: aiohttp.ClientSession
) -> None:
    calls = MemoryCallLog()
    calls.calls = [time.time() - 3600 + n for n in range(1000)]
    provider = make_provider(fake, http, limiter=await CallLimiter.load(calls, "agentai"))
    core, runner, _surface = await engine_for(tmp_path, provider, http)
    service = core.intake
    job = await service.accept(service.build_request(task().photos, Options(), None), owner="u1", surface="test",
                               thread={"thread": "t1"})
    await runner.run_until_idle()
    stored = await core.store.get(job.id)
    assert stored is not None and stored.state is JobState.QUEUED
    assert stored.not_before == pytest.approx(time.time() + 86400 - 3600, abs=5)
    assert fake.requests == []
    await core.close()
