"""The Home tab: `app_home_opened` answered with `views.publish`, at most about once a second per person.

Slack sends `app_home_opened` each time someone looks at the tab, and a client that reconnects
can send a burst. Each person has at most one publish in flight; opening the tab meanwhile asks
for one more afterwards, and publishes for one person are `MIN_INTERVAL_S` apart, so a storm of
events costs one or two publishes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from adapters.slack.campaigns import NEW_ACTION
from adapters.slack.context import ListenerContext
from adapters.slack.export import export_button
from adapters.slack.intake import owner_key, team_workspace
from adapters.slack.people import SlackAdminCheck
from adapters.slack.rosters import roster_blocks
from adapters.slack.text import escaped
from bot.home import HomePage, HomePages
from bot.i18n import t
from bot.ports import ThreadGone

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 1.0
MAX_BLOCKS = 100  # what Slack takes in one home view
MAX_TEXT = 2900  # a section's text holds 3,000 characters
REMEMBERED = 10_000  # people whose last publish time is kept

Key = tuple[str, str]  # (team, user)


def _section(text: str) -> dict[str, Any]:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _group(title: str, lines: list[str], empty: str) -> list[dict[str, Any]]:
    body = "\n".join(f"• {escaped(line)}" for line in lines) if lines else f"_{escaped(empty)}_"
    return [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}, _section(body)]


def home_view(page: HomePage, locale: str | None = None) -> dict[str, Any]:
    """The home view for one person, within Slack's 100 blocks."""
    blocks: list[dict[str, Any]] = [
        *_group(t(locale, "Your recent headshots"), page.jobs, t(locale, "No jobs yet: run /headshot to start one.")),
        *_group(t(locale, "Your favourites"), page.favourites, t(locale, "None picked yet.")),
        *_group(t(locale, "What is left of your allowance"), [page.allowance], ""),
        *_group(t(locale, "Your saved defaults"), [page.defaults], ""),
    ]
    if page.admin is not None:
        blocks.append({"type": "divider"})
        blocks += _group(
            t(locale, "This workspace (admins)"),
            [
                t(locale, "Brand kit: {kit}", kit=page.admin.kit),
                t(locale, "Kept: {keep}", keep=page.admin.keep),
            ],
            "",
        )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": escaped(t(locale, "Change the kit and the retention with /headshot admin.")),
                    }
                ],
            }
        )
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": t(locale, "Campaigns")}})
        none_yet = escaped(t(locale, "None yet."))
        blocks += roster_blocks(page.admin.rosters, locale) or [_section(f"_{none_yet}_")]
        blocks.append({"type": "actions", "block_id": "headshot_admin_actions", "elements": admin_buttons(locale)})
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def admin_buttons(locale: str | None) -> list[dict[str, Any]]:
    """What an admin can start from their Home tab."""
    start = {
        "type": "button",
        "action_id": NEW_ACTION,
        "text": {"type": "plain_text", "text": t(locale, "Start a campaign")},
    }
    return [start, export_button(locale)]


class HomeDebounce:
    """One publish per person in flight, one more if the tab was opened meanwhile, `interval_s` apart."""

    def __init__(
        self,
        publish: Callable[[str, str], Awaitable[None]],
        spawn: Callable[[Coroutine[Any, Any, None], str], None],
        *,
        interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self._spawn = spawn
        self._interval_s = interval_s
        self._clock = clock
        self._running: set[Key] = set()
        self._again: set[Key] = set()
        self._last: dict[Key, float] = {}

    def opened(self, team: str, user: str) -> None:
        """Someone looked at their Home tab."""
        key = (team, user)
        if key in self._running:
            self._again.add(key)
            return
        self._running.add(key)
        self._spawn(self._run(key), "slack-home")

    async def _run(self, key: Key) -> None:
        try:
            while True:
                wait = self._last.get(key, float("-inf")) + self._interval_s - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._again.discard(key)  # what arrived until now is answered by this publish
                self._last[key] = self._clock()
                await self._publish(*key)
                if key not in self._again:
                    return
        finally:
            self._running.discard(key)
            if len(self._last) > REMEMBERED:
                cutoff = self._clock() - self._interval_s
                self._last = {k: at for k, at in self._last.items() if at > cutoff}


def register_home(app: AsyncApp, shared: ListenerContext, pages: HomePages) -> HomeDebounce:
    """Attach the `app_home_opened` listener; returns its debounce (tests look at it)."""

    async def publish(team: str, user: str) -> None:
        try:
            admin = await SlackAdminCheck(shared.people, team, user).is_admin()
            page = await pages.page(owner_key(team, user), team_workspace(team), is_admin=admin)
            client = await shared.slack.workspaces.client(team)
            await client.views_publish(user_id=user, view=home_view(page))
        except ThreadGone:
            log.info("not publishing a home tab: the workspace is not installed")
        except SlackApiError as exc:
            log.warning("could not publish a home tab: %s", exc.response.get("error"))

    def spawn(work: Coroutine[Any, Any, None], name: str) -> None:
        shared.tasks.spawn(lambda _here: work, name)

    debounce = HomeDebounce(publish, spawn)
    shared.home = debounce

    async def opened(there: ListenerContext, team: str, user: str) -> None:
        if there.home is not None:
            there.home.opened(team, user)  # the debounce of the loop that publishes

    async def on_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        team, user = str(context.team_id or event.get("view", {}).get("team_id")), str(event["user"])
        shared.tasks.spawn(lambda there: opened(there, team, user), name="slack-home-opened")

    app.event("app_home_opened")(on_home_opened)
    return debounce
