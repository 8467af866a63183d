"""Quotas on Slack: a field error in the modal, a reply in a mention's thread, what is left, `/headshot usage`."""

from __future__ import annotations

import urllib.parse

from bot.quotas import Limit, Period, QuotaPolicy, Scope
from bot.usage import usage_table
from tests.doubles import jpeg
from tests.slack.conftest import SlackHarness, payload, wait_for
from tests.slack.test_slack_mentions import CHANNEL, TS, mention
from tests.test_quotas import Clock

REFUSED = "You have used 2 of your 2 Scripted headshots for today; the allowance resets at 00:00 UTC, in 5 h 10 min."


def limit(harness: SlackHarness, *limits: Limit) -> Clock:
    clock = Clock("2026-11-21 18:50")
    harness.core.quotas.policy, harness.core.quotas.clock = QuotaPolicy(limits), clock
    return clock


async def use_two(harness: SlackHarness) -> None:
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    answer = await harness.interact(harness.submission([photo], "scripted", count="2"))
    assert answer.text == ""
    await harness.settle()
    assert len(harness.scripted.calls) == 1


async def test_a_modal_over_the_limit_gets_the_sentence_on_the_provider_before_anything_happens(
    harness: SlackHarness,
) -> None:
    limit(harness, Limit("scripted", Scope.USER, Period.DAY, 2))
    await use_two(harness)
    downloads = list(harness.fake.downloads)
    photo = harness.fake.add_user_file("q.jpg", jpeg(512, 512, 1))
    answer = await harness.interact(harness.submission([photo], "scripted", count="1"))
    assert answer.status == 200 and answer.elapsed < 3
    assert answer.json() == {"response_action": "errors", "errors": {"provider": REFUSED}}
    await harness.settle()
    assert harness.fake.downloads == downloads and len(harness.scripted.calls) == 1
    assert len(await harness.core.store.jobs_for_owner("slack:T0TEAM:U0USER")) == 1
    other = harness.fake.add_user_file("r.jpg", jpeg(512, 512, 2))  # another provider is still open
    assert (await harness.interact(harness.submission([other], "studio"))).text == ""


async def test_a_mention_over_the_limit_is_answered_in_its_thread(harness: SlackHarness) -> None:
    limit(harness, Limit("scripted", Scope.WORKSPACE, Period.DAY, 2))
    await use_two(harness)
    photo = harness.fake.add_user_file("me.jpg", jpeg(512, 512))
    body = mention(harness, "<@U0BOT> scripted", [photo])
    body["event"]["user"] = "U0OTHER"  # someone else in the same workspace
    await harness.event(body)
    await harness.settle()
    [reply] = harness.fake.thread(CHANNEL, TS)
    assert reply["text"] == REFUSED.replace("You have used 2 of your", "This workspace has used 2 of its")
    assert len(harness.scripted.calls) == 1 and harness.fake.downloads.count(photo["url_private_download"]) == 0


async def test_the_modal_says_what_is_left_of_each_limited_provider(harness: SlackHarness) -> None:
    limit(harness, Limit("scripted", Scope.USER, Period.DAY, 5), Limit("scripted", Scope.WORKSPACE, Period.MONTH, 40))
    await use_two(harness)
    await harness.command("")
    await wait_for(lambda: harness.fake.calls_to("views.open"))
    view = harness.fake.calls_to("views.open")[0].params["view"]
    [provider] = [b for b in view["blocks"] if b["block_id"] == "provider"]
    labels = {o["value"]: o["text"]["text"] for o in provider["element"]["options"]}
    assert labels["scripted"] == "Scripted — 3 left today" and labels["studio"] == "Studio"


async def test_usage_lists_my_and_the_workspaces_use_against_every_limit(harness: SlackHarness) -> None:
    limit(harness, Limit("scripted", Scope.USER, Period.DAY, 5), Limit("scripted", Scope.WORKSPACE, Period.MONTH, 40))
    await harness.command("usage")
    await wait_for(lambda: harness.fake.responses)
    await use_two(harness)
    await harness.command("usage")
    await wait_for(lambda: len(harness.fake.responses) == 2)
    first, second = harness.fake.responses
    assert second["response_type"] == "ephemeral"
    assert second["text"] == (
        "Your headshot allowance (UTC):\n"
        "• Scripted: You used 2 of 5 today (3 left); resets at 00:00 UTC, in 5 h 10 min.\n"
        "• Scripted: This workspace used 2 of 40 this month (38 left); resets on 1 December at 00:00 UTC, in 9 days."
    )
    assert "used 0 of 5 today (5 left)" in first["text"]


async def test_usage_without_limits_says_so_and_help_mentions_it(harness: SlackHarness) -> None:
    await harness.command("usage")
    await wait_for(lambda: harness.fake.responses)
    assert harness.fake.responses[0]["text"] == (
        "No headshot limits are set on this bot: you may make as many as you like."
    )
    help_text = (await harness.command("help")).text
    assert "`/headshot usage`" in help_text


async def test_the_shortcut_modal_refuses_on_the_provider_too(harness: SlackHarness) -> None:
    limit(harness, Limit("scripted", Scope.USER, Period.DAY, 2))
    await use_two(harness)
    photo = harness.fake.add_user_file("s.jpg", jpeg(512, 512))
    metadata = {"channel": CHANNEL, "thread_ts": TS, "files": [{"id": photo["id"], "name": "s.jpg", "url": None}]}
    answer = await harness.interact(harness.submission([], "scripted", metadata=metadata))
    assert answer.json() == {"response_action": "errors", "errors": {"provider": REFUSED}}
    assert payload("view_submission")["view"]["callback_id"] == "headshot_request"


GUEST = "T0GUEST"  # a team other than the installation's: a shared channel, or another workspace of an org


async def guest_command(harness: SlackHarness, text: str) -> None:
    form = payload("slash_command") | {"text": text, "team_id": GUEST, "response_url": f"{harness.fake.url}/response/g"}
    answer = await harness.send(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
    assert answer.status == 200


async def test_a_request_made_in_another_team_than_the_installation_is_charged_and_reported_there(
    harness: SlackHarness,
) -> None:
    limit(harness, Limit("scripted", Scope.WORKSPACE, Period.MONTH, 40))
    photo = harness.fake.add_user_file("p.jpg", jpeg(512, 512))
    body = harness.submission([photo], "scripted", count="2")
    body["team"]["id"] = body["user"]["team_id"] = body["view"]["team_id"] = GUEST
    assert (await harness.interact(body)).text == ""
    await harness.settle()
    assert len(harness.scripted.calls) == 1
    rows = await harness.core.quotas.report()
    assert {row.workspace for row in rows} == {f"slack:{GUEST}"}
    assert {row.who for row in rows} == {"workspace", f"slack:{GUEST}:U0USER"}
    assert await harness.core.quotas.report(GUEST) == rows  # `headshot-bot usage --workspace T0GUEST`
    assert f"slack:{GUEST}" in usage_table(rows)
    await guest_command(harness, "usage")
    await wait_for(lambda: harness.fake.responses)
    assert "This workspace used 2 of 40 this month (38 left)" in harness.fake.responses[0]["text"]
    await guest_command(harness, "")
    await wait_for(lambda: harness.fake.calls_to("views.open"))
    view = harness.fake.calls_to("views.open")[0].params["view"]
    [provider] = [b for b in view["blocks"] if b["block_id"] == "provider"]
    labels = {o["value"]: o["text"]["text"] for o in provider["element"]["options"]}
    assert labels["scripted"] == "Scripted — 38 left this month"
