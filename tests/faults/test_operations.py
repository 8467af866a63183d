"""Operating it: `serve` with JSON logs and a metrics token, after real jobs, read as an operator would."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.jobs import JobState
from tests.fakes import Reply, small_jpeg
from tests.faults.discord_bot import DiscordBot
from tests.faults.harness import (
    DISCORD_TOKEN,
    BotProcess,
    Fakes,
    callback_body,
    post_callback,
    submission,
    wait_submissions,
)
from tests.images import astronaut_jpeg

METRICS_TOKEN = "mtok-5b1f0c9e7d2a4c68ee31"
PROMPT = "please keep my freckles, thanks"  # a user's text: must never reach the log
USERS = {"studio": "U0STUDIO", "agentai": "U0AGENT", "runflow": "U0RUNFLOW"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[Samples, set[str]]:
    """Every sample of a scrape by (name, labels), and the names of the metric families."""
    samples: Samples = {}
    families = set()
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, families


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (KeyError when it is not exported)."""
    return samples[(name, frozenset(labels.items()))]


async def scrape(bot: BotProcess, authorization: str | None) -> tuple[int, str]:
    """GET /metrics with the given Authorization header (or none)."""
    headers = {"Authorization": authorization} if authorization else {}
    async with bot.http.get(f"{bot.url}/metrics", headers=headers) as answer:
        return answer.status, await answer.text()


async def run_three_jobs(bot: BotProcess, fakes: Fakes) -> None:
    """A studio job whose delivery meets one 429, an agent.ai refusal, a Runflow job with its callbacks."""
    fakes.slack.rate_limit_once.add("files.completeUploadExternal")
    photo = fakes.slack.add_user_file("portrait.jpg", astronaut_jpeg())
    body = submission(photo, "studio", user=USERS["studio"])
    body["view"]["state"]["values"]["prompt"]["prompt"]["value"] = PROMPT
    assert (await bot.interact(body)).status == 200
    await bot.ended(count=1, timeout=90)
    fakes.agentai.script = [Reply(400, {"status": 400, "error": "the photo shows no face"})]
    assert (await bot.request_job("agentai", user=USERS["agentai"])).status == 200
    await bot.ended(count=2, timeout=60)
    assert (await bot.request_job("runflow", user=USERS["runflow"])).status == 200
    sub = await wait_submissions(fakes, 1)
    urls = [fakes.cdn.put(f"results/{n}.jpg", small_jpeg(n)) for n in range(3)]
    assert await post_callback(sub.callback_url, callback_body(sub, urls)) == (200, {"status": "accepted"})
    assert await post_callback(sub.callback_url, callback_body(sub, urls)) == (200, {"status": "duplicate"})
    forged = sub.callback_url.rsplit("/", 1)[0] + "/" + "F" * 43
    refused = await post_callback(forged, callback_body(sub, urls))
    assert refused is not None and refused[0] == 404
    await bot.ended(count=3, timeout=60)


