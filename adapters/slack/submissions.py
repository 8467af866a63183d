"""Submitted modals: checked before the acknowledgement, worked on after it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from adapters.slack.context import ListenerContext
from adapters.slack.files import SlackFile, declared_not_photos
from adapters.slack.intake import Origin
from adapters.slack.mentions import SEEN_FOR_S
from adapters.slack.modals import (
    PHOTOS_BLOCK,
    PROVIDER_BLOCK,
    REQUEST_CALLBACK,
    SETTINGS_CALLBACK,
    decode_metadata,
    read_state,
)
from bot.errors import UserError
from bot.i18n import t
from bot.jobs import PendingIntake
from bot.labels import defaults_line
from bot.options import OptionError, Options
from bot.request import Field, Problem
from bot.work_queue import BUSY

log = logging.getLogger(__name__)


def problem_blocks(problems: Sequence[Problem], *, photos_block: str, locale: str | None = None) -> dict[str, str]:
    """`response_action: errors` for a modal: each problem on the block of its field (the first per block),
    in the reader's language."""
    errors: dict[str, str] = {}
    for problem in problems:
        if problem.field in (Field.PHOTOS, Field.LIMIT):
            block = photos_block
        elif problem.field is Field.PROVIDER:
            block = PROVIDER_BLOCK
        else:
            block = problem.field.value  # each option's block is named after it
        if block not in errors:
            errors[block] = problem.say(locale)
    return errors


async def noted(shared: ListenerContext, origin: Origin) -> PendingIntake | None:
    """The request's note in the intake log; None when the store would not take it (the work behind the
    answer then writes it, as it begins)."""
    try:
        return await shared.intake.note(origin.owner, shared.slack.surface.name, origin.to_json(), origin.locale)
    except Exception as exc:
        log.warning("could not write a request down before answering it: %s", type(exc).__name__)
        return None


def _origin(body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext, **where: Any) -> Origin:
    return Origin.of_view(body, decode_metadata(view), context.team_id, **where)


def register_submissions(app: AsyncApp, shared: ListenerContext) -> None:
    """Attach the request and settings modal handlers to the Bolt app."""

    async def on_request(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        metadata = decode_metadata(view)
        submission = read_state(view)
        from_message = metadata.get("files") is not None
        files: list[SlackFile] = (
            [{"id": f.get("id", ""), "name": f.get("name") or "photo", "url_private_download": f.get("url") or ""}
             for f in metadata["files"]]
            if from_message else submission.files
        )
        origin = _origin(body, view, context, thread_ts=metadata.get("thread_ts"))
        _options, provider, problems = await shared.intake.check(
            origin.owner, len(files), submission.values, submission.provider, origin.quota_workspace
        )
        if not from_message and (not_photos := declared_not_photos(files)) is not None:
            problems = [Problem(Field.PHOTOS, not_photos), *problems]  # closing the modal would only hide it
        # A message's photos have no upload block to point at: their problems go on the provider select.
        target = PROVIDER_BLOCK if from_message else PHOTOS_BLOCK
        if problems:
            await ack(response_action="errors", errors=problem_blocks(problems, photos_block=target,
                                                                      locale=origin.locale))
            return
        if not shared.tasks.has_room():  # the modal stays open, filled in, to be sent again
            await ack(response_action="errors", errors={target: BUSY.say(origin.locale)})
            return
        # Only an accepted submission counts: after errors the same view (id and hash) is sent again, fixed.
        # The store remembers it, so a replay reaching another replica is recognised too; the answer is
        # the same either way, so the store is asked behind it.
        seen_as, values = f"slack view {view.get('id')} {view.get('hash')}", submission.values
        # Written down before the answer: a process killed before the work behind it starts leaves a note,
        # and the next start tells the person.
        taken = await noted(shared, origin)

        async def start(there: ListenerContext) -> None:
            if not await there.service.first_sighting(seen_as, SEEN_FOR_S):
                log.info("a view submission came again (a retry or a replay); it was already taken on")
                await there.intake.cross_off(taken)
                return
            await there.slack.start_job(origin, files, values, provider, taken=taken)

        shared.tasks.spawn(start, name="slack-request")
        await ack()

    async def on_settings(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        submission = read_state(view)
        provider = submission.provider
        origin = _origin(body, view, context)
        try:
            options = Options.from_dict(submission.values)
        except OptionError as exc:
            await ack(response_action="errors", errors={exc.option: exc.say(origin.locale)})
            return

        if not shared.tasks.has_room():
            await ack(response_action="errors", errors={PROVIDER_BLOCK: BUSY.say(origin.locale)})
            return

        async def save(there: ListenerContext) -> None:
            service = there.service
            try:
                await service.save_defaults(origin.owner, options, provider)
            except UserError as exc:
                await there.slack.tell(origin, exc.say(origin.locale))
                return
            chosen = provider or service.default_provider
            label_of = next((p.capabilities.label for p in service.providers if p.name == chosen), chosen)
            summary = defaults_line(origin.locale, options, label_of)
            await there.slack.tell(origin, t(origin.locale, "Saved your defaults: {summary}.", summary=summary))

        shared.tasks.spawn(save, name="slack-settings")
        await ack()

    app.view(REQUEST_CALLBACK)(on_request)
    app.view(SETTINGS_CALLBACK)(on_settings)
