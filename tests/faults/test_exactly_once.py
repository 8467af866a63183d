"""Nothing twice: duplicate callbacks, Slack's retry answers and restarts post each image once."""

from __future__ import annotations

import asyncio

from tests.faults.harness import BotProcess, Fakes, assert_each_once, callback_body, post_callback, wait_submissions

UPLOAD = "files.completeUploadExternal"


async def test_duplicate_callbacks_slack_retries_and_a_restart_post_each_image_once(
    bot: BotProcess, fakes: Fakes
) -> None:
    slack = fakes.slack
    slack.rate_limit_once.add(UPLOAD)  # the first post answers 429 with Retry-After...
    slack.server_error_once.add(UPLOAD)  # ...the next one 503, before Slack did anything
    slack.rate_limit_once |= {"chat.postMessage", "files.getUploadURLExternal"}
    slack.server_error_once.add("chat.update")
    await bot.start()
    assert (await bot.request_job("runflow")).status == 200
    sub = await wait_submissions(fakes, 1)
    body = callback_body(sub, fakes.pack_urls())
    answers = await asyncio.gather(*(post_callback(sub.callback_url, body) for _ in range(3)))
    assert sorted(str(a) for a in answers) == sorted(
        [str((200, {"status": "accepted"}))] + [str((200, {"status": "duplicate"}))] * 2
    )
    [status] = await bot.ended(timeout=60)
    assert_each_once(bot, status, fakes.pack, sheet=True)
    assert not slack.rate_limit_once and not slack.server_error_once, "the faults were not exercised"

    bot.stop()
    await bot.start()
    assert await post_callback(sub.callback_url, body) == (200, {"status": "duplicate"})
    await asyncio.sleep(1.0)  # give a wrongly resumed delivery the time to show itself
    assert_each_once(bot, bot.statuses()[0], fakes.pack, sheet=True)


async def test_a_post_that_slack_made_but_answered_503_is_not_made_again(bot: BotProcess, fakes: Fakes) -> None:
    fakes.slack.commit_then_fail.add(UPLOAD)
    await bot.start()
    assert (await bot.request_job("agentai", count="4")).status == 200
    [status] = await bot.ended(timeout=60)
    assert_each_once(bot, status, fakes.agentai.expected_images(4), sheet=False)
    assert not fakes.slack.commit_then_fail, "the fault was not exercised"
