"""Presses on the picks of delivered headshots on Slack (`adapters.slack.pick_blocks`), and the
`/headshot favourites` listing.

A press is acknowledged at once; the check and the work happen after, and the answer is an
ephemeral message where the button was, to the presser alone. The core decides who may pick what.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from adapters.slack.context import ListenerContext
from adapters.slack.intake import owner_key
from adapters.slack.pick_blocks import PICK_ACTION, UNFAVOURITE, PickPress, pick_value, read_pick
from adapters.slack.profile_photo import PrivateReply, SlackProfilePhotos
from adapters.slack.text import escaped
from bot.buttons import PickKind
from bot.errors import UserError
from bot.i18n import t
from bot.picks import HeadshotPicks, ListedFavourite

log = logging.getLogger(__name__)

MAX_OPTION_TEXT = 75


class SlackPicks:
    """What Slack does with a pick: favourites in the core, profile photos with the person's token."""

    def __init__(self, picks: HeadshotPicks, photos: SlackProfilePhotos | None) -> None:
        self.picks = picks
        self.photos = photos

    async def answer(self, pressed: PickPress, team: str, user: str, locale: str | None) -> PrivateReply:
        """The reply to a press, after doing what it asks (raises `UserError` for a refusal)."""
        if pressed.action == PickKind.PROFILE_PHOTO and self.photos is None:
            return PrivateReply(t(locale, "Setting Slack photos is not switched on for this bot."))
        picked = await self.picks.pick(pressed.job_id, pressed.number, owner_key(team, user), locale)
        if pressed.action == PickKind.PROFILE_PHOTO:
            assert self.photos is not None
            return await self.photos.set_photo(self.picks, picked, team, user, locale)
        if pressed.action == UNFAVOURITE:
            await self.picks.unmark(picked)
            marked = False
        else:
            marked = await self.picks.toggle_favourite(picked)
        if marked:
            return PrivateReply(t(locale, "★ Headshot #{number} is one of your favourites now; "
                                          "`/headshot favourites` lists them all.", number=picked.number))
        return PrivateReply(t(locale, "Headshot #{number} is no longer one of your favourites.", number=picked.number))

    async def listing(self, team: str, user: str, locale: str | None) -> PrivateReply:
        """`/headshot favourites`: each favourite with its number and its gallery link, and a menu to unmark."""
        listed = await self.picks.listed(owner_key(team, user))
        if not listed:
            return PrivateReply(t(locale, "You have no favourites yet. Press ★ under your headshots to mark one."))
        lines = [_line(entry, locale) for entry in listed]
        text = t(locale, "*Your favourites*") + "\n" + "\n".join(lines)
        options = [
            {"text": {"type": "plain_text", "text": _short(entry, locale)[:MAX_OPTION_TEXT]},
             "value": pick_value(entry.job.id, entry.number)}
            for entry in listed
        ]
        menu = {
            "type": "static_select", "action_id": f"headshot_{UNFAVOURITE}", "options": options,
            "placeholder": {"type": "plain_text", "text": t(locale, "Take one off your favourites")},
        }
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
            {"type": "actions", "elements": [menu]},
        ]
        return PrivateReply(text, blocks)


def _short(entry: ListedFavourite, locale: str | None) -> str:
    when = datetime.fromtimestamp(entry.job.created_at, UTC)
    return t(locale, "#{number} of job {job} ({day})", number=entry.number, job=entry.job.short_id,
             day=f"{when.day} {when:%b %Y}")


def _line(entry: ListedFavourite, locale: str | None) -> str:
    words = escaped(_short(entry, locale))
    return f"• ★ <{entry.link}|{words}>" if entry.link else f"• ★ {words}"


def register_picks(app: AsyncApp, shared: ListenerContext, picks: SlackPicks) -> None:
    """Attach the picks' action listener."""

    async def on_pick(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        pressed = read_pick(action)  # a malformed one is refused (400)
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id"))  # as the follow-ups read it
        user = str(body["user"]["id"])
        await ack()  # within Slack's three seconds; everything else happens after
        shared.tasks.spawn(lambda there: handle(there, pressed, team, user, respond), name="slack-pick")

    async def handle(there: ListenerContext, pressed: PickPress, team: str, user: str, respond: AsyncRespond) -> None:
        locale = None  # Slack's users.info locale is not read yet
        try:
            reply = await (there.picks or picks).answer(pressed, team, user, locale)
        except UserError as exc:
            reply = PrivateReply(str(exc))
        except Exception:
            log.exception("a pick could not be carried out")
            reply = PrivateReply(t(locale, "Something went wrong on my side; please try again in a minute."))
        await answer_privately(respond, reply)

    app.action(PICK_ACTION)(on_pick)


async def answer_privately(respond: AsyncRespond | Callable[..., Awaitable[Any]], reply: PrivateReply) -> None:
    """An ephemeral answer to the person, where they pressed or typed."""
    try:
        await respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral",
                      replace_original=False)
    except Exception as exc:  # the response URL expired or Slack is away: nothing else can reach them here
        log.warning("could not answer a pick: %s", type(exc).__name__)
