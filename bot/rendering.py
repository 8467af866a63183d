"""Image rendering (gallery previews, contact sheets) on one thread of its own, one image at a time.

Twenty packs delivered together would otherwise render their contact sheets and previews side
by side, each holding a decoded image and a sheet of pixels: the process's memory would grow
with the number of packs in flight. Queued here, they take turns, and what a render holds is
bounded by one render, whatever the number of packs; the thread is started on first use and
serves every event loop of the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")


async def render(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` on the rendering thread, after the renders queued before it."""
    return await asyncio.get_running_loop().run_in_executor(_RENDERER, partial(work, *args, **kwargs))
