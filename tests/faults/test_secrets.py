"""Secrets never leak: not into logs, chat messages, job records or files, nor to the wrong service."""

from __future__ import annotations

import json

from tests.fakes import Reply
from tests.faults.harness import (
    AGENTAI_KEY,
    RUNFLOW_KEY,
    SECRETS,
    BotProcess,
    Fakes,
    callback_body,
    eventually,
    post_callback,
    submission,
    wait_submissions,
)
from tests.images import astronaut_jpeg


def leaks(text: bytes, where: str) -> list[str]:
    """Which secrets occur in `text`, named with the place they were found."""
    return [f"{name} in {where}" for name, value in SECRETS.items() if value.encode() in text]


async def test_no_secret_reaches_logs_messages_records_or_other_services(bot: BotProcess, fakes: Fakes) -> None:
    bot.env_overrides["PHOTO_KEEP_HOURS"] = "0"  # photos go the moment each job ends
    await bot.start()
    # Two jobs that work...
    assert (await bot.request_job("agentai", user="U0OK1", count="2")).status == 200
    assert (await bot.request_job("runflow", user="U0OK2")).status == 200
    sub = await wait_submissions(fakes, 1)
    assert await post_callback(sub.callback_url, callback_body(sub, fakes.pack_urls())) == (
        200, {"status": "accepted"})
    await bot.ended(count=2, timeout=60)
    # ...and failures whose answers echo the key back, as careless APIs do.
    fakes.agentai.script = [Reply(401, {"status": 401, "error": f"Invalid API key: Bearer {AGENTAI_KEY}"})]
    assert (await bot.request_job("agentai", user="U0BAD1")).status == 200
    await bot.ended(count=3, timeout=60)
    fakes.runflow.script = [Reply(401, {"code": "unauthorized", "message": f"Invalid x-api-key {RUNFLOW_KEY}"})]
    assert (await bot.request_job("runflow", user="U0BAD2")).status == 200
    await bot.ended(count=4, timeout=60)
    # A Slack file that cannot be downloaded (Slack answers its login page).
    broken = fakes.slack.add_user_file("gone.jpg", astronaut_jpeg())
    del fakes.slack.blobs[broken["id"]]
    assert (await bot.interact(submission(broken, "studio", user="U0BAD3"))).status == 200
    await eventually(lambda: fakes.slack.ephemerals, 30, "the download failure to be told")
    bot.stop()

    statuses = bot.statuses()
    texts = sorted(s["text"] for s in statuses)
    assert sum(t.startswith("✅") for t in texts) == 2
    assert any("agent.ai refused the API key" in t for t in texts)
    assert any("Runflow refused the API key" in t for t in texts)
    assert "couldn't download gone.jpg" in fakes.slack.ephemerals[0]["text"]

    found: list[str] = []
    found += leaks(bot.output().encode(), "the server's stdout/stderr")
    slack = fakes.slack
    chat = {
        "messages": slack.messages, "ephemerals": slack.ephemerals, "responses": slack.responses,
        "files": slack.files, "calls": [(c.method, c.params) for c in slack.calls],
    }
    found += leaks(json.dumps(chat, default=str).encode(), "what Slack was sent")
    for path in sorted(bot.data_dir.rglob("*")):
        if path.is_file():
            found += leaks(path.read_bytes(), str(path.relative_to(bot.data_dir)))
    # Each key went to its own service only, and nothing else carried any secret.
    for request in fakes.agentai.requests:
        assert request.headers["Authorization"] == f"Bearer {AGENTAI_KEY}"
        others = {k: v for k, v in request.headers.items() if k != "Authorization"}
        found += leaks(json.dumps(others).encode() + request.raw, "a request to agent.ai")
    for received in fakes.runflow.submissions:
        assert received.api_key == RUNFLOW_KEY
        found += leaks(received.callback_url.encode() + json.dumps(received.fields).encode(), "a request to Runflow")
    found += leaks(json.dumps([s.headers for s in fakes.cdn.seen]).encode(), "requests to the CDN")
    assert slack.uploads_with_auth == 0, "the bot token was sent to an upload URL"
    assert found == [], found
    assert not list((bot.data_dir / "blobs" / "jobs").glob("*/in")), "input photos outlived their jobs"

