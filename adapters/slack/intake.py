"""From Slack files and chosen options to an accepted job, with a status message to follow it.

Everything here runs after Slack has been acknowledged, so it may take its time; every
refusal ends as a message to the user (ephemeral, or in the thread for mentions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.files import SlackFile, SlackFileTransfer, file_url, hidden_by_limit, needs_file_info
from adapters.slack.locales import UserLocales
from adapters.slack.status_lookup import StatusMetadata, status_metadata
from adapters.slack.surface import SlackAddress
from adapters.slack.text import escaped, message_text
from bot.errors import UserError
from bot.i18n import phrase, t, tn
from bot.intake import START_FAILED, Ask, JobIntake
from bot.jobs import JSONValue, PendingIntake, ThreadAddress
from bot.ports import ChatSurface, DirectMessagesClosed, ThreadGone
from bot.quota_guard import QuotaExceeded

if TYPE_CHECKING:
    from adapters.slack.consent import Answered, SlackConsent
    from adapters.slack.workspaces import Workspaces

log = logging.getLogger(__name__)

HELD_JOB = "job"  # a request held for consent that `start_job` runs again
# Answers to chat.postMessage that mean "not here": try joining, else deliver by direct message.
_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


def owner_key(team: str, user: str) -> str:
    """The core's owner key for a Slack user."""
    return f"slack:{team}:{user}"


def team_workspace(team: str) -> str:
    """The core's name for the Slack team a request was made in: the place whose allowance it counts
    against (its direct messages count there too). In an org-wide installation each team of the
    organisation is a place of its own."""
    return f"slack:{team}"


@dataclass(frozen=True)
class Origin:
    """Who asked, where, and which thread should receive the results.

    `team` is the team the request was made in (the body's `team_id`, or the user's `team_id`):
    the person's owner key and the quota workspace both come from it. `installation_team` is the
    team whose installation received the request (Bolt's `context.team_id`); it differs from
    `team` in channels shared between organisations and in an org-wide installation, and only
    chooses the token. `thread_ts` is the message whose thread gets the results (a shortcut's or
    mention's message); None means a new status message in the channel starts the thread.
    `errors_in_thread` sends refusals as thread replies (mentions are public anyway) instead of
    ephemeral messages. `locale` is the user's language (`users.info`), which everything for this
    request speaks.
    """

    team: str
    user: str
    channel: str
    thread_ts: str | None = None
    errors_in_thread: bool = False
    installation_team: str | None = None
    locale: str | None = None

    @property
    def installed_team(self) -> str:
        """The team whose token answers this request."""
        return self.installation_team or self.team

    def to_json(self) -> ThreadAddress:
        """The origin as the core keeps it (the reply address of a request being taken on)."""
        return {"team": self.team, "user": self.user, "channel": self.channel, "thread_ts": self.thread_ts,
                "errors_in_thread": self.errors_in_thread, "installation_team": self.installation_team,
                "locale": self.locale}

    @classmethod
    def from_json(cls, stored: ThreadAddress) -> Origin:
        """The origin read back (older records named the installation's team `workspace`)."""
        thread_ts, locale = stored.get("thread_ts"), stored.get("locale")
        installation = stored.get("installation_team") or stored.get("workspace")
        return cls(
            team=str(stored["team"]), user=str(stored["user"]), channel=str(stored["channel"]),
            thread_ts=str(thread_ts) if thread_ts else None, errors_in_thread=bool(stored.get("errors_in_thread")),
            installation_team=str(installation) if installation else None, locale=str(locale) if locale else None,
        )

    @classmethod
    def of_view(
        cls, body: Mapping[str, Any], metadata: Mapping[str, Any], installation_team: str | None, **where: Any
    ) -> Origin:
        """Who submitted a modal, and where it was opened (its `private_metadata`, decoded): the
        channel, and the language the modal was opened in."""
        locale = metadata.get("locale")
        return cls(
            team=str((body.get("team") or {}).get("id") or body["user"].get("team_id")),
            user=str(body["user"]["id"]),
            channel=str(metadata.get("channel") or ""),
            installation_team=installation_team,
            locale=str(locale) if locale else None,
            **where,
        )

    @property
    def owner(self) -> str:
        """The core's owner key."""
        return owner_key(self.team, self.user)

    @property
    def quota_workspace(self) -> str:
        """The place the request counts against: the team it was made in, never the installation's."""
        return team_workspace(self.team)


