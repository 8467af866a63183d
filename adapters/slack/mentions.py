"""Mentions of the bot in a message with photos: `@Headshots executive office 3:4 x4`.

Slack sends such a message both as `app_mention` and (with the channel history scopes) as a
`message` with subtype `file_share`; `app_mention` sometimes lacks the files. Whichever
arrives first handles the message, looking its files up when the event has none. In a direct
message with the bot there is no `app_mention`: every message there is for the bot.

The attachments are looked at first: no files, and the person hears how to send some; that is
the only refusal. Then the words, which people write as sentences ("make me look sharp for the
website, executive please"): the options among them are used, every other word is passed over,
and a word that looks like a misspelt option is left out and named on the status message.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.context import ListenerContext
from adapters.slack.files import SlackFile, is_image_file
from adapters.slack.intake import Origin
from adapters.slack.text import escaped
from bot.i18n import t, tn
from bot.options import ParsedWords, option_words, parse_option_words
from bot.work_queue import BUSY

# Slack's entities (<@U…>, <#C…|name>, <https://…|label>, <!here>): names and links, never options.
_ENTITY = re.compile(r"<[^<>]*>")
_EMOJI = re.compile(r":[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:")  # :camera_with_flash:, :+1:
_MARKS = str.maketrans({"*": " ", "~": " ", "`": " "})  # bold, strike, code; _italic_ ends at word edges
SEEN_FOR_S = 3600.0  # Slack gives up retrying an event (and a signature expires) well within this


def mention_words(text: str) -> list[str]:
    """The words of a message as its writer wrote them: Slack's mentions, channel names, links and
    emoji codes taken out, its escapes and formatting marks undone."""
    plain = _EMOJI.sub(" ", _ENTITY.sub(" ", text))
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").translate(_MARKS)
    return option_words(plain)


def read_mention(text: str, providers: list[str]) -> ParsedWords:
    """The options a message's text asks for, and the words in it that look like misspelt options."""
    return parse_option_words(mention_words(text), providers)


def no_photos(locale: str | None) -> str:
    """The answer to a mention without photos."""
    return t(
        locale, "I make headshots from photos: mention me in a message with one or more portrait photos attached, "
        "optionally with options as words (`@Headshots executive office 3:4 x4`), or run `/headshot`.",
    )


def guess_note(guessed: list[tuple[str, str]], shown: int = 3, locale: str | None = None) -> str | None:
    """The status's standing line for words left out as misspelt options, with what each may have meant
    (a few of them: it is a hint, not a report)."""
    if not guessed:
        return None
    parts = ", ".join(
        t(locale, "“{word}” (did you mean {guess}?)", word=escaped(word[:40]), guess=guess.replace("_", " "))
        for word, guess in guessed[:shown]
    )
    if len(guessed) > shown:
        return tn(locale, "I left out {words} and {n} more word.", "I left out {words} and {n} more words.",
                  len(guessed) - shown, words=parts)
    return t(locale, "I left out {words}.", words=parts)


def _origin(body: dict[str, Any], event: dict[str, Any], team: str | None, *, errors_in_thread: bool) -> Origin:
    ts = str(event.get("ts"))
    return Origin(
        team=str(body.get("team_id") or event.get("team")),
        user=str(event.get("user")),
        channel=str(event.get("channel")),
        thread_ts=str(event.get("thread_ts") or ts),
        errors_in_thread=errors_in_thread,
        installation_team=team,
    )


def register_mentions(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the `app_mention` and `message` (file share) listeners."""

    async def on_mention(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        take_on(body, event, context)

    async def on_message(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        mentioned = context.bot_user_id and f"<@{context.bot_user_id}>" in str(event.get("text") or "")
        in_dm = event.get("channel_type") == "im" and event.get("subtype") in (None, "file_share")
        if (event.get("subtype") == "file_share" and mentioned) or in_dm:
            take_on(body, event, context)

    def take_on(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        # Plain values only: the work may run on another loop, with clients of its own.
        team, bot_user, token = context.team_id, context.bot_user_id, context.bot_token
        if shared.tasks.has_room():
            shared.tasks.spawn(lambda there: handle(there, body, event, team, bot_user, token), name="slack-mention")
        else:
            shared.tasks.spawn(lambda there: too_busy(there, body, event, team), name="slack-busy")

    async def too_busy(there: ListenerContext, body: dict[str, Any], event: dict[str, Any], team: str | None) -> None:
        origin = _origin(body, event, team, errors_in_thread=True)
        await there.slack.tell(origin, BUSY.say(there.slack.locales.cached(origin.installed_team, origin.user)))

    async def handle(
        there: ListenerContext, body: dict[str, Any], event: dict[str, Any], team: str | None, bot_user: str | None,
        token: str | None,
    ) -> None:
        channel, ts = str(event.get("channel")), str(event.get("ts"))
        if not event.get("user") or event.get("bot_id") or event.get("user") == bot_user:
            return  # the bot's own messages (its status in a direct message, say)
        # Retries and the two events of one message may reach different processes: the store decides.
        if not await there.service.first_sighting(f"slack message {channel} {ts}", SEEN_FOR_S):
            return
        parsed = read_mention(str(event.get("text") or ""), [p.name for p in there.service.providers])
        # Who asks privately is answered privately.
        origin = _origin(body, event, team, errors_in_thread=parsed.values.get("private") != "private")
        client = await there.slack.workspaces.for_request(token, origin.installed_team)
        origin = await there.slack.with_locale(origin, client)
        locale = origin.locale
        files = event.get("files") or await message_files(client, channel, ts, event.get("thread_ts"))
        if not files:
            await there.slack.tell(origin, no_photos(locale))
            return
        # Files described as something else are read too when nothing else came: the bytes then say why.
        photos: list[SlackFile] = [f for f in files if is_image_file(f)] or list(files)
        note = guess_note(parsed.guessed, locale=locale)
        await there.slack.start_job(origin, photos, parsed.values, parsed.provider, note=note)

    app.event("app_mention")(on_mention)
    app.event("message")(on_message)


async def message_files(client: AsyncWebClient, channel: str, ts: str, thread_ts: str | None) -> list[SlackFile]:
    """The files of a message, read back from the conversation (for events that arrive without them)."""
    try:
        if thread_ts and thread_ts != ts:
            page = await client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        else:
            page = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    except SlackApiError:
        return []
    for message in page.get("messages") or []:
        if message.get("ts") == ts:
            return list(message.get("files") or [])
    return []
