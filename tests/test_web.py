"""The web server's own routes: health and the provider callback, under hostile input."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import web as bot_web
from bot.jobs import JobState
from bot.ports import Submitted
from bot.web import web_runner
from bot.wiring.app import Core
from tests.conftest import submit
from tests.doubles import ScriptedProvider
from tests.servers import running

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)


async def test_healthz_answers_ok(core: Core) -> None:
    async with running(core.web_app()) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"


async def _waiting_job(core: Core, scripted: ScriptedProvider) -> tuple[str, str]:
    scripted.capabilities = scripted.capabilities.__class__(**{**scripted.capabilities.__dict__, "asynchronous": True})
    scripted.script = [Submitted(remote_id="remote-1")]
    job_id = await submit(core)
    await core.runner.run_until_idle()
    url = scripted.calls[0].callback_url
    assert url is not None
    return job_id, url.rsplit("/", 1)[1]


async def test_callback_route_refuses_what_it_must(core: Core, scripted: ScriptedProvider) -> None:
    job_id, token = await _waiting_job(core, scripted)
    body = {"event": "headshots.completed", "headshots_id": "remote-1", "image_urls": ["https://cdn.example/1.jpg"]}
    async with running(core.web_app()) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/webhooks/runflow/{'x' * 43}", json=body) as response:
            assert response.status == 404
        async with http.post(f"{base}/webhooks/runflow/{token}", json={**body, "headshots_id": "other"}) as response:
            assert response.status == 404
        async with http.post(f"{base}/webhooks/runflow/{token}", data=b"{" * 400_000) as response:
            assert response.status == 413
        job = await core.store.get(job_id)
        assert job is not None and job.state is JobState.WAITING
        async with http.post(f"{base}/webhooks/runflow/{token}", json=body) as response:
            assert response.status == 200 and (await response.json())["status"] == "accepted"
        async with http.post(f"{base}/webhooks/runflow/{token}", json=body) as response:
            assert response.status == 200 and (await response.json())["status"] == "duplicate"
    job = await core.store.get(job_id)
    assert job is not None and job.state is JobState.FETCHING and job.results_total == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values.map(json.dumps), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))),
       token=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-%.", min_size=1, max_size=60))
async def test_callback_route_never_fails_on_garbage(core: Core, body: str, token: str) -> None:
    async with running(core.web_app()) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/webhooks/runflow/{token}", data=body.encode("latin-1", "replace")) as response:
            assert response.status in (200, 400, 404, 405, 413)


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[int]:
    """`app` behind the same runner `serve` uses; yields its port."""
    runner = web_runner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def test_the_server_timeouts_are_short() -> None:
    assert bot_web.IDLE_SECONDS <= 120 and bot_web.BODY_SECONDS <= 30


async def test_a_client_that_never_finishes_its_headers_is_disconnected(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot_web, "IDLE_SECONDS", 0.5)
    async with served(core.web_app()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /webhooks/runflow/" + b"a" * 30 + b" HTTP/1.1\r\nHost: bot\r\nX-Slow: ")
        await writer.drain()
        for _ in range(3):  # a byte now and then does not keep it open
            await asyncio.sleep(0.2)
            writer.write(b"z")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()


async def test_a_body_that_trickles_in_gets_408(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot_web, "BODY_SECONDS", 0.3)
    async with served(core.web_app()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /webhooks/runflow/" + b"a" * 30 + b" HTTP/1.1\r\nHost: bot\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
    assert status.startswith(b"HTTP/1.1 408")


MARK = b"stranger-typed"
MALFORMED = [
    b"GET /healthz HTTP/1.1\r\nHost: bot\r\nX-Note: " + MARK + b"\x01\r\n\r\n",  # a control byte in a header
    b"GET /healthz HTTP/1.1\r\nHost: bot\r\nCookie: session=" + MARK + b"\x7f\r\n\r\n",  # ... in a cookie
    b"GET /healthz HTTP/1.1\r\nHost: bot\r\n" + MARK + b" no colon\r\n\r\n",
    b"GET /healthz HTTP/9." + MARK + b"\r\nHost: bot\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: bot\r\nX-Long: " + MARK * 1000 + b"\r\n\r\n",
]


async def answer_to(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return status


async def test_malformed_requests_get_400_and_one_count_in_the_log(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with served(core.web_app()) as port:
        answers = [await answer_to(port, MALFORMED[n % len(MALFORMED)]) for n in range(200)]
        assert all(status.split()[1] == b"400" for status in answers), set(answers)
        during = [r for r in caplog.records if r.name.startswith(("aiohttp", "bot"))]
    after = [r for r in caplog.records if r.name.startswith(("aiohttp", "bot"))]
    counted = "answered {} malformed HTTP request(s) with 400 (what they held is not logged)"
    assert [r.getMessage() for r in during] == [counted.format(1)]
    assert [r.getMessage() for r in after[len(during) :]] == [counted.format(199)]  # the rest, at shutdown
    assert all(r.exc_info is None for r in after)
    text = caplog.text + "".join(logging.Formatter().format(r) for r in caplog.records)
    assert MARK.decode() not in text and len(text) < 2000


async def test_a_route_that_fails_is_still_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("a bug of ours")

    app = web.Application()
    app.router.add_get("/broken", broken)
    async with served(app) as port:
        assert (await answer_to(port, b"GET /broken HTTP/1.1\r\nHost: bot\r\n\r\n")).startswith(b"HTTP/1.1 500")
    [record] = [r for r in caplog.records if r.exc_info]
    assert isinstance(record.exc_info[1], RuntimeError) and record.levelno == logging.ERROR
