"""Submitted modals: validated before the acknowledgement, worked on after it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from adapters.slack.files import SlackFile
from adapters.slack.intake import Origin
from adapters.slack.modals import (
    PHOTOS_BLOCK,
    PROVIDER_BLOCK,
    REQUEST_CALLBACK,
    SETTINGS_CALLBACK,
    Submission,
    decode_metadata,
    read_state,
)
from adapters.slack.runtime import Runtime
from bot.errors import UserError
from bot.options import OptionError, Options
from bot.photos import Photo
from bot.service import HeadshotService

# Stands in for photos not downloaded yet: the request checks only count them.
_PLACEHOLDER = Photo(data=b"", width=0, height=0)


def _option_block(error: OptionError, values: dict[str, str]) -> str:
    """The block whose value an option error is about (its message names the option)."""
    message = str(error).lower()
    return next((name for name in values if name.replace("_", " ") in message), PROVIDER_BLOCK)


def check_submission(
    service: HeadshotService, submission: Submission, photo_count: int, *, photos_block: str
) -> tuple[Options, str, dict[str, str]]:
    """Options and provider from a modal, and per-block error messages (empty when all is well)."""
    provider = submission.provider or service.default_provider
    try:
        options = Options.from_dict(submission.values)
    except OptionError as exc:
        return Options(), provider, {_option_block(exc, submission.values): str(exc)}
    capabilities = service.capabilities(provider)
    if capabilities is None:
        return options, provider, {PROVIDER_BLOCK: f"“{provider}” is not available any more; please choose another."}
    placeholders = [_PLACEHOLDER] * photo_count
    try:  # first with the smallest count: a refusal here is about the photos or the provider
        service.build_request(placeholders, Options(), provider)
    except UserError as exc:
        fits = capabilities.min_photos <= photo_count and (
            capabilities.max_photos is None or photo_count <= capabilities.max_photos
        )
        return options, provider, {PROVIDER_BLOCK if fits and photo_count else photos_block: str(exc)}
    try:
        service.build_request(placeholders, options, provider)
    except UserError as exc:
        return options, provider, {"count": str(exc)}
    return options, provider, {}


def register_submissions(app: AsyncApp, runtime: Runtime) -> None:
    """Attach the request and settings modal handlers to the Bolt app."""
    service = runtime.service

    async def on_request(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        metadata = decode_metadata(view)
        submission = read_state(view)
        from_message = metadata.get("files") is not None
        files: list[SlackFile] = (
            [{"id": f.get("id", ""), "name": f.get("name") or "photo", "url_private_download": f.get("url") or ""}
             for f in metadata["files"]]
            if from_message else submission.files
        )
        origin = Origin(
            team=str((body.get("team") or {}).get("id") or body["user"].get("team_id")),
            user=str(body["user"]["id"]),
            channel=str(metadata.get("channel") or ""),
            thread_ts=metadata.get("thread_ts"),
            workspace=context.team_id,
        )
        # A message's photos have no upload block to point at: its errors go on the provider select.
        target = PROVIDER_BLOCK if from_message else PHOTOS_BLOCK
        options, provider, errors = check_submission(service, submission, len(files), photos_block=target)
        if not errors:
            try:
                await service.check_room(origin.owner)
            except UserError as exc:
                errors = {target: str(exc)}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        runtime.tasks.spawn(runtime.intake.start_job(origin, files, options, provider), name="slack-request")
        await ack()

    async def on_settings(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        submission = read_state(view)
        provider, errors = submission.provider, {}
        try:
            options = Options.from_dict(submission.values)
        except OptionError as exc:
            errors = {_option_block(exc, submission.values): str(exc)}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        origin = Origin(
            team=str((body.get("team") or {}).get("id") or body["user"].get("team_id")),
            user=str(body["user"]["id"]),
            channel=str(decode_metadata(view).get("channel") or ""),
            workspace=context.team_id,
        )

        async def save() -> None:
            try:
                await service.save_defaults(origin.owner, options, provider)
            except UserError as exc:
                await runtime.intake.tell(origin, str(exc))
                return
            summary = ", ".join(str(v) for k, v in options.to_dict().items() if k != "prompt" and v != "")
            chosen = provider or service.default_provider
            await runtime.intake.tell(origin, f"Saved your defaults: {chosen}, {summary}.")

        runtime.tasks.spawn(save(), name="slack-settings")
        await ack()

    app.view(REQUEST_CALLBACK)(on_request)
    app.view(SETTINGS_CALLBACK)(on_settings)
