"""Opening the request modal: the same way for the command, the shortcut and a campaign's invitation."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.context import ListenerContext
from adapters.slack.intake import owner_key, workspace_key
from adapters.slack.modals import request_view


async def open_request_modal(
    shared: ListenerContext,
    client: AsyncWebClient,
    trigger_id: str,
    team: str,
    user: str,
    metadata: dict[str, Any],
    photos: int = 0,
) -> None:
    """The request modal, on the person's defaults within the workspace's brand kit: the one way every
    entry point (the command, the shortcut, a campaign's invitation) opens it."""
    service = shared.service
    owner = owner_key(team, user)
    (options, provider), choices, kit = await asyncio.gather(
        service.defaults(owner),
        service.choices(owner, workspace_key(team)),
        service.brand_kit(owner, workspace_key(team)),
    )
    view = request_view(
        choices, kit.fit(options, ()), provider, metadata, upload=photos == 0, photo_count=photos, kit=kit
    )
    await client.views_open(trigger_id=trigger_id, view=view)