async def test_metrics_and_json_logs_tell_what_happened(bot: BotProcess, fakes: Fakes) -> None:
    bot.env_overrides = {"LOG_FORMAT": "json", "METRICS_TOKEN": METRICS_TOKEN}
    await bot.start()
    await run_three_jobs(bot, fakes)
    # An event without a listener: Bolt warns in several lines of its own, which must stay one JSON line.
    event = {
        "type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": "Ev0NOLISTENER",
        "event_time": 1700000000, "event": {"type": "reaction_added", "user": "U0X", "reaction": "tada"},
    }
    assert (await bot.send(json.dumps(event), "application/json")).status in (200, 404)

    assert (await scrape(bot, None))[0] == 401
    assert (await scrape(bot, f"Bearer {METRICS_TOKEN}x"))[0] == 401
    assert (await scrape(bot, METRICS_TOKEN))[0] == 401
    status, text = await scrape(bot, f"Bearer {METRICS_TOKEN}")
    assert status == 200
    samples, families = parse(text)

    jobs = "headshot_jobs_total"
    assert value(samples, jobs, provider="studio", surface="slack", outcome="delivered") == 1
    assert value(samples, jobs, provider="agentai", surface="slack", outcome="failed") == 1
    assert value(samples, jobs, provider="runflow", surface="slack", outcome="delivered") == 1
    assert value(samples, jobs, provider="studio", surface="slack", outcome="failed") == 0
    requests = "headshot_provider_requests_total"
    assert value(samples, requests, provider="studio", outcome="ok") == 1
    assert value(samples, requests, provider="agentai", outcome="refused") == 1
    assert value(samples, requests, provider="runflow", outcome="submitted") == 1
    for provider in USERS:
        assert value(samples, "headshot_provider_request_seconds_count", provider=provider) == 1
        assert value(samples, "headshot_job_duration_seconds_count", provider=provider) == 1
        assert value(samples, "headshot_job_duration_seconds_sum", provider=provider) > 0
    images = "headshot_images_delivered_total"
    assert value(samples, images, provider="studio", surface="slack") == 1
    assert value(samples, images, provider="runflow", surface="slack") == 3
    assert value(samples, images, provider="agentai", surface="slack") == 0
    for outcome in ("accepted", "duplicate", "refused"):
        assert value(samples, "headshot_callbacks_total", outcome=outcome) == 1, outcome
    replies = sum(len(bot.replies(status)) for status in bot.statuses())
    posts = "headshot_chat_posts_total"
    assert value(samples, posts, surface="slack", outcome="posted") == replies
    assert value(samples, posts, surface="slack", outcome="rate_limited") == 1
    assert value(samples, posts, surface="slack", outcome="failed") == 0
    states = {state.value: value(samples, "headshot_jobs_in_state", state=state.value) for state in JobState}
    assert states == {state.value: 0 for state in JobState} | {"delivered": 2, "failed": 1}
    assert "headshot_quota_refusals" in families
    assert value(samples, "process_resident_memory_bytes") > 0

    # Labels carry names from small fixed sets, never an id or a user's text.
    ids = {row[0] for row in bot.rows("SELECT id FROM jobs")}
    labels = {v for (_name, pairs) in samples for k, v in pairs if k != "le"}
    assert labels <= {*USERS, "slack", *(s.value for s in JobState), "ok", "submitted", "refused",
                      "unavailable", "error", "accepted", "duplicate", "posted", "rate_limited"}, labels
    assert not any(job_id[:8] in text for job_id in ids) and not any(user in text for user in USERS.values())

    bot.stop()
    lines = check_every_line(bot)
    check_each_life(lines, {row[0][:8]: row[1] for row in bot.rows("SELECT id, provider FROM jobs")})
    assert any(line["logger"].startswith("slack_bolt") and "\n" in line["message"] for line in lines)
    output = bot.output()
    assert METRICS_TOKEN not in output and PROMPT not in output
    assert not any(user in output for user in USERS.values())


def check_every_line(bot: BotProcess) -> list[dict[str, Any]]:
    """Every line the server wrote on stdout and stderr is one JSON object with the fixed keys."""
    lines: list[dict[str, Any]] = []
    for path in sorted(bot.logs.glob("run-*.*")):
        for number, raw in enumerate(path.read_text().splitlines(), start=1):
            try:
                line = json.loads(raw)
            except ValueError:
                raise AssertionError(f"{path.name}:{number} is not JSON: {raw[:200]}") from None
            assert isinstance(line, dict) and {"ts", "level", "logger", "message"} <= line.keys(), raw
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"]), line["ts"]
            assert "job" not in line or re.fullmatch(r"[0-9a-f]{8}", line["job"]), line
            lines.append(line)
    assert lines, "serve logged nothing"
    return lines


def check_each_life(lines: list[dict[str, Any]], providers: dict[str, str]) -> None:
    """Each job's life, from acceptance to its end, can be read from its own lines."""
    told: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        if "job" in line:
            told[line["job"]].append(line["message"])
    assert set(told) == set(providers)
    expected = {
        "studio": ["accepted: studio", "studio called: ok", "delivered "],
        "agentai": ["accepted: agentai", "agentai called: refused", "failed, "],
        "runflow": ["accepted: runflow", "runflow called: submitted", "callback: 3 results", "fetched 3 of 3",
                    "delivered 3 images"],
    }
    for job, provider in providers.items():
        story = iter(told[job])
        for step in expected[provider]:
            assert any(message.startswith(step) for message in story), (provider, step, told[job])


async def test_a_discord_run_logs_json_and_counts_its_posts(discord_bot: DiscordBot) -> None:
    discord_bot.env_overrides = {"LOG_FORMAT": "json"}
    await discord_bot.start()
    await discord_bot.request_portrait(count=2)
    assert (await discord_bot.status_ended())["content"].startswith("✅")
    status, text = await scrape(discord_bot, None)  # no METRICS_TOKEN: open
    assert status == 200
    samples, _ = parse(text)
    assert value(samples, "headshot_chat_posts_total", surface="discord", outcome="posted") == 1
    assert value(samples, "headshot_images_delivered_total", provider="studio", surface="discord") == 2
    discord_bot.stop()
    lines = check_every_line(discord_bot)
    check_each_life(lines, {row[0][:8]: row[1] for row in discord_bot.rows("SELECT id, provider FROM jobs")})
    assert any(line["logger"].startswith("discord") for line in lines), {line["logger"] for line in lines}
    assert DISCORD_TOKEN.split(".", 1)[1] not in discord_bot.output()
