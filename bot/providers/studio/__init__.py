"""The built-in studio provider: offline framing, background replacement and tone, in seconds."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.i18n import phrase
from bot.ports import Generated, GenerationInput, ResultImage
from bot.request import Capabilities

__all__ = ["StudioProvider", "output_size", "render_headshots"]


def __getattr__(name: str) -> Any:
    # The image stack (scikit-image, OpenCV) costs ~80 MB and half a second to import: load it
    # only when a studio job actually runs, not in every process that merely offers the provider.
    if name in ("output_size", "render_headshots"):
        from bot.providers.studio import render

        return getattr(render, name)
    raise AttributeError(name)


class StudioProvider:
    """Headshots made on this machine: no network, no cost, a few seconds per job."""

    name = "studio"
    capabilities = Capabilities(
        label="Studio",
        description=phrase("Studio — offline framing, background and tone, free, a few seconds"),
        min_photos=1,
        max_photos=10,
        min_outputs=1,
        max_outputs=4,
        honours=frozenset({"style", "background", "count", "quality", "aspect_ratio"}),
        expected_seconds=5,
        runs_here=True,
    )

    def wait_seconds(self) -> float:
        """Never rate-limited."""
        return 0.0

    async def generate(self, task: GenerationInput) -> Generated:
        """Render the headshots in a worker thread so the event loop stays free."""
        from bot.providers.studio.render import render_headshots

        images = await asyncio.to_thread(render_headshots, task.photos, task.options)
        return Generated(images=[ResultImage(data=data) for data in images])
