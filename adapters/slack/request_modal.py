"""Opening the request modal: the same way for the command, the shortcut and a campaign's invitation."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.context import ListenerContext
from adapters.slack.intake import Origin
from adapters.slack.modals import request_view


async def open_request_modal(
    shared: ListenerContext,
    client: AsyncWebClient,
    trigger_id: str,
    origin: Origin,
    metadata: dict[str, Any],
    photos: int = 0,
) -> None:
    """The request modal in the person's language, on their defaults within the workspace's brand kit: the
    one way every entry point (the command, the shortcut, a campaign's invitation) opens it."""
    service = shared.service
    owner, locale, workspace = origin.owner, origin.locale, origin.quota_workspace
    (options, provider), choices, kit = await asyncio.gather(
        service.defaults(owner),
        service.choices(owner, workspace, locale),
        service.brand_kit(owner, workspace),
    )
    view = request_view(
        choices, kit.fit(options, ()), provider, {**metadata, "locale": locale}, upload=photos == 0,
        photo_count=photos, locale=locale, kit=kit,
    )
    await client.views_open(trigger_id=trigger_id, view=view)