class SlackIntake:
    """Slack's side of the core's intake: Slack files become bytes, and a status message becomes the thread."""

    def __init__(
        self,
        intake: JobIntake,
        workspaces: Workspaces,
        transfer: SlackFileTransfer,
        surface: ChatSurface,
        consent: SlackConsent,
    ) -> None:
        self.intake = intake
        self.workspaces = workspaces
        self.transfer = transfer
        self.surface = surface
        self.locales = UserLocales(workspaces.client)
        self.consent = consent
        consent.resumers[HELD_JOB] = self._resume

    async def with_locale(self, origin: Origin, client: AsyncWebClient | None = None) -> Origin:
        """The origin with its user's language (asked of Slack once per user, then kept; `client` is the
        request's own, when there is one)."""
        if origin.locale is not None:
            return origin
        return replace(origin, locale=await self.locales.of(origin.installed_team, origin.user, client))

    async def start_job(
        self,
        origin: Origin,
        files: list[SlackFile],
        values: Mapping[str, object],
        provider: str | None,
        *,
        note: str | None = None,
        taken: PendingIntake | None = None,
    ) -> None:
        """Make a job of the files and explicit options, or tell the user why not; `note` (Slack text,
        already escaped) stays above the job's status; `taken`, the request's note in the intake log when
        it was written before the acknowledgement. Someone who has not agreed to the consent terms is asked
        first, and nothing is fetched: the request waits for their answer."""
        started = False
        try:
            origin = await self.with_locale(origin)
            if not await self.consent.admits(origin.owner, origin.quota_workspace):
                await self.consent.ask_where(
                    origin, HELD_JOB, _held(origin, files, values, provider, note), locale=origin.locale
                )
                return
            ask = Ask(owner=origin.owner, values=values, provider=provider, workspace=origin.quota_workspace,
                      locale=origin.locale)
            photos, status = _SlackPhotos(self, origin, files), _StatusInChannel(self, origin, note)
            started = True
            await self.intake.start(ask, photos, status, self.surface, reply=origin.to_json(), taken=taken)
        except ThreadGone:
            log.info("a Slack request was dropped: its workspace is not installed any more")
        except QuotaExceeded as exc:  # a shortcut's refusal goes in the thread of its message, like a mention's
            await self.tell(replace(origin, errors_in_thread=origin.thread_ts is not None), exc.say(origin.locale))
        except UserError as exc:
            await self.tell(origin, exc.say(origin.locale), privately=isinstance(exc, DirectMessagesClosed))
        except Exception:
            log.exception("a Slack request could not be started")
            await self.tell(origin, START_FAILED.say(origin.locale))
        finally:
            if not started:  # asked to agree first, or stopped before: the note has done its part
                await self.intake.cross_off(taken)

    async def _resume(self, held: Mapping[str, JSONValue], _answered: Answered) -> None:
        """A request held for its person's consent, run now that they agreed."""
        files = cast(list[SlackFile], held.get("files") or [])
        values = cast(dict[str, object], held.get("values") or {})
        provider, note = held.get("provider"), held.get("note")
        await self.start_job(
            Origin.from_json(cast(ThreadAddress, held["origin"])), files, values,
            str(provider) if provider else None, note=str(note) if note else None,
        )

    async def fetch_photos(self, origin: Origin, files: list[SlackFile]) -> list[tuple[str, bytes]]:
        """Download every file (concurrently) with the token of the origin's workspace; raises
        `UserError` for the first that cannot be fetched."""
        client = await self.workspaces.client(origin.installed_team)
        return list(await asyncio.gather(*(self._download(client, f) for f in files)))

    async def _download(self, client: AsyncWebClient, file: SlackFile) -> tuple[str, bytes]:
        name = file.get("name") or file.get("title") or "photo"
        if (hidden := hidden_by_limit(file, name)) is not None:
            raise hidden
        url = file_url(file)
        if needs_file_info(file) and file.get("id"):
            try:
                info = await client.files_info(file=file["id"])
            except SlackApiError as exc:
                raise UserError(phrase(
                    "I couldn't look up {name} on Slack ({error}).", name=name, error=exc.response.get("error")
                )) from None
            details = cast(SlackFile, info.get("file") or {})
            name = details.get("name") or details.get("title") or name
            if (hidden := hidden_by_limit(details, name)) is not None:
                raise hidden
            url = file_url(details) or url
        if url is None:
            raise UserError(
                phrase("Slack did not give me a way to download {name}; please upload it again.", name=name)
            )
        return name, await self.transfer.download(name, url, str(client.token))

    async def post_status(
        self, origin: Origin, text: str, note: str | None = None, intake_id: str | None = None
    ) -> SlackAddress:
        """Post the status message where the request came from; join or fall back to a DM if needed.

        `note` (Slack text, already escaped) is a standing line kept above the status; `intake_id`
        goes into the message's metadata, to find it again after a crash.
        """
        client = await self.workspaces.client(origin.installed_team)
        text = message_text(text)
        shown = f"{note}\n{text}" if note else text
        post = partial(self._post_status_in, client, origin, metadata=status_metadata(intake_id))
        try:
            thread = await post(origin.channel, origin.thread_ts, shown)
            return replace(thread, note=note)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error not in _CANNOT_POST:
                raise
        if error == "not_in_channel":
            try:
                await client.conversations_join(channel=origin.channel)
                thread = await post(origin.channel, origin.thread_ts, shown)
                return replace(thread, note=note)
            except SlackApiError as exc:
                log.info("could not join %s: %s", origin.channel, exc.response.get("error"))
        dm = await self.open_dm(client, origin.user)
        elsewhere = escaped(t(
            origin.locale, "I can't post in {channel} (it's private or I'm not a member — add me with "
            "`/invite @Headshots`), so your headshots will arrive here.", channel="\0",
        )).replace("\0", f"<#{escaped(origin.channel)}>")
        note = f"{elsewhere}\n{note}" if note else elsewhere
        thread = await post(dm, None, f"{note}\n{text}")
        return replace(thread, note=note)

    async def post_status_privately(
        self, origin: Origin, text: str, note: str | None = None, intake_id: str | None = None
    ) -> SlackAddress:
        """Post the status message in the person's direct messages with the bot (`note` above it, as in
        `post_status`), and tell them so where they asked; raises `DirectMessagesClosed` (nothing posted
        anywhere) when that conversation cannot be opened."""
        client = await self.workspaces.client(origin.installed_team)
        text = message_text(text)
        shown = f"{note}\n{text}" if note else text
        try:
            dm = await self.open_dm(client, origin.user)
            posted = await self._post_status_in(client, origin, dm, None, shown, metadata=status_metadata(intake_id))
            thread = replace(posted, note=note)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.info("could not open a direct message for a private request: %s", error)
            raise DirectMessagesClosed(phrase(
                "I couldn't open a direct message with you ({error}), so I didn't start the job and posted "
                "nothing in the channel.", error=error,
            )) from None
        arriving = t(origin.locale, "🔒 Your headshots will arrive in our direct messages.")
        await self.tell(origin, arriving, privately=True)
        return thread

    async def _post_status_in(
        self, client: AsyncWebClient, origin: Origin, channel: str, thread_ts: str | None, text: str, *,
        metadata: StatusMetadata | None,
    ) -> SlackAddress:
        answer = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, metadata=cast(dict[str, Any] | None, metadata)
        )
        ts = str(answer["ts"])
        channel = str(answer.get("channel") or channel)
        return SlackAddress(channel=channel, thread_ts=thread_ts or ts, status_ts=ts, team=origin.installed_team)

    async def open_dm(self, client: AsyncWebClient, user: str) -> str:
        """The bot's direct message conversation with `user`."""
        answer = await client.conversations_open(users=user)
        return str(answer["channel"]["id"])

    async def tell(self, origin: Origin, text: str, *, privately: bool = False) -> None:
        """Tell the user something: a thread reply for mentions, else (or `privately`) ephemeral, or a DM
        when that fails."""
        text = message_text(text)
        try:
            client = await self.workspaces.client(origin.installed_team)
            if origin.errors_in_thread and not privately:
                await client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts, text=text)
                return
            try:
                await client.chat_postEphemeral(channel=origin.channel, user=origin.user, text=text)
            except SlackApiError:
                await client.chat_postMessage(channel=await self.open_dm(client, origin.user), text=text)
        except ThreadGone:
            log.info("not telling a user anything: the workspace is not installed")
        except SlackApiError as exc:
            log.warning("could not tell a user why: %s", exc.response.get("error"))  # the text may echo theirs



def _held(
    origin: Origin, files: list[SlackFile], values: Mapping[str, object], provider: str | None, note: str | None
) -> dict[str, JSONValue]:
    """A request as it is held for consent: where it came from, its files' descriptions, its words."""
    return {"origin": dict(origin.to_json()), "files": [_held_file(f) for f in files],
            "values": {k: _held_value(v) for k, v in values.items()}, "provider": provider, "note": note}


def _held_file(file: SlackFile) -> dict[str, JSONValue]:
    """What of a file's description a held request keeps: what downloading it later needs, never its bytes."""
    return {key: cast(JSONValue, value) for key, value in file.items() if key in SlackFile.__annotations__}


def _held_value(value: object) -> JSONValue:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


@dataclass(frozen=True)
class _SlackPhotos:
    """`bot.ports.PhotoFetcher` for files shared on Slack."""

    slack: SlackIntake
    origin: Origin
    files: list[SlackFile]

    async def fetch(self) -> list[tuple[str, bytes]]:
        return await self.slack.fetch_photos(self.origin, self.files)


@dataclass(frozen=True)
class _StatusInChannel:
    """`bot.ports.StatusOpener`: the status message where the request came from (or in a DM)."""

    slack: SlackIntake
    origin: Origin
    note: str | None = None

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        text = tn(self.origin.locale, "⏳ Got 1 photo; starting on your headshots…",
                  "⏳ Got {n} photos; starting on your headshots…", photo_count)
        if private:
            return (await self.slack.post_status_privately(self.origin, text, self.note, intake_id)).to_json()
        try:
            thread = await self.slack.post_status(self.origin, text, self.note, intake_id)
        except SlackApiError as exc:
            log.warning("could not post a status message: %s", exc.response.get("error"))
            raise UserError(phrase("I couldn't post in this conversation, so I didn't start the job.")) from None
        return thread.to_json()
